"""How the payment-session simulator refuses: API JSON or a page for shoppers."""

from __future__ import annotations

from typing import Any

from flask import Response

from app.sandbox.paysession.wire import dumps


class ApiProblem(Exception):
    """An API refusal; always answered as the gateway's `{message, code, type}`."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str,
        kind: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.kind = status, message, code, kind


class PageProblem(Exception):
    """A hosted-page refusal; shown to the shopper as a page, not JSON."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def json_response(payload: Any, status: int = 200) -> Response:
    """Serialize with our own encoder so amounts keep their two decimals."""
    return Response(dumps(payload), status, mimetype="application/json")


def error_body(message: str, code: str, kind: str) -> dict:
    return {"message": message, "code": code, "type": kind}


def missing(path: str) -> ApiProblem:
    return ApiProblem(
        400, f"{path} : is missing in the request", f"{_leaf(path)}_missing"
    )


def invalid(path: str, detail: str) -> ApiProblem:
    return ApiProblem(400, f"{path} : {detail}", f"{_leaf(path)}_invalid")


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]
