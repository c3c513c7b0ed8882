"""Issue #14: partial refunds and refund emails for every kind of order.

Carts (courses and books), trainings and booklets are paid through the eSewa
sandbox, which has no refund API: staff refund them in eSewa's merchant portal
and record the portal's reference in the back office. The goods follow what was
refunded - access, the seat, the stock - and the customer gets one email per
refund. Tickets through KOMOJU are in tests/events/test_refunds_and_cancellation.
"""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from app.catalog.models import Product
from app.library.models import ProductAccess
from app.orders.models import Order
from app.payments.models import Payment, PaymentEvent, Refund
from app.payments.refunds import record_refund, refund_order, request_refund
from app.services_errors import ServiceError
from tests.support import esewa
from tests.support.cart import fill_cart
from tests.support.factories import PASSWORD


def _paid_cart(shop, live_url, jobs, db) -> Order:
    fill_cart(shop.api, shop.course, shop.book)
    resp = shop.api.post("/api/orders/checkout", json={"gateway": "esewa"})
    assert resp.status_code == 200, resp.get_json()
    init = resp.get_json()["data"]
    requests.get(esewa.pay(live_url, init), allow_redirects=False, timeout=10)
    jobs.run()
    order = _reload(db, init["orderId"])
    assert order.status == "paid"
    return order


def _reload(db, order_id) -> Order:
    db.session.rollback()
    return db.session.get(Order, order_id)


def _access(db, user, product) -> ProductAccess | None:
    db.session.rollback()
    return db.session.scalar(
        select(ProductAccess).where(
            ProductAccess.user_id == user.id, ProductAccess.product_id == product.id
        )
    )


def _line(order, product):
    return next(i for i in order.items if i.product_id == product.id)


def _admin(app, factory):
    admin = factory.user(email="admin@example.com", role="admin")
    client = app.test_client()
    resp = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert resp.status_code == 302
    return client


def _form_key(page: str) -> str:
    return re.search(r'name="key" value="([0-9a-f]{32})"', page).group(1)


def test_cart_refunded_line_by_line_in_the_back_office(
    app, shop, factory, live_url, db, jobs, smtp_sink
):
    order = _paid_cart(shop, live_url, jobs, db)
    course, book = _line(order, shop.course), _line(order, shop.book)
    admin = _admin(app, factory)
    page = admin.get(f"/admin/refunds/order/{order.public_id}").get_data(as_text=True)
    # eSewa has no refund API: the form asks for the portal's reference.
    assert "eSewa has no refund API" in page and 'name="reference"' in page
    assert f'name="qty-{course.id}"' in page and f'name="qty-{book.id}"' in page

    resp = admin.post(
        f"/admin/refunds/order/{order.public_id}",
        data={
            "key": _form_key(page),
            f"qty-{course.id}": "1",
            "reference": "ESW-RF-0001",
            "reason": "course cancelled",
        },
        follow_redirects=True,
    )
    assert "The refund went through." in resp.get_data(as_text=True)
    order = _reload(db, order.id)
    assert order.status == "paid"  # the book is kept
    (refund,) = order.refunds
    assert (refund.amount, refund.reference, refund.source) == (
        80000,
        "ESW-RF-0001",
        "recorded",
    )
    assert _access(db, shop.user, shop.course).revoked_at is not None
    assert _access(db, shop.user, shop.book).revoked_at is None
    payment = db.session.get(Payment, order.payments[0].id)
    assert (payment.status, payment.amount_refunded) == ("captured", 80000)

    # The rest (no line chosen: everything left).
    page = admin.get(f"/admin/refunds/order/{order.public_id}").get_data(as_text=True)
    assert f'name="qty-{course.id}"' not in page  # nothing of it is left
    admin.post(
        f"/admin/refunds/order/{order.public_id}",
        data={"key": _form_key(page), "reference": "ESW-RF-0002"},
    )
    order = _reload(db, order.id)
    assert order.status == "refunded" and order.payments[0].status == "refunded"
    assert [r.amount for r in order.refunds] == [80000, 50000]
    assert _access(db, shop.user, shop.book).revoked_at is not None
    page = admin.get(f"/admin/refunds/order/{order.public_id}").get_data(as_text=True)
    assert 'id="nothing-to-refund"' in page
    notes = db.session.scalars(
        select(PaymentEvent.outcome).where(PaymentEvent.order_id == order.id)
    ).all()
    assert notes.count("refunded_by_hand") == 2
    jobs.run()
    subjects = [str(m["Subject"]) for m in smtp_sink.to(shop.user.email)]
    assert subjects[-2:] == [
        f"Part of your order {order.public_id} was refunded",
        f"Your order {order.public_id} was refunded",
    ]
    last = smtp_sink.to(shop.user.email)[-1].get_body(("plain",)).get_content()
    assert "Refund reference: ESW-RF-0002" in last
    assert "Data Handbook × 1" in last
    # The customer's order page lists both refunds.
    mine = shop.api.client.get(
        f"/orders/{order.public_id}?key={order.order_key}"
    ).get_data(as_text=True)
    assert mine.count('class="refund-row"') == 2


