"""Issue #13 finding 6: wrong passwords are limited per account, not only per
address, and a stranger cannot use that limit to lock the owner out."""

from __future__ import annotations

import requests

from app.accounts import login_guard
from tests.support.factories import PASSWORD


def token_attempt(live_url, email, password, browser=None) -> requests.Response:
    return (browser or requests).post(
        f"{live_url}/api/auth/token",
        json={"email": email, "password": password},
        timeout=10,
    )


def page_attempt(live_url, email, password, browser=None) -> requests.Response:
    return (browser or requests).post(
        f"{live_url}/login",
        data={"email": email, "password": password},
        allow_redirects=False,
        timeout=10,
    )


def test_fifty_guesses_from_fifty_browsers_are_not_all_401(live_url, factory, app):
    user = factory.user(email="sita@example.com")
    limit = app.config["LOGIN_FAILURES_PER_ACCOUNT"]
    statuses = []
    for i in range(50):
        # a new browser (no cookies) every time, as from a new address
        resp = token_attempt(live_url, user.email, f"guess-{i}")
        statuses.append(resp.status_code)
        if resp.status_code == 429:
            body = resp.json()
            assert body["success"] is False and body["data"] is None
            assert body["error"]["code"] == "TOO_MANY_ATTEMPTS"
            wait = int(resp.headers["Retry-After"])
            assert 0 < wait <= app.config["LOGIN_LOCK_SECONDS"]
            assert body["error"]["details"]["retryAfter"] == wait
            assert "Try again in" in body["error"]["message"]
    assert statuses == [401] * limit + [429] * (50 - limit)
    # The right password from a stranger's browser does not get through either:
    # the guesser learns nothing from the answers once the account is locked.
    assert token_attempt(live_url, user.email, PASSWORD).status_code == 429
    page = page_attempt(live_url, user.email, PASSWORD)
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
    assert "Too many wrong passwords for this account" in page.text
    # Other accounts are not affected.
    other = factory.user(email="hari@example.com")
    assert token_attempt(live_url, other.email, PASSWORD).status_code == 200


def test_the_owners_known_browser_is_not_locked_out(live_url, factory, app):
    user = factory.user(email="sita@example.com")
    owner = requests.Session()
    assert page_attempt(live_url, user.email, PASSWORD, owner).status_code == 302
    owner.post(f"{live_url}/logout", timeout=10)
    app_client = requests.Session()
    assert token_attempt(live_url, user.email, PASSWORD, app_client).status_code == 200
    for i in range(app.config["LOGIN_FAILURES_PER_ACCOUNT"] + 5):
        token_attempt(live_url, user.email, f"guess-{i}")
    assert token_attempt(live_url, user.email, PASSWORD).status_code == 429
    # A typo on the owner's own browser neither counts nor is refused ...
    assert page_attempt(live_url, user.email, "typo", owner).status_code == 401
    # ... and the owner signs in as usual, by page and by the app.
    assert page_attempt(live_url, user.email, PASSWORD, owner).status_code == 302
    assert owner.get(f"{live_url}/account", timeout=10).status_code == 200
    assert token_attempt(live_url, user.email, PASSWORD, app_client).status_code == 200


def test_a_forged_device_cookie_does_not_open_the_lock(live_url, factory, app):
    user = factory.user(email="sita@example.com")
    for i in range(app.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        token_attempt(live_url, user.email, f"guess-{i}")
    forger = requests.Session()
    forger.cookies.set(login_guard.DEVICE_COOKIE, '["x"].forged', domain="127.0.0.1")
    assert token_attempt(live_url, user.email, PASSWORD, forger).status_code == 429


def test_a_password_reset_clears_the_count(live_url, factory, app):
    user = factory.user(email="sita@example.com")
    for i in range(app.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        token_attempt(live_url, user.email, f"guess-{i}")
    assert token_attempt(live_url, user.email, PASSWORD).status_code == 429
    with app.test_request_context():
        login_guard.forget("  SITA@example.com ")
    assert token_attempt(live_url, user.email, PASSWORD).status_code == 200


def test_the_count_expires(live_url, factory, app, redis_client):
    user = factory.user(email="sita@example.com")
    for i in range(app.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        token_attempt(live_url, user.email, f"guess-{i}")
    [key] = redis_client.keys("login-failures:*")
    assert 0 < redis_client.ttl(key) <= app.config["LOGIN_LOCK_SECONDS"]
