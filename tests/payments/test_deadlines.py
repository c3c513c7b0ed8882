"""Issue #14: each method sets the hold and expiry from its gateway's own
deadline - minutes at eSewa and KOMOJU's card page, the slip's deadline for
konbini, days for a bank transfer - with ORDER_TIMEOUT_MINUTES as the fallback;
the result and order pages show the deadline in the buyer's time zone. KOMOJU's
hosted page speaks the buyer's language.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from app.db import utcnow
from app.orders.models import Order
from app.payments.deadlines import payment_deadline
from app.payments.models import PaymentMethod
from tests.support.cart import fill_cart
from tests.support.komoju import sandbox_session


def _method(db, code) -> PaymentMethod:
    return db.session.scalar(select(PaymentMethod).where(PaymentMethod.code == code))


def _minutes(order) -> float:
    return (order.expires_at - order.created_at).total_seconds() / 60


def test_each_method_has_its_own_clock(app, db, factory):
    factory.payment_methods()
    start = dt.datetime(2026, 11, 30, 3, 0, 0)  # 08:45 in Kathmandu, 12:00 in Tokyo
    assert payment_deadline(_method(db, "esewa"), "NPR", start) == start + (
        dt.timedelta(minutes=15)
    )
    assert payment_deadline(_method(db, "komoju_card"), "JPY", start) == start + (
        dt.timedelta(minutes=30)
    )
    # Bank transfer: the end of the third day where the money is paid.
    npr = payment_deadline(_method(db, "bank_transfer"), "NPR", start)
    assert npr == dt.datetime(2026, 12, 3, 18, 14, 59)  # 23:59:59 +05:45
    jpy = payment_deadline(_method(db, "bank_transfer"), "JPY", start)
    assert jpy == dt.datetime(2026, 12, 3, 14, 59, 59)  # 23:59:59 +09:00
    # A method that says nothing falls back to ORDER_TIMEOUT_MINUTES.
    bare = PaymentMethod(code="bare", name="Bare", backend="manual", settings={})
    app.config["ORDER_TIMEOUT_MINUTES"] = 45
    try:
        assert payment_deadline(bare, "NPR", start) == start + dt.timedelta(minutes=45)
    finally:
        app.config["ORDER_TIMEOUT_MINUTES"] = 30


def test_an_esewa_cart_waits_fifteen_minutes_and_a_transfer_days(shop, db):
    fill_cart(shop.api, shop.course)
    data = shop.api.post("/api/orders/checkout", json={"gateway": "esewa"}).get_json()
    order = db.session.get(Order, data["data"]["orderId"])
    assert 14.9 < _minutes(order) < 15.1
    # The buyer pays the same order by bank transfer instead: it gets the
    # transfer's days, counted from when the order was made.
    resp = shop.api.post(
        f"/api/orders/{order.public_id}/checkout",
        json={"key": order.order_key, "gateway": "bank_transfer"},
    )
    assert resp.status_code == 200, resp.get_json()
    db.session.rollback()
    order = db.session.get(Order, order.id)
    assert order.status == "on_hold"
    assert dt.timedelta(days=2) < order.expires_at - order.created_at
    assert order.expires_at == payment_deadline(
        _method(db, "bank_transfer"), "NPR", order.created_at
    )
    assert order.payments[-1].approve_by == order.expires_at


def test_a_konbini_order_holds_until_the_slip_deadline(
    db, factory, api, live_url, jobs
):
    from tests.events.conftest import deliver_webhooks, follow_return, run_ours
    from tests.support.komoju import complete

    factory.payment_methods()
    event, (general, _vip) = factory.event()
    buyer = factory.user(email="buyer@example.com")
    api.login(buyer.email, "secret-pass-1")
    resp = api.post(
        "/api/mobile/events/checkout",
        json={
            "eventId": event.id,
            "tickets": [
                {
                    "ticketTypeId": general.id,
                    "quantity": 1,
                    "attendees": [{"name": "Hanako", "email": "h@example.com"}],
                }
            ],
            "paymentType": "konbini",
        },
        headers={"Accept-Language": "ja"},
    )
    data = resp.get_json()["data"]
    order = db.session.get(Order, data["orderId"])
    assert 59.9 < _minutes(order) < 60.1  # time to choose a store and get a slip
    assert order.locale == "ja"
    session = sandbox_session(live_url, data["gatewayTransactionId"])
    assert session["default_locale"] == "ja"  # KOMOJU's page in Japanese
    follow_return(complete(live_url, data["gatewayTransactionId"], "konbini"))
    deliver_webhooks(jobs)
    run_ours(jobs)
    order = db.session.get(Order, data["orderId"])
    slip = sandbox_session(live_url, data["gatewayTransactionId"])["payment"]
    assert order.status == "on_hold"
    deadline = dt.datetime.fromisoformat(slip["payment_deadline"].replace("Z", ""))
    assert order.expires_at == deadline  # the slip's own deadline, days away
    assert order.expires_at - order.created_at > dt.timedelta(days=1)


def test_english_and_nepali_buyers_get_komojus_english_page(db, factory, api, live_url):
    factory.payment_methods()
    event, (general, _vip) = factory.event()
    buyer = factory.user(email="buyer@example.com")
    api.login(buyer.email, "secret-pass-1")
    for language in ("en", "ne"):
        resp = api.post(
            "/api/mobile/events/checkout",
            json={
                "eventId": event.id,
                "tickets": [
                    {
                        "ticketTypeId": general.id,
                        "quantity": 1,
                        "attendees": [{"name": "Sita", "email": "s@example.com"}],
                    }
                ],
                "paymentType": "credit_card",
            },
            headers={"Accept-Language": language},
        )
        sid = resp.get_json()["data"]["gatewayTransactionId"]
        assert sandbox_session(live_url, sid)["default_locale"] == "en", language


def test_pages_show_the_deadline_in_the_buyers_zone(shop, db, client):
    fill_cart(shop.api, shop.course)
    data = shop.api.post(
        "/api/orders/checkout", json={"gateway": "bank_transfer"}
    ).get_json()["data"]
    order = db.session.get(Order, data["orderId"])
    client.set_cookie("tz", "Asia/Tokyo")
    for url in (
        f"/payments/result/{order.public_id}?key={order.order_key}",
        f"/orders/{order.public_id}?key={order.order_key}",
    ):
        page = client.get(url).get_data(as_text=True)
        iso = order.expires_at.isoformat() + "Z"
        assert f'datetime="{iso}"' in page, url
        # In Nepal time (where the transfer is paid) and in the buyer's own.
        assert "Nepal Time" in page and "Japan Time" in page, url
    result = client.get(
        f"/payments/result/{order.public_id}?key={order.order_key}"
    ).get_data(as_text=True)
    assert 'id="result-deadline"' in result
    assert re.search(r"11:59(:59)?\s?PM Nepal Time", result)
    assert utcnow() < order.expires_at
