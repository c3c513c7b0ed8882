"""A database connection lost mid-request is an outage (503), never a 500.

`make soak` cuts the shop's PostgreSQL connections (`pg_terminate_backend`)
under load; two answers came back as HTTP 500: a commit after the connection
broke (PendingRollbackError), and the session's rollback on the way out of a
request on a connection the database had closed. Here the DBAPI connection under
the session is closed for real, as the database closing it would leave it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, PendingRollbackError


def break_connection(db) -> None:
    db.session.execute(text("SELECT 1"))
    db.session.connection().connection.dbapi_connection.close()


def test_leaving_a_request_whose_connection_is_gone_does_not_raise(app, db):
    context = app.app_context()  # a request's own context and session
    context.push()
    break_connection(db)
    context.pop()  # the teardowns: Flask-SQLAlchemy's rollback would raise here
    # The dead connection was invalidated, not handed out again.
    assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_a_commit_after_the_connection_broke_answers_503(app, db):
    with (
        app.app_context(),
        app.test_request_context("/api/orders/checkout", method="POST"),
    ):
        break_connection(db)
        with pytest.raises(DBAPIError):
            db.session.execute(text("SELECT 1"))
        with pytest.raises(PendingRollbackError) as caught:
            db.session.commit()
        resp = app.make_response(app.handle_user_exception(caught.value))
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["success"] is False
    assert body["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_a_refusal_on_a_broken_connection_keeps_its_answer(app, db):
    """A ServiceError raised after the connection broke (the handler rolls back
    first) still answers with its own status, not a 500 from the handler."""
    from app.services_errors import ServiceError

    with (
        app.app_context(),
        app.test_request_context("/api/mobile/events/checkout", method="POST"),
    ):
        break_connection(db)
        refusal = ServiceError("SOLD_OUT", "Sold out.", 409)
        resp = app.make_response(app.handle_user_exception(refusal))
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "SOLD_OUT"
