"""Issue #14: the customer gets an email for every failed payment, expiry and
cancellation (refund emails are with the refund tests), once each."""

from __future__ import annotations

import datetime as dt

import requests
from sqlalchemy import update

from app.db import utcnow
from app.orders.models import Order
from tests.support import esewa
from tests.support.cart import fill_cart


def _checkout(shop, gateway="esewa") -> dict:
    fill_cart(shop.api, shop.course)
    resp = shop.api.post("/api/orders/checkout", json={"gateway": gateway})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["data"]


def _subjects(smtp_sink, shop) -> list[str]:
    return [str(m["Subject"]) for m in smtp_sink.to(shop.user.email)]


def test_a_failed_payment_is_emailed_once(shop, live_url, db, jobs, smtp_sink):
    init = _checkout(shop)
    failure_url = esewa.pay(live_url, init, "failure")
    esewa.remember_failure(live_url, init)
    requests.get(failure_url, timeout=10)
    jobs.run()
    jobs.run()
    order = db.session.get(Order, init["orderId"])
    assert order.status == "failed"
    failed = [s for s in _subjects(smtp_sink, shop) if "did not go through" in s]
    assert failed == [f"Your payment for order {order.public_id} did not go through"]
    body = smtp_sink.to(shop.user.email)[-1].get_body(("plain",)).get_content()
    assert "nothing was charged" in body and "pay again" in body
    assert f"/orders/{order.public_id}?key={order.order_key}" in body


def test_an_expired_order_is_emailed(shop, db, jobs, smtp_sink):
    init = _checkout(shop, "bank_transfer")
    db.session.execute(
        update(Order)
        .where(Order.id == init["orderId"])
        .values(expires_at=utcnow() - dt.timedelta(seconds=5))
    )
    db.session.commit()
    jobs.run_scheduled()
    order = db.session.get(Order, init["orderId"])
    assert order.status == "cancelled" and order.cancel_reason == "timeout"
    expired = [s for s in _subjects(smtp_sink, shop) if "expired" in s]
    assert expired == [f"Your order {order.public_id} expired unpaid"]


def test_a_customers_own_cancellation_is_confirmed(shop, db, jobs, smtp_sink):
    init = _checkout(shop)
    order = db.session.get(Order, init["orderId"])
    client = shop.api.client
    resp = client.post(
        f"/orders/{order.public_id}/cancel", data={"key": order.order_key}
    )
    assert resp.status_code == 302
    jobs.run()
    (mail,) = [m for m in smtp_sink.to(shop.user.email) if "cancelled" in m["Subject"]]
    assert (
        "As you asked, we cancelled your order"
        in mail.get_body(("plain",)).get_content()
    )