def test_esewa_refund_needs_the_portal_reference(shop, live_url, db, jobs):
    order = _paid_cart(shop, live_url, jobs, db)
    with pytest.raises(ServiceError) as info:
        refund_order(order.id, "try the API")
    assert info.value.code == "REFUND_NOT_SUPPORTED"
    assert "merchant portal" in info.value.message
    with pytest.raises(ServiceError) as info:
        record_refund(order.id, reference="  ", reason="no reference")
    assert (info.value.status, info.value.code) == (422, "REFERENCE_REQUIRED")
    db.session.rollback()
    order = _reload(db, order.id)
    assert order.status == "paid" and order.refunds == []


def test_an_amount_alone_keeps_the_goods(shop, live_url, db, jobs):
    order = _paid_cart(shop, live_url, jobs, db)
    refund = record_refund(
        order.id, reference="ESW-GOODWILL", amount=10000, reason="late delivery"
    )
    db.session.commit()
    assert refund.lines == []
    order = _reload(db, order.id)
    assert order.status == "paid"
    assert _access(db, shop.user, shop.course).revoked_at is None
    # What is left is 1200.00: refunding it takes every line back.
    rest = record_refund(order.id, reference="ESW-REST", amount=120000)
    db.session.commit()
    assert sorted(line["quantity"] for line in rest.lines) == [1, 1]
    assert _reload(db, order.id).status == "refunded"
    assert _access(db, shop.user, shop.course).revoked_at is not None


def test_refund_requests_that_cannot_be_made_change_nothing(
    shop, live_url, db, jobs, factory
):
    order = _paid_cart(shop, live_url, jobs, db)
    course = _line(order, shop.course)
    cases = [
        (dict(lines={999999: 1}), 400, "VALIDATION_ERROR"),
        (dict(lines={course.id: 2}), 409, "LINE_ALREADY_REFUNDED"),
        (dict(lines={course.id: -1}), 400, "VALIDATION_ERROR"),
        (dict(amount=0), 400, "VALIDATION_ERROR"),
        (dict(amount=130001), 409, "REFUND_TOO_LARGE"),
        (dict(lines={}), 400, "VALIDATION_ERROR"),
    ]
    for kwargs, status, code in cases:
        with pytest.raises(ServiceError) as info:
            record_refund(order.id, reference="X", **kwargs)
        assert (info.value.status, info.value.code) == (status, code), kwargs
        db.session.rollback()
    unpaid = factory.product("course", price=1000, title="Unpaid")
    assert unpaid.id
    pending = Order(
        public_id="ord_pending",
        order_key="k" * 43,
        kind="cart",
        status="payment_pending",
        subtotal=1000,
        discount=0,
        total=1000,
        currency="NPR",
        expires_at=order.expires_at,
    )
    db.session.add(pending)
    db.session.commit()
    with pytest.raises(ServiceError) as info:
        request_refund(pending.id, reason="nothing paid")
    assert (info.value.status, info.value.code) == (409, "ORDER_NOT_REFUNDABLE")
    db.session.rollback()
    assert db.session.scalars(select(Refund)).all() == []
    assert _reload(db, order.id).status == "paid"


def test_the_same_key_is_the_same_refund(shop, live_url, db, jobs):
    order = _paid_cart(shop, live_url, jobs, db)
    first = record_refund(order.id, reference="ESW-1", amount=5000, key="press-1")
    db.session.commit()
    again = record_refund(order.id, reference="ESW-1", amount=5000, key="press-1")
    db.session.commit()
    assert again.id == first.id
    assert db.session.get(Payment, order.payments[0].id).amount_refunded == 5000
    with pytest.raises(ServiceError) as info:
        record_refund(other_order(db, order), reference="ESW-2", key="press-1")
    assert info.value.code == "IDEMPOTENCY_KEY_REUSED"


def other_order(db, order) -> int:
    """A second paid order of the same customer (a copy of the first)."""
    db.session.rollback()
    copy = Order(
        public_id="ord_copy",
        order_key="c" * 43,
        kind="cart",
        status="paid",
        subtotal=order.subtotal,
        discount=0,
        total=order.total,
        currency=order.currency,
        expires_at=order.expires_at,
    )
    db.session.add(copy)
    db.session.commit()
    return copy.id


def test_booklet_copies_go_back_until_it_ships(db, jobs, live_url, factory, app):
    from app.booklets.services import ship_order
    from tests.booklets.conftest import (
        buy,
        latest_order,
        login,
        new_client,
        pay_with_esewa,
    )

    factory.payment_methods()
    customer = factory.user(email="buyer@example.com", name="Sita")
    booklet = factory.product("booklet", price=45000, validity_days=None, stock=5)
    client = new_client(app)
    login(client, customer)
    buy(client, booklet, 3)
    order = latest_order()
    pay_with_esewa(live_url, order.payments[0], jobs)
    assert db.session.get(Product, booklet.id).stock == 2
    line = order.items[0]
    record_refund(order.id, reference="ESW-B1", lines={line.id: 1})
    db.session.commit()
    order = _reload(db, order.id)
    assert db.session.get(Product, booklet.id).stock == 3  # one copy back
    assert order.fulfilment_status == "processing" and order.status == "paid"
    ship_order(order.id, "Nepal Post", "NP1")
    db.session.commit()
    record_refund(order.id, reference="ESW-B2", lines={line.id: 1})
    db.session.commit()
    assert db.session.get(Product, booklet.id).stock == 3  # shipped: stays out
    assert _reload(db, order.id).fulfilment_status == "shipped"
