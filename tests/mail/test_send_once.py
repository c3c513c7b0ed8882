import datetime as dt

import pytest
from sqlalchemy import select

from app.mail.models import EmailLog
from app.mail.services import send_once


def test_same_key_sends_once(app, db, smtp_sink):
    assert send_once("k1", "a@example.com", "Hi", "body") == "sent"
    assert send_once("k1", "a@example.com", "Hi", "body") == "already-sent"
    assert len(smtp_sink.to("a@example.com")) == 1
    assert db.session.scalar(select(EmailLog.status)) == "sent"


def test_failed_send_releases_the_claim(app, db, smtp_sink):
    app.config["MAIL_URL"], saved = "smtp://127.0.0.1:1", app.config["MAIL_URL"]
    try:
        with pytest.raises(OSError):
            send_once("k2", "b@example.com", "Hi", "body")
    finally:
        app.config["MAIL_URL"] = saved
    assert db.session.scalar(select(EmailLog)) is None
    assert send_once("k2", "b@example.com", "Hi", "body") == "sent"
    assert len(smtp_sink.to("b@example.com")) == 1


def test_claim_of_a_dead_worker_is_taken_over(app, db, smtp_sink):
    db.session.add(
        EmailLog(
            dedupe_key="k3",
            to_addr="c@example.com",
            subject="Hi",
            status="sending",
            created_at=dt.datetime(2020, 1, 1),
        )
    )
    db.session.commit()
    assert send_once("k3", "c@example.com", "Hi", "body") == "sent"
    assert send_once("k3", "c@example.com", "Hi", "body") == "already-sent"
    assert len(smtp_sink.to("c@example.com")) == 1
