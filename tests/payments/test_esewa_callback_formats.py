"""A cart over NPR 1,000 paid through eSewa, in every format real eSewa returns.

The eSewa sandbox is switched into each callback quirk (gateways.md 1.5), the
customer pays on its page, and the browser follows the redirect to the shop's
own return endpoint over real HTTP; the worker then verifies with the status
API and the order must end `paid`. The status API is also made to answer
garbage: the order then waits (retry booked) instead of failing, and is paid
once eSewa answers properly again.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from app.orders.models import Order
from app.payments.models import Payment, PaymentEvent
from tests.support import esewa

FORMATS = ["standard", "thousands", "number", "question_mark", "raw_base64"]
GARBAGE = ["null", "number", "html", "empty", "error", "fail"]


def sandbox(live_url: str, control: str, value: str) -> None:
    resp = requests.post(
        f"{live_url}/_sandbox/esewa/{control}", json={control: value}, timeout=10
    )
    assert resp.status_code == 200 and resp.json() == {control: value}, resp.text


def checkout_big_cart(shop) -> dict:
    for product in (shop.course, shop.book):
        added = shop.api.post(
            "/api/cart/items", json={"productId": product.id, "quantity": 1}
        )
        assert added.status_code == 201, added.get_json()
    resp = shop.api.post(
        "/api/orders/checkout", json={"gateway": "esewa", "returnUrl": None}
    )
    assert resp.status_code == 200, resp.get_json()
    init = resp.get_json()["data"]
    assert init["gatewayPayload"]["total_amount"] == "1300.00"  # over NPR 1,000
    return init


def pay_at_esewa(live_url: str, init: dict, success_url: str | None = None) -> str:
    """Post the hand-off form (optionally with another success_url, which eSewa
    does not sign) and press Pay; returns where eSewa sends the browser."""
    form = dict(init["gatewayPayload"])
    if success_url is not None:
        form["success_url"] = success_url
    assert requests.post(init["redirectUrl"], data=form, timeout=10).status_code == 200
    return esewa.pay(live_url, init, form=False)


def shown_data(location: str) -> dict:
    """The JSON eSewa put in the redirect, however it attached it."""
    raw = location.split("data=", 1)[1]
    params = dict(parse_qsl(f"data={raw}"))
    text = params["data"].replace(" ", "+")
    return json.loads(base64.b64decode(text + "=" * (-len(text) % 4)))


def browser_returns(live_url: str, order: Order, payment_id: int, location: str):
    """The customer's browser: it passed the hand-off page, then follows eSewa."""
    browser = requests.Session()
    browser.get(
        f"{live_url}/payments/{payment_id}/handoff?key={order.order_key}", timeout=10
    )
    return browser.get(location, allow_redirects=False, timeout=10)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_callback_format_pays_the_order(shop, live_url, db, jobs, fmt):
    sandbox(live_url, "quirk", fmt)
    init = checkout_big_cart(shop)
    pid = init["paymentId"]
    success_url = init["gatewayPayload"]["success_url"]
    if fmt == "question_mark":
        # The case eSewa gets wrong: a success_url that already has a query.
        success_url += "?lang=en"
        location = pay_at_esewa(live_url, init, success_url)
        assert location.startswith(f"{success_url}?data=")
    else:
        location = pay_at_esewa(live_url, init)
        assert location.startswith(f"{success_url}?data=")
    shown = shown_data(location)
    expected_amount = {
        "thousands": "1,300.0",
        "number": 1300.0,
    }.get(fmt, "1300.0")
    assert shown["total_amount"] == expected_amount
    order = db.session.get(Order, init["orderId"])

    back = browser_returns(live_url, order, pid, location)

    assert back.status_code == 302, back.text[:300]
    assert "/payments/result/ord_" in back.headers["Location"]
    jobs.run()
    db.session.rollback()
    assert order.status == "paid"
    payment = db.session.get(Payment, pid)
    assert payment.verified and payment.captured_amount == 130000
    assert payment.gateway_reference == shown["transaction_code"]
    outcomes = db.session.query(PaymentEvent.outcome).filter_by(kind="redirect").all()
    assert [o for (o,) in outcomes] == ["captured"]  # accepted, not INVALID_SIGNATURE


@pytest.mark.parametrize("mode", GARBAGE)
def test_status_garbage_waits_for_a_real_answer(shop, live_url, db, jobs, mode):
    init = checkout_big_cart(shop)
    location = pay_at_esewa(live_url, init)
    order = db.session.get(Order, init["orderId"])
    sandbox(live_url, "mode", mode)

    back = browser_returns(live_url, order, init["paymentId"], location)
    jobs.run()

    assert back.status_code == 302
    db.session.rollback()
    assert order.status == "payment_pending"  # no answer yet, nothing counted
    payment = db.session.get(Payment, init["paymentId"])
    assert payment.next_verify_at is not None  # a retry is booked
    checks = db.session.query(PaymentEvent.outcome).filter_by(kind="status_check").all()
    assert [o for (o,) in checks] == ["gateway_error"]
    sandbox(live_url, "mode", "ok")
    jobs.run_scheduled()
    db.session.rollback()
    assert order.status == "paid"


def test_sandbox_refuses_unknown_quirks(app, live_url):
    resp = requests.post(
        f"{live_url}/_sandbox/esewa/quirk", json={"quirk": "chaos"}, timeout=10
    )
    assert resp.status_code == 400
    assert "standard" in resp.json()["error_message"]
    assert requests.get(f"{live_url}/_sandbox/esewa/quirk", timeout=10).json() == {
        "quirk": "standard"
    }


def test_question_mark_quirk_is_what_a_browser_sees(app, live_url, shop):
    """The raw Location header really has two `?` when the URL had a query."""
    sandbox(live_url, "quirk", "question_mark")
    init = checkout_big_cart(shop)
    location = pay_at_esewa(
        live_url, init, init["gatewayPayload"]["success_url"] + "?a=1"
    )
    assert urlsplit(location).query.startswith("a=1?data=")
