"""Accounts that recover themselves (issue #15): password reset by email over a
real SMTP sink, email confirmation, and the old sessions ending."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts import recovery
from app.accounts.models import User
from tests.support.factories import PASSWORD

LINK = re.compile(r"https?://[^\s\"<>]+")


def link_in(message, path: str) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return next(u for u in LINK.findall(body) if path in u)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def test_password_reset_by_email_ends_the_old_sessions(
    app, client, api, factory, db, jobs, smtp_sink
):
    user = factory.user(email="sita@example.com")
    assert login(client, user.email).status_code == 302
    api.login(user.email, PASSWORD)
    assert client.get("/account").status_code == 200

    known = api.client.post("/api/auth/password-reset", json={"email": user.email})
    unknown = api.client.post(
        "/api/auth/password-reset", json={"email": "nobody@example.com"}
    )
    assert known.status_code == unknown.status_code == 200
    assert known.get_json() == unknown.get_json()  # reveals nothing
    jobs.run()
    assert smtp_sink.to("nobody@example.com") == []
    [mail] = smtp_sink.to(user.email)
    token = link_in(mail, "/password/reset/").rsplit("/", 1)[1]

    resp = api.client.post(
        "/api/auth/password-reset/confirm",
        json={"token": token, "password": "brand-new-pass-1"},
    )
    assert resp.status_code == 200, resp.get_json()
    again = api.client.post(
        "/api/auth/password-reset/confirm",
        json={"token": token, "password": "another-pass-22"},
    )
    assert again.status_code == 400
    assert again.get_json()["error"]["code"] == "INVALID_TOKEN"

    # The browser session and the API token made before the reset are over.
    assert client.get("/account").status_code == 302
    assert api.get("/api/me").status_code == 401
    fresh = app.test_client()
    assert login(fresh, user.email).status_code == 401
    assert login(fresh, user.email, "brand-new-pass-1").status_code == 302


def test_reset_page_with_a_bad_or_expired_link(client, factory, db, monkeypatch):
    user = factory.user()
    forged = client.get("/password/reset/not-a-token")
    assert forged.status_code == 400 and "no longer works" in forged.get_data(True)
    with client.application.test_request_context():
        token = recovery._serializer(recovery.RESET_SALT).dumps(
            {"u": user.id, "p": recovery._fingerprint(user)}
        )
    assert client.get(f"/password/reset/{token}").status_code == 200
    monkeypatch.setattr(recovery, "RESET_SECONDS", -1)
    assert client.get(f"/password/reset/{token}").status_code == 400
    resp = client.post(
        f"/password/reset/{token}",
        data={"password": "brand-new-pass-1", "confirm": "brand-new-pass-1"},
    )
    assert resp.status_code == 400
    db.session.rollback()
    assert login(client, user.email).status_code == 302  # unchanged


def test_reset_pages_answer_the_same_for_unknown_addresses(
    client, factory, jobs, smtp_sink
):
    factory.user(email="known@example.com")
    pages = [
        client.post("/password/forgot", data={"email": e}).get_data(True)
        for e in ("known@example.com", "unknown@example.com")
    ]
    assert pages[0].replace("known@", "X@") == pages[1].replace("unknown@", "X@")
    jobs.run()
    assert len(smtp_sink.to("known@example.com")) == 1
    assert smtp_sink.to("unknown@example.com") == []


def test_registration_asks_to_confirm_the_address(client, db, jobs, smtp_sink):
    resp = client.post(
        "/register",
        data={"name": "Sita", "email": "new@example.com", "password": "long-enough-1"},
    )
    assert resp.status_code == 302
    assert 'id="verify-reminder"' in client.get("/").get_data(True)
    jobs.run()
    [mail] = smtp_sink.to("new@example.com")
    resp = client.get(path_of(link_in(mail, "/account/verify/")))
    assert resp.status_code == 302
    db.session.rollback()
    assert db.session.scalar(select(User)).email_verified_at is not None
    assert 'id="verify-reminder"' not in client.get("/").get_data(True)


def test_change_email_needs_the_password_and_the_new_address(
    client, factory, db, jobs, smtp_sink
):
    user = factory.user(email="old@example.com")
    login(client, user.email)
    wrong = client.post(
        "/account/email", data={"email": "new@example.com", "current_password": "nope"}
    )
    assert wrong.status_code == 400
    ok = client.post(
        "/account/email",
        data={"email": "new@example.com", "current_password": PASSWORD},
    )
    assert ok.status_code == 302
    db.session.rollback()
    assert db.session.get(User, user.id).email == "old@example.com"  # not yet
    jobs.run()
    [mail] = smtp_sink.to("new@example.com")
    client.get(path_of(link_in(mail, "/account/verify/")))
    db.session.rollback()
    assert db.session.get(User, user.id).email == "new@example.com"


def test_change_password_and_sign_out_everywhere(app, client, factory, db):
    user = factory.user()
    other = app.test_client()
    login(client, user.email)
    login(other, user.email)
    resp = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "brand-new-pass-1",
            "confirm": "brand-new-pass-1",
        },
    )
    assert resp.status_code == 302
    assert client.get("/account").status_code == 200  # this browser stays
    assert other.get("/account").status_code == 302  # the other one is out
    refused = client.post(
        "/account/sign-out-everywhere", data={"current_password": PASSWORD}
    )
    assert refused.status_code == 400  # the old password no longer counts
    out = client.post(
        "/account/sign-out-everywhere", data={"current_password": "brand-new-pass-1"}
    )
    assert out.status_code == 302
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize("body", [{}, {"email": 5}, {"email": "x" * 3000}])
def test_reset_api_refuses_bad_bodies(client, body):
    resp = client.post("/api/auth/password-reset", json=body)
    assert resp.status_code == 400
