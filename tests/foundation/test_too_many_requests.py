"""A 429 says when to try again (issue #15): the page names the wait, the
response carries Retry-After, and the API says it in `details.retryAfter`."""

from __future__ import annotations

import re

import pytest

from app import create_app


@pytest.fixture
def limited_client(tmp_path, redis_client):
    app = create_app(
        {
            "TESTING": True,
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
            "REDIS_CONNECTION": redis_client,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "WTF_CSRF_ENABLED": False,
        }
    )
    return app.test_client()


def test_the_page_and_the_header_say_when(limited_client):
    for _ in range(12):
        resp = limited_client.post("/login", data={"email": "a@b.c", "password": "x"})
    assert resp.status_code == 429
    wait = int(resp.headers["Retry-After"])
    assert 0 < wait <= 60
    text = resp.get_data(as_text=True)
    said = int(re.search(r"try again in (\d+) second", text)[1])
    assert abs(said - wait) <= 2
    assert "per 1 minute" not in text


def test_the_api_says_it_too(limited_client):
    for _ in range(12):
        resp = limited_client.post(
            "/api/auth/token", json={"email": "a", "password": "b"}
        )
    assert resp.status_code == 429
    body = resp.get_json()
    assert body["error"]["code"] == "RATE_LIMITED"
    assert body["error"]["details"]["retryAfter"] == int(resp.headers["Retry-After"])
