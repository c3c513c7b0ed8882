"""Issue #13 finding 5: a session cookie saved before logout (or a password
change, or an admin disabling the account) opens nothing afterwards. Over real
HTTP: the "attacker" replays the saved cookie from a fresh browser."""

from __future__ import annotations

import requests
from sqlalchemy import func, select

from app.accounts.models import UserSession
from tests.support.factories import PASSWORD


def logged_in(live_url, email, password=PASSWORD) -> requests.Session:
    browser = requests.Session()
    resp = browser.post(
        f"{live_url}/login",
        data={"email": email, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, resp.text
    return browser


def replay(live_url, cookie: str) -> requests.Session:
    browser = requests.Session()
    browser.cookies.set("session", cookie, domain="127.0.0.1")
    return browser


def opens_account(live_url, browser) -> bool:
    page = browser.get(f"{live_url}/account", allow_redirects=False, timeout=10)
    me = browser.get(f"{live_url}/api/me", timeout=10)
    assert (page.status_code == 200) == (me.status_code == 200), (page, me)
    return page.status_code == 200


def sessions_of(db, user) -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user.id)
    )


def test_a_cookie_saved_before_logout_opens_nothing(live_url, factory, db):
    user = factory.user(email="sita@example.com")
    browser = logged_in(live_url, user.email)
    other = logged_in(live_url, user.email)  # a second device stays signed in
    saved = browser.cookies["session"]
    assert opens_account(live_url, replay(live_url, saved))
    assert sessions_of(db, user) == 2

    browser.post(f"{live_url}/logout", timeout=10)
    assert not opens_account(live_url, browser)
    assert not opens_account(live_url, replay(live_url, saved))
    me = replay(live_url, saved).get(f"{live_url}/api/me", timeout=10)
    assert me.status_code == 401 and me.json()["success"] is False
    assert opens_account(live_url, other)
    assert sessions_of(db, user) == 1


def test_a_password_change_ends_every_other_session(live_url, factory, db):
    user = factory.user(email="sita@example.com")
    browser = logged_in(live_url, user.email)
    elsewhere = logged_in(live_url, user.email)
    saved = browser.cookies["session"]
    resp = browser.post(
        f"{live_url}/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "brand-new-pass-1",
            "confirm": "brand-new-pass-1",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, resp.text
    assert opens_account(live_url, browser)  # this browser, on a new session
    assert not opens_account(live_url, elsewhere)
    assert not opens_account(live_url, replay(live_url, saved))
    assert sessions_of(db, user) == 1


def test_an_admin_disabling_a_user_ends_their_sessions_and_tokens(
    live_url, factory, db
):
    user = factory.user(email="sita@example.com")
    admin = factory.user(email="admin@example.com", role="admin")
    browser = logged_in(live_url, user.email)
    saved = browser.cookies["session"]
    token = requests.post(
        f"{live_url}/api/auth/token",
        json={"email": user.email, "password": PASSWORD},
        timeout=10,
    ).json()["data"]["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{live_url}/api/me", headers=bearer, timeout=10).ok

    back_office = logged_in(live_url, admin.email)
    resp = back_office.post(
        f"{live_url}/admin/users/action/",
        data={"action": "disable", "rowid": str(user.id)},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, resp.text
    assert not opens_account(live_url, browser)
    assert not opens_account(live_url, replay(live_url, saved))
    assert (
        requests.get(f"{live_url}/api/me", headers=bearer, timeout=10).status_code
        == 401
    )
    assert sessions_of(db, user) == 0
    # A disabled account cannot sign in again, by page or by API.
    again = requests.post(
        f"{live_url}/login",
        data={"email": user.email, "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert again.status_code == 401
    assert (
        requests.post(
            f"{live_url}/api/auth/token",
            json={"email": user.email, "password": PASSWORD},
            timeout=10,
        ).status_code
        == 401
    )
    # The admin's own session is untouched, and enabling lets the user back in.
    back_office.post(
        f"{live_url}/admin/users/action/",
        data={"action": "enable", "rowid": str(user.id)},
        timeout=10,
    )
    assert opens_account(live_url, logged_in(live_url, user.email))


def test_an_admin_cannot_disable_themselves(live_url, factory, db):
    admin = factory.user(email="admin@example.com", role="admin")
    back_office = logged_in(live_url, admin.email)
    back_office.post(
        f"{live_url}/admin/users/action/",
        data={"action": "disable", "rowid": str(admin.id)},
        timeout=10,
    )
    assert opens_account(live_url, back_office)


def test_a_forged_or_stale_cookie_id_names_nobody(app, factory, db):
    from app.accounts.sessions import load

    user = factory.user(email="sita@example.com")
    for cookie_id in (
        f"{user.id}",
        f"{user.id}.",
        f"{user.id}.0",
        f"{user.id}.{'x' * 32}",
        f"²{user.id}.abc",
        "x" * 100,
    ):
        assert load(cookie_id) is None, cookie_id
