"""The ResponseDto envelope every JSON answer uses (SPEC §7).

Errors are raised as `app.services_errors.ServiceError` and rendered in this
envelope by `app.errors` under /api/ and /rpc/."""

from __future__ import annotations

from typing import Any

from flask import jsonify


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
