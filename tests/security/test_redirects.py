"""Issue #13 finding 2: no redirect the shop sends leaves the allow-list, judged
the way a browser reads the URL (WHATWG), not the way urllib does."""

from __future__ import annotations

import ada_url
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.orders.models import Order
from app.urls import browser_host, redirect_url_allowed, return_url_allowed, safe_next
from tests.support import esewa
from tests.support.cart import fill_cart

EVIL = "https://evil.com\\.example.com/x"

TRICKS = [
    EVIL,
    "https://evil.com\\@example.com/",
    "https:\\\\evil.com\\.example.com/",
    "https://evil.com\t.example.com/x",
    "https://evil.com\n.example.com/x",
    "https://evil.com\r\n.example.com/x",
    "https://evil.com%2f.example.com/",
    "https://evil.com%5c.example.com/",
    "https://example.com@evil.com/",
    "https://user:pw@example.com/",
    "https://example.com:443@evil.com/",
    "https://evil.com#.example.com",
    "https://evil.com?.example.com",
    "https://ｅｘａｍｐｌｅ.com/",
    "https://evil.com。example.com/",
    "https://xn--exmple-cua.com/",
    "//example.com/x",
    "/\\evil.com",
    "https:example.com/x",
    "https:/example.com/x",
    "javascript://example.com/%0aalert(1)",
    "data:text/html,https://example.com",
    "ftp://example.com/",
    " https://evil.com/.example.com",
    "https://evil.com\x00.example.com/",
    "https://example.com:99999/",
    "https://example.com:0x1bb/",
    "http://2130706433/",
    "http://0x7f.1/",
]


def checkout(api, return_url):
    return api.post(
        "/api/orders/checkout", json={"gateway": "esewa", "returnUrl": return_url}
    )


def test_backslash_host_is_refused_at_checkout(shop, db):
    fill_cart(shop.api, shop.course)
    resp = checkout(shop.api, EVIL)
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["success"] is False and body["data"] is None
    assert body["error"]["code"] == "RETURN_URL_NOT_ALLOWED"
    assert "returnUrl" in body["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


@pytest.mark.parametrize("url", TRICKS)
def test_ambiguous_return_urls_are_refused(shop, url):
    fill_cart(shop.api, shop.course)
    resp = checkout(shop.api, url)
    assert resp.status_code == 400, url
    assert resp.get_json()["error"]["code"] in (
        "RETURN_URL_NOT_ALLOWED",
        "BAD_REQUEST",  # a NUL is refused at the door
    )


def test_plain_allowed_urls_still_work(app):
    for url in (
        "https://example.com/payment/return",
        "https://shop.example.com:8443/r?a=1#top",
        "HTTPS://EXAMPLE.COM/done",
        "http://localhost:3000/back",
        "https://merchant.example.com/done?order_id={order_id}",
    ):
        assert return_url_allowed(url), url


def test_a_stored_url_off_the_list_is_not_followed(shop, live_url, db):
    """A URL stored before the check (or written into the database) is checked
    again when the browser comes back: the shop's result page instead."""
    fill_cart(shop.api, shop.course)
    init = checkout(shop.api, "https://example.com/payment/return").get_json()["data"]
    order = db.session.get(Order, init["orderId"])
    order.return_url = EVIL
    db.session.commit()
    back = requests.get(esewa.pay(live_url, init), allow_redirects=False, timeout=10)
    location = back.headers.get("Location", "")
    assert "evil.com" not in location
    if location:
        target = ada_url.URL(location, live_url)
        assert target.host == ada_url.URL(live_url).host


# --- properties over generated URLs ------------------------------------------------

ALLOWED = ["example.com", "127.0.0.1", "localhost"]
PIECES = st.sampled_from(
    [
        "https:",
        "http:",
        "//",
        "/",
        "\\",
        "\\\\",
        "\t",
        "\n",
        "\r",
        " ",
        "\x00",
        "\x7f",
        "@",
        ":",
        ":443",
        ":8080",
        "#",
        "?",
        ".",
        "%2e",
        "%2f",
        "%5c",
        "%40",
        "evil.com",
        "example.com",
        ".example.com",
        "xn--80ak6aa92e.com",
        "ｅｘａｍｐｌｅ",
        "。",
        "127.0.0.1",
        "0x7f.1",
        "localhost",
        "user",
        "[::1]",
        "x",
    ]
)
URLS = st.lists(PIECES, min_size=1, max_size=10).map("".join)


def _listed(host: str) -> bool:
    return any(host == h or host.endswith("." + h) for h in ALLOWED)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(tail=URLS, head=st.sampled_from(["https://", "http://", "", "https:"]))
def test_an_accepted_return_url_goes_where_a_browser_would_go(base_app, head, tail):
    url = head + tail
    with base_app.test_request_context():
        accepted = return_url_allowed(url)
        followed = redirect_url_allowed(url)
    if accepted or followed:
        seen = ada_url.URL(url)  # a browser can parse it
        assert seen.protocol in ("http:", "https:")
        assert not seen.username and not seen.password
        assert (
            _listed(seen.hostname)
            or seen.host
            == "127.0.0.1:" + (base_app.config["PUBLIC_BASE_URL"].rsplit(":", 1)[1])
        )
        assert browser_host(url) == seen.hostname


@settings(max_examples=600)
@given(tail=URLS)
def test_a_followed_next_stays_on_this_site(tail):
    for target in ("/" + tail, tail):
        chosen = safe_next(target, "/fallback")
        resolved = ada_url.URL(chosen, "https://shop.test/here/")
        assert resolved.host == "shop.test", (target, chosen)
