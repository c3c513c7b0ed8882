"""The needs_refund queue: paid orders that could not be delivered, resolved by
an admin (refund by gateway or by hand, deliver after all, or dismiss)."""

from __future__ import annotations

from sqlalchemy import select

from app.admin.models import AuditLog
from app.booklets.services import take_stock
from app.catalog.models import Product
from app.orders.models import Order
from app.payments.models import PaymentEvent
from tests.booklets.conftest import buy, latest_order, login, new_client, pay_with_esewa


def flagged_booklet_order(shop, db, live_url, jobs) -> Order:
    """A paid booklet order whose copies were sold meanwhile."""
    login(shop.client, shop.customer)
    buy(shop.client, shop.booklet, 2)
    order = latest_order()
    assert take_stock(shop.booklet.id, 5)
    db.session.commit()
    pay_with_esewa(live_url, order.payments[0], jobs)
    order = db.session.get(Order, order.id)
    assert order.needs_refund and order.status == "paid"
    return order


def resolve(client, order, how, reason=""):
    return client.post(
        f"/admin/needs_refund/{order.id}/resolve",
        data={"how": how, "reason": reason},
        follow_redirects=True,
    ).get_data(as_text=True)


def actions(db) -> list[str]:
    db.session.rollback()
    return [
        a.action for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id))
    ]


def test_queue_lists_flagged_orders_with_the_reason(shop, db, app, live_url, jobs):
    order = flagged_booklet_order(shop, db, live_url, jobs)
    admin = new_client(app)
    login(admin, shop.admin)
    page = admin.get("/admin/needs_refund/").get_data(as_text=True)
    assert order.public_id in page
    assert "paid after the goods were released and sold out" in page
    home = admin.get("/admin/").get_data(as_text=True)
    assert 'data-count="needs_refund">1<' in home
    # The customer sees it too.
    customer_page = shop.client.get(f"/orders/{order.public_id}").get_data(as_text=True)
    assert "We could not deliver this order and will refund it by" in customer_page


def test_refund_by_hand_resolves_and_is_audited(shop, db, app, live_url, jobs):
    order = flagged_booklet_order(shop, db, live_url, jobs)
    admin = new_client(app)
    login(admin, shop.admin)
    # eSewa cannot refund by API: the admin is told so and nothing changes.
    page = resolve(admin, order, "gateway", "sold out")
    assert "eSewa has no refund API" in page
    db.session.rollback()
    assert db.session.get(Order, order.id).needs_refund
    page = resolve(admin, order, "by_hand")
    assert "Say how the money was returned" in page
    page = resolve(admin, order, "by_hand", "refunded in the eSewa merchant portal")
    assert "The order was resolved" in page and "No order is waiting" in page
    db.session.rollback()
    order = db.session.get(Order, order.id)
    assert order.status == "refunded" and not order.needs_refund
    assert order.payments[0].status == "refunded"
    # It had taken no stock, so none is given back.
    assert db.session.get(Product, shop.booklet.id).stock == 0
    notes = db.session.scalars(
        select(PaymentEvent.outcome).where(PaymentEvent.order_id == order.id)
    ).all()
    assert "refund_error" not in notes and "refunded_by_hand" in notes
    assert "refund_rejected" in notes  # the refused gateway attempt is on record
    assert actions(db) == ["order.refund_by_hand"]
    entry = db.session.scalar(select(AuditLog))
    assert entry.user_id == shop.admin.id and entry.target == f"Order#{order.id}"


def test_deliver_after_restock(shop, db, app, live_url, jobs):
    order = flagged_booklet_order(shop, db, live_url, jobs)
    admin = new_client(app)
    login(admin, shop.admin)
    page = resolve(admin, order, "deliver", "restocked")
    assert "still not enough stock" in page
    product = db.session.get(Product, shop.booklet.id)
    product.stock = 10
    db.session.commit()
    page = resolve(admin, order, "deliver", "restocked")
    assert "The order was resolved" in page
    db.session.rollback()
    order = db.session.get(Order, order.id)
    assert not order.needs_refund and order.fulfilment_status == "processing"
    assert db.session.get(Product, shop.booklet.id).stock == 8
    assert actions(db) == ["order.deliver_after_all"]
    shipping = admin.get("/admin/shipping/").get_data(as_text=True)
    assert order.public_id in shipping


def test_dismiss_needs_a_reason_and_a_flag(shop, db, app, live_url, jobs):
    order = flagged_booklet_order(shop, db, live_url, jobs)
    admin = new_client(app)
    login(admin, shop.admin)
    assert "Say why no refund is needed" in resolve(admin, order, "dismiss")
    assert "The order was resolved" in resolve(
        admin, order, "dismiss", "customer accepted a later print run"
    )
    assert "not waiting for a refund" in resolve(admin, order, "dismiss", "again")
    assert actions(db) == ["order.dismiss_refund"]
    db.session.rollback()
    assert db.session.get(Order, order.id).status == "paid"
