"""Errors raised by services: a stable code, a message for people, an HTTP status.

The one error class of the app: services, API parsing and authentication all
raise it. Views do not translate it: the error handler (`app.errors`) renders a
page for browsers and a ResponseDto for API clients (/api/, /rpc/), and the
request's transaction is rolled back, so a refused request changes nothing.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.details = details or {}


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class Unprocessable(ServiceError):
    status = 422


class GatewayUnavailable(ServiceError):
    status = 503
