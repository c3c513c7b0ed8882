"""Security defaults: CSRF everywhere, rate limits, headers, cookies, size limits,
secrets kept out of logs, and production refusing unsafe settings."""

from __future__ import annotations

import logging
import re

import pytest
import requests

from tests.support import esewa
from tests.support.cart import fill_cart
from tests.support.factories import PASSWORD

# Endpoints that receive gateway or machine traffic and verify it another way.
CSRF_EXEMPT_PREFIXES = ("/api/", "/rpc/", "/_sandbox/")


def _form_rules(app):
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or set()):
            continue
        if rule.rule.startswith(CSRF_EXEMPT_PREFIXES) or rule.rule.startswith("/admin"):
            continue
        yield rule


def _concrete(rule) -> str:
    """The rule with every variable filled: 1, or an `any(...)` rule's first word."""

    def value(match: re.Match) -> str:
        converter, options = match.group(1), match.group(2)
        if converter == "any" and options:
            return options.split(",")[0].strip().strip("'\"")
        return "1"

    return re.sub(r"<(?:(\w+)(?:\(([^)]*)\))?:)?\w+>", value, rule.rule)


def test_every_form_post_needs_a_csrf_token(app, client, factory):
    user = factory.user()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        checked = []
        for rule in _form_rules(app):
            resp = client.post(_concrete(rule), data={"anything": "x"})
            assert resp.status_code == 400, (rule.rule, resp.status_code)
            checked.append(rule.rule)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert "/checkout" in checked and "/register" in checked and "/logout" in checked


