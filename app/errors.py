"""Friendly error pages for people, ResponseDto errors under /api/ and /rpc/."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.http.responses import fail
from app.services_errors import ServiceError

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


def wants_json() -> bool:
    path = request.path
    return path.startswith("/api/") or path.startswith("/rpc/")


def register_error_handlers(app: Flask) -> None:
    # `str(exc.message)`: a message may be a lazy gettext string, translated
    # here into the request's language; `exc.code` never changes.
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        db.session.rollback()
        message = str(exc.message)
        if wants_json():
            return fail(exc.code, message, exc.status, exc.details)
        return (
            render_template("errors/error.html", status=exc.status, message=message),
            exc.status,
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if wants_json():
            code = HTTP_CODES.get(status, "HTTP_ERROR")
            message = exc.description or code
            return fail(code, message, status)
        # Werkzeug's stock descriptions are English; the page's own translated
        # text says the same, so only a specific description is shown.
        message = None if exc.description == type(exc).description else exc.description
        return (
            render_template("errors/error.html", status=status, message=message),
            status,
        )

    @app.errorhandler(DataError)
    def _bad_value(exc: DataError):
        # A value the database refuses (out of range, bad encoding) is the
        # caller's bad input, not our failure.
        log.warning("rejected by the database: %s", exc.orig.__class__.__name__)
        db.session.rollback()
        message = "The request contains a value the store cannot accept."
        if wants_json():
            return fail("VALIDATION_ERROR", message, 400)
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(OperationalError)
    def _db_down(exc: OperationalError):
        log.error("database unavailable: %s", exc.__class__.__name__)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone already
            db.session.remove()
        message = "The service is temporarily unavailable. Please try again."
        if wants_json():
            return fail("SERVICE_UNAVAILABLE", message, 503)
        return render_template("errors/error.html", status=503, message=message), 503

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        db.session.rollback()
        message = "Something went wrong on our side. Nothing was charged twice."
        if wants_json():
            return fail("INTERNAL_ERROR", "Internal error", 500)
        return render_template("errors/error.html", status=500, message=message), 500
