"""Seed 003's status flow for booklets: NEW → HOLD → PROCESSING → SHIPPED →
DELIVERED → COMPLETED, FAILED when payment fails; illegal jumps are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.admin.models import AuditLog
from app.booklets import services
from app.catalog.models import Product
from app.orders.models import Order
from app.orders.shipping_states import (
    FULFILMENT_STATUSES,
    SHIPPING_LIFECYCLE,
    IllegalTransition,
    next_fulfilment_status,
)
from app.payments.finalise import verify_payment
from app.services_errors import Conflict
from tests.booklets.conftest import (
    buy,
    latest_order,
    login,
    make_auto_approve,
    new_client,
    pay_with_esewa,
)
from tests.conftest import wait_for

EXPECTED = {
    (None, "start"): "processing",
    ("processing", "ship"): "shipped",
    ("shipped", "deliver"): "delivered",
    ("delivered", "complete"): "completed",
    ("processing", "cancel"): "cancelled",
}


@pytest.mark.parametrize("state", [None, *FULFILMENT_STATUSES])
@pytest.mark.parametrize("event", SHIPPING_LIFECYCLE.events)
def test_shipping_table(state, event):
    expected = EXPECTED.get((state, event))
    if expected is None:
        with pytest.raises(IllegalTransition):
            next_fulfilment_status(state, event)
    else:
        assert next_fulfilment_status(state, event) == expected


def shipped_mails(smtp_sink) -> list:
    return [
        m for m in smtp_sink.to("buyer@example.com") if "on its way" in m["Subject"]
    ]


def seed_status(client, order) -> str:
    page = client.get(f"/orders/{order.public_id}").get_data(as_text=True)
    return page.split('data-seed-status="')[1].split('"')[0]


def step(admin_client, order, name, **form):
    return admin_client.post(
        f"/admin/shipping/{order.id}/{name}", data=form, follow_redirects=True
    )


def test_full_flow_new_hold_processing_shipped_delivered_completed(
    shop, db, jobs, smtp_sink, app
):
    client, admin = shop.client, new_client(app)
    login(client, shop.customer)
    login(admin, shop.admin)
    resp = buy(client, shop.booklet, 1, method="bank_transfer")
    assert resp.status_code == 302
    order = latest_order()
    assert seed_status(client, order) == "HOLD"  # the transfer waits for a person
    # The transfer arrives; staff approve it (the method approves on verification).
    make_auto_approve()
    assert verify_payment(order.payments[0].id, "staff") == "paid"
    db.session.commit()
    assert seed_status(client, order) == "PROCESSING"
    page = step(admin, order, "ship", carrier="Nepal Post", tracking_number="NP 123 45")
    assert "Order marked shipped" in page.get_data(as_text=True)
    db.session.rollback()
    order = db.session.get(Order, order.id)
    assert order.fulfilment_status == "shipped" and order.tracking_number == "NP12345"
    customer_page = client.get(f"/orders/{order.public_id}").get_data(as_text=True)
    assert 'data-seed-status="SHIPPED"' in customer_page
    assert "NP12345" in customer_page and "Nepal Post" in customer_page
    jobs.run()
    (shipped,) = wait_for(lambda: shipped_mails(smtp_sink))
    assert "NP12345" in shipped.get_body(("plain",)).get_content()
    step(admin, order, "deliver")
    assert seed_status(client, order) == "DELIVERED"
    step(admin, order, "complete")
    assert seed_status(client, order) == "COMPLETED"
    page = client.get(f"/orders/{order.public_id}").get_data(as_text=True)
    for label in ("NEW", "HOLD", "PROCESSING", "SHIPPED", "DELIVERED"):
        assert f'data-step="{label}" data-state="done"' in page, label
    assert 'data-step="COMPLETED" data-state="current"' in page
    # Each admin step is in the audit log, and a second ship changes nothing.
    db.session.rollback()
    actions = [a.action for a in db.session.scalars(select(AuditLog))]
    assert actions == ["order.ship", "order.deliver", "order.complete"]
    jobs.run()
    assert len(shipped_mails(smtp_sink)) == 1


def test_failed_payment_shows_failed(shop, live_url, jobs):
    login(shop.client, shop.customer)
    buy(shop.client, shop.booklet, 1)
    order = latest_order()
    assert seed_status(shop.client, order) == "NEW"
    pay_with_esewa(live_url, order.payments[0], jobs, outcome="failure")
    assert seed_status(shop.client, order) == "FAILED"


@pytest.fixture
def paid_order(shop, db, live_url, jobs):
    login(shop.client, shop.customer)
    buy(shop.client, shop.booklet, 2)
    order = latest_order()
    pay_with_esewa(live_url, order.payments[0], jobs)
    return db.session.get(Order, order.id)


def test_illegal_jumps_are_refused_with_a_clear_message(shop, db, paid_order):
    # Shipping an unpaid order.
    buy(shop.client, shop.booklet, 1)
    unpaid = latest_order()
    with pytest.raises(Conflict) as exc:
        services.ship_order(unpaid.id, "DHL", "123")
    assert exc.value.message == (
        f"Order {unpaid.public_id} cannot be shipped: it is payment pending, "
        "and only paid orders are shipped."
    )
    db.session.rollback()
    # Delivering or completing before shipping.
    with pytest.raises(Conflict) as exc:
        services.mark_delivered(paid_order.id)
    assert "has not been shipped yet (it is processing)" in exc.value.message
    db.session.rollback()
    with pytest.raises(Conflict) as exc:
        services.mark_completed(paid_order.id)
    assert "has not been delivered yet (it is processing)" in exc.value.message
    db.session.rollback()
    # Shipping needs a tracking number.
    with pytest.raises(Exception) as exc:
        services.ship_order(paid_order.id, "DHL", "  ")
    assert exc.value.code == "TRACKING_REQUIRED"
    db.session.rollback()
    services.ship_order(paid_order.id, "DHL", "JD0001")
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        services.ship_order(paid_order.id, "DHL", "JD0002")
    assert exc.value.message.endswith("cannot be shipped: it is already shipped.")
    db.session.rollback()
    with pytest.raises(Conflict) as exc:
        services.mark_completed(paid_order.id)
    assert "has not been delivered yet (it is shipped)" in exc.value.message
    db.session.rollback()
    order = db.session.get(Order, paid_order.id)
    assert order.fulfilment_status == "shipped" and order.tracking_number == "JD0001"


def test_admin_page_shows_the_refusal(shop, db, app, paid_order):
    admin = new_client(app)
    login(admin, shop.admin)
    buy(shop.client, shop.booklet, 1)
    unpaid = latest_order()
    page = step(admin, unpaid, "ship", carrier="DHL", tracking_number="1")
    assert "cannot be shipped: it is payment pending" in page.get_data(as_text=True)
    page = step(admin, paid_order, "complete").get_data(as_text=True)
    assert "has not been delivered yet" in page
    listing = admin.get("/admin/shipping/").get_data(as_text=True)
    assert paid_order.public_id in listing and unpaid.public_id not in listing
    db.session.rollback()
    assert db.session.scalars(select(AuditLog)).all() == []


def test_cancel_before_shipping_refunds_and_restores_stock(shop, db, app, paid_order):
    admin = new_client(app)
    login(admin, shop.admin)
    assert db.session.get(Product, shop.booklet.id).stock == 3
    # eSewa has no refund API: the admin is told, and nothing changes.
    page = admin.post(
        f"/admin/shipping/{paid_order.id}/cancel",
        data={"how": "gateway", "reason": "customer changed their mind"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "eSewa has no refund API" in page
    db.session.rollback()
    assert db.session.get(Order, paid_order.id).status == "paid"
    page = admin.post(
        f"/admin/shipping/{paid_order.id}/cancel",
        data={"how": "by_hand", "reason": "refunded from the eSewa portal"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "copies are back in stock" in page
    db.session.rollback()
    order = db.session.get(Order, paid_order.id)
    assert order.status == "refunded" and order.fulfilment_status == "cancelled"
    assert order.payments[0].status == "refunded"
    assert db.session.get(Product, shop.booklet.id).stock == 5
    assert seed_status(shop.client, order) == "REFUNDED"
    actions = [a.action for a in db.session.scalars(select(AuditLog))]
    assert actions == ["order.refund_by_hand", "order.cancel"]
    # A second cancel is refused: nothing is restored twice.
    page = admin.post(
        f"/admin/shipping/{paid_order.id}/cancel",
        data={"how": "by_hand", "reason": "again"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "cannot be cancelled here" in page
    db.session.rollback()
    assert db.session.get(Product, shop.booklet.id).stock == 5


def test_refund_after_shipping_keeps_stock(shop, db, paid_order):
    from app.orders import fulfilment
    from app.orders.transitions import order_transition

    services.ship_order(paid_order.id, "DHL", "JD0001")
    assert order_transition(paid_order.id, "refund")
    fulfilment.refunded(db.session.get(Order, paid_order.id))
    db.session.commit()
    assert db.session.get(Product, shop.booklet.id).stock == 3
    assert db.session.get(Order, paid_order.id).fulfilment_status == "shipped"