def test_form_with_scraped_token_is_accepted(app, client, factory):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/register").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        resp = client.post(
            "/register",
            data={
                "csrf_token": token,
                "name": "Ram",
                "email": "ram@example.com",
                "password": "long-enough-1",
            },
        )
        assert resp.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def limited_app(base_app):
    """The same app, with rate limits on (in memory, so tests do not share them)."""
    from app import create_app

    app = create_app(
        {
            **{
                k: base_app.config[k]
                for k in (
                    "SQLALCHEMY_DATABASE_URI",
                    "MAIL_URL",
                    "PUBLIC_BASE_URL",
                    "REDIS_CONNECTION",
                )
            },
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    yield app
    # Flask-Limiter keeps one state per extension object, shared by every app in
    # this process: switch it back off for the rest of the suite.
    from app.extensions import limiter

    limiter.enabled = False
    limiter.reset()


@pytest.mark.parametrize(
    ("path", "body", "limit"),
    [
        ("/api/auth/token", {"email": "x@example.com", "password": "nope"}, 10),
        ("/login", None, 10),
        ("/api/orders/checkout", {"gateway": "esewa"}, 30),
    ],
)
def test_login_token_and_checkout_are_rate_limited(app, limited_app, path, body, limit):
    client = limited_app.test_client()
    statuses = []
    for _ in range(limit + 1):
        if body is None:
            resp = client.post(
                path, data={"email": "x@example.com", "password": "nope"}
            )
        else:
            resp = client.post(path, json=body)
        statuses.append(resp.status_code)
    assert 429 not in statuses[:limit]
    assert statuses[-1] == 429
    if path.startswith("/api/"):
        assert resp.get_json()["error"]["code"] == "RATE_LIMITED"


def test_security_headers_and_cookie_flags(app, client, factory):
    resp = client.get("/login")
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    user = factory.user()
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_sets_hsts_and_secure_cookies(tmp_path, monkeypatch, base_app):
    from app import create_app

    monkeypatch.setenv("APP_ENV", "production")
    settings = {
        "SECRET_KEY": "s" * 48,
        "GATEWAY_MODE": "live",
        "DATABASE_URL": "postgresql+psycopg://db/shop",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "PUBLIC_BASE_URL": "https://shop.example.com",
        "ESEWA_PRODUCT_CODE": "CODE",
        "ESEWA_SECRET_KEY": "k",
        "KOMOJU_SECRET_KEY": "k",
        "KOMOJU_WEBHOOK_SECRET": "k",
        "PAYSESSION_CLIENT_ID": "id",
        "PAYSESSION_CLIENT_SECRET": "k",
        "INSTANCE_PATH": str(tmp_path),
    }
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    # Nothing here connects: the engine and Redis client are lazy.
    app = create_app({"RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    resp = app.test_client().get("/login")
    assert "max-age=" in resp.headers["Strict-Transport-Security"]
    assert "/_sandbox/esewa/" not in [r.rule[:15] for r in app.url_map.iter_rules()]


def test_oversized_body_is_refused(client):
    resp = client.post(
        "/api/auth/register",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        content_type="application/json",
    )
    assert resp.status_code == 413
    assert resp.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_no_secrets_or_tokens_in_logs(shop, live_url, jobs, caplog):
    caplog.set_level(logging.DEBUG)
    fill_cart(shop.api, shop.course)
    init = shop.api.post("/api/orders/checkout", json={"gateway": "esewa"}).get_json()[
        "data"
    ]
    requests.get(esewa.pay(live_url, init), allow_redirects=False, timeout=10)
    jobs.run()
    text = caplog.text
    for secret in (
        esewa.SECRET,
        shop.api.token,
        PASSWORD,
        init["gatewayPayload"]["signature"],
    ):
        assert secret not in text


def test_return_endpoint_does_not_hand_out_order_keys(shop, live_url, db):
    """Anyone can call /api/payments/redirect/<id>/failure (eSewa signs nothing on
    failure); only the browser that placed the order is sent on with its key."""
    from tests.support.cart import fill_cart as _fill

    _fill(shop.api, shop.course)
    init = shop.api.post("/api/orders/checkout", json={"gateway": "esewa"}).get_json()[
        "data"
    ]
    from app.orders.models import Order

    order = db.session.get(Order, init["orderId"])
    stranger = requests.get(
        f"{live_url}/api/payments/redirect/{init['paymentId']}/failure",
        allow_redirects=False,
        timeout=10,
    )
    assert stranger.status_code == 200
    assert order.order_key not in stranger.text and order.public_id not in stranger.text
    # The customer's own browser (it went through the hand-off page) gets the key.
    browser = requests.Session()
    handoff = browser.get(
        f"{live_url}/payments/{init['paymentId']}/handoff?key={order.order_key}",
        timeout=10,
    )
    assert handoff.status_code == 200
    back = browser.get(
        f"{live_url}/api/payments/redirect/{init['paymentId']}/failure",
        allow_redirects=False,
        timeout=10,
    )
    assert back.status_code == 302 and order.order_key in back.headers["Location"]


def test_nul_bytes_are_refused_everywhere(shop, db):
    from app.orders.models import Order

    cases = [
        (
            "post",
            "/api/auth/register",
            {"email": "a@example.com", "password": "long-enough-1", "name": "x\u0000y"},
        ),
        ("post", "/api/orders/checkout", {"gateway": "es\u0000ewa"}),
        ("get", "/api/products?type=course%00", None),
    ]
    for method, path, body in cases:
        resp = (
            getattr(shop.api, method)(path, json=body) if body else shop.api.get(path)
        )
        assert resp.status_code == 400, (path, resp.status_code)
        assert resp.get_json()["success"] is False
    assert db.session.query(Order).count() == 0


def test_non_ascii_order_keys_and_signatures_are_clean_refusals(shop, live_url, db):
    from tests.support.cart import fill_cart as _fill

    _fill(shop.api, shop.course)
    init = shop.api.post("/api/orders/checkout", json={"gateway": "esewa"}).get_json()[
        "data"
    ]
    resp = requests.get(
        f"{live_url}/api/orders/{init['orderId']}", params={"key": "ключ"}, timeout=10
    )
    assert resp.status_code == 404
    webhook = requests.post(
        f"{live_url}/api/payments/webhooks/komoju",
        data=b"{}",
        headers={"X-Komoju-Signature": "é" * 64, "Content-Type": "application/json"},
        timeout=10,
    )
    assert webhook.status_code == 401
