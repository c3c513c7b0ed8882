"""Friendly error pages for people, ResponseDto errors under /api/ and /rpc/."""

from __future__ import annotations

import contextlib
import logging
import time

from flask import Flask, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError, DBAPIError, OperationalError, PendingRollbackError
from werkzeug.exceptions import HTTPException

from app.extensions import db, limiter
from app.http.responses import fail
from app.i18n.forms import translate_known
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

# What an API client reads when Werkzeug (or the rate limiter) refuses a request
# with its stock English description; the page says the same in its own words.
HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Log in or send a valid token to continue."),
    403: _l("You may not do this."),
    404: _l("Nothing was found at this address."),
    405: _l("This method is not allowed here."),
    409: _l("The request conflicts with the current state; reload and try again."),
    413: _l("The request is too large."),
    415: _l("This content type is not accepted."),
    422: _l("The request could not be processed."),
    429: _l("Too many requests; please wait a moment and try again."),
    500: _l("Something went wrong on our side."),
    503: _l("The service is temporarily unavailable. Please try again."),
}


def http_message(exc: HTTPException) -> str:
    """A refusal's description for people: ours when we gave one (already in the
    reader's language; a library's English one, such as Flask-WTF's CSRF
    refusal, is looked up in the catalog), else the translated text for its
    status. The rate limiter's description is its limit ("120 per 1 minute"),
    not a sentence."""
    status = exc.code or 500
    stock = exc.description == type(exc).description or status == 429
    if exc.description and not stock:
        return translate_known(str(exc.description))
    return str(HTTP_MESSAGES.get(status) or exc.name)


def wants_json() -> bool:
    path = request.path
    return path.startswith("/api/") or path.startswith("/rpc/")


def retry_after_seconds() -> int | None:
    """Seconds until the rate limit this request broke lets it through again."""
    current = limiter.current_limit
    if current is None:
        return None
    return max(1, int(current.reset_at - time.time()))


def _too_many_requests(exc: HTTPException):
    """429: say when to try again (and send Retry-After), not "10 per 1 minute"."""
    wait = retry_after_seconds()
    if wants_json():
        details = {"retryAfter": wait} if wait else None
        response = make_response(*fail("RATE_LIMITED", http_message(exc), 429, details))
    else:
        response = make_response(
            render_template("errors/too_many.html", wait=wait), 429
        )
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


def register_error_handlers(app: Flask) -> None:
    # `str(exc.message)`: a message may be a lazy gettext string, translated
    # here into the request's language; `exc.code` never changes.
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        rollback()
        message = str(exc.message)
        if wants_json():
            response = make_response(*fail(exc.code, message, exc.status, exc.details))
        else:
            page = render_template(
                "errors/error.html", status=exc.status, message=message
            )
            response = make_response(page, exc.status)
        wait = exc.details.get("retryAfter") if exc.status == 429 else None
        if isinstance(wait, int) and wait > 0:
            response.headers["Retry-After"] = str(wait)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if status == 429:
            return _too_many_requests(exc)
        if wants_json():
            code = HTTP_CODES.get(status, "HTTP_ERROR")
            return fail(code, http_message(exc), status)
        # Werkzeug's stock descriptions are English; the page's own translated
        # text says the same, so only a specific description is shown.
        stock = exc.description == type(exc).description
        message = None if stock else http_message(exc)
        return (
            render_template("errors/error.html", status=status, message=message),
            status,
        )

    @app.errorhandler(DataError)
    def _bad_value(exc: DataError):
        # A value the database refuses (out of range, bad encoding) is the
        # caller's bad input, not our failure.
        log.warning("rejected by the database: %s", exc.orig.__class__.__name__)
        rollback()
        message = _("The request contains a value the store cannot accept.")
        if wants_json():
            return fail("VALIDATION_ERROR", message, 400)
        return render_template("errors/error.html", status=400, message=message), 400

    # A transaction whose connection broke (a database restart, a cut TCP
    # connection) and that was then committed: the same outage, not a bug.
    @app.errorhandler(PendingRollbackError)
    @app.errorhandler(OperationalError)
    def _db_down(exc: OperationalError | PendingRollbackError):
        log.error("database unavailable: %s", exc.__class__.__name__)
        rollback()
        message = _("The service is temporarily unavailable. Please try again.")
        if wants_json():
            return fail("SERVICE_UNAVAILABLE", message, 503)
        return render_template("errors/error.html", status=503, message=message), 503

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        rollback()
        message = _("Something went wrong on our side. Nothing was charged twice.")
        if wants_json():
            return fail("INTERNAL_ERROR", _("Internal error"), 500)
        return render_template("errors/error.html", status=500, message=message), 500


def rollback() -> None:
    """Roll the request's transaction back before answering an error; on a
    connection the database already closed the rollback itself fails, and the
    error page must still be the answer (a 503 or the ServiceError's own code,
    not a 500 from inside the handler - `make soak` saw one under
    `pg_terminate_backend`)."""
    try:
        db.session.rollback()
    except DBAPIError:
        with contextlib.suppress(DBAPIError):
            db.session.registry().invalidate()
        db.session.registry.clear()


def close_db_session(_exc: BaseException | None = None) -> None:
    """End the request's session even when its connection is gone.

    Flask-SQLAlchemy's own teardown rolls back on the way out; on a connection
    the database already closed (a restart, `pg_terminate_backend`, a cut
    network) that rollback raises, and gunicorn answers an empty 500 after the
    response was decided (`make soak` saw it). Registered after
    `db.init_app`, this runs first: the broken session is dropped and its
    connection invalidated, so the pool never hands the dead one out again.
    """
    try:
        db.session.remove()
    except DBAPIError as exc:
        log.warning("session closed on a lost connection: %s", exc.__class__.__name__)
        with contextlib.suppress(DBAPIError):
            db.session.registry().invalidate()
        db.session.registry.clear()
