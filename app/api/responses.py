"""The ResponseDto envelope every JSON answer uses (SPEC §7)."""

from __future__ import annotations

from typing import Any

from flask import jsonify


class ApiError(Exception):
    """An error with a stable code, answered as a ResponseDto by the error handler."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}


def ok(data: Any, status: int = 200):
    return jsonify({"success": True, "data": data, "error": None}), status


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {
        "success": False,
        "data": None,
        "error": {"code": code, "message": message, "details": details or {}},
    }


def fail(code: str, message: str, status: int, details: dict | None = None):
    return jsonify(error_body(code, message, details)), status
