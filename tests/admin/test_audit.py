"""Admin actions through Flask-Admin, each one recorded in the audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.accounts.models import MerchantKey, User, hash_token
from app.admin.models import AuditLog
from app.catalog.models import (
    Event,
    Product,
    TicketType,
    TrainingCohort,
    TrainingSession,
)
from app.outbox.models import OutboxEvent
from app.payments.models import PaymentMethod
from app.promotions.models import Promotion


def audit(db, action: str | None = None) -> list[AuditLog]:
    db.session.rollback()
    query = select(AuditLog).order_by(AuditLog.id)
    if action:
        query = query.where(AuditLog.action == action)
    return list(db.session.scalars(query))


def post(client, path: str, data: dict):
    resp = client.post(path, data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[-3000:]
    return resp


def test_admin_sets_up_training_event_and_booklet(admin_client, people, db):
    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    later = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    post(
        admin_client,
        "/admin/products/new/",
        {
            "type": "training",
            "slug": "flask-training",
            "title": "Flask in a week",
            "description": "Hands-on",
            "price": "250000",
            "currency": "npr",
            "active": "y",
            "validity_days": "120",
        },
    )
    training = db.session.scalar(
        select(Product).where(Product.slug == "flask-training")
    )
    assert training.currency == "NPR" and training.stock is None
    post(
        admin_client,
        "/admin/cohorts/new/",
        {
            "product_id": str(training.id),
            "name": "May cohort",
            "capacity": "12",
            "starts_on": soon,
            "ends_on": later,
        },
    )
    cohort = db.session.scalar(select(TrainingCohort))
    assert cohort.capacity == 12 and cohort.seats_taken == 0
    post(
        admin_client,
        "/admin/sessions/new/",
        {
            "cohort_id": str(cohort.id),
            "title": "Day 1",
            "starts_at": f"{soon} 09:00:00",
            "content": "Setup",
        },
    )
    assert db.session.scalar(select(TrainingSession)).title == "Day 1"
    post(
        admin_client,
        "/admin/events_admin/new/",
        {
            "organizer_id": str(people.organizer.id),
            "slug": "pycon",
            "title": "PyCon",
            "venue": "Hall A",
            "starts_at": f"{soon} 10:00:00",
            "ends_at": f"{soon} 18:00:00",
            "currency": "JPY",
            "active": "y",
        },
    )
    event = db.session.scalar(select(Event))
    assert event.organizer_id == people.organizer.id
    post(
        admin_client,
        "/admin/ticket_types/new/",
        {
            "event_id": str(event.id),
            "name": "General",
            "price": "3000",
            "quantity_total": "100",
        },
    )
    assert db.session.scalar(select(TicketType)).quantity_total == 100
    post(
        admin_client,
        "/admin/products/new/",
        {
            "type": "booklet",
            "slug": "field-guide",
            "title": "Field Guide",
            "price": "45000",
            "currency": "NPR",
            "active": "y",
            "stock": "40",
        },
    )
    booklet = db.session.scalar(select(Product).where(Product.slug == "field-guide"))
    assert booklet.stock == 40
    entries = audit(db, "create")
    assert [e.target for e in entries] == [
        f"Product#{training.id}",
        f"TrainingCohort#{cohort.id}",
        f"TrainingSession#{db.session.scalar(select(TrainingSession.id))}",
        f"Event#{event.id}",
        f"TicketType#{db.session.scalar(select(TicketType.id))}",
        f"Product#{booklet.id}",
    ]
    assert {e.user_id for e in entries} == {people.admin.id}
    assert entries[-1].detail["stock"] == 40 and entries[-1].created_at
    # The audit log is itself visible in the back office.
    page = admin_client.get("/admin/audit_log/").get_data(as_text=True)
    assert f"Product#{booklet.id}" in page


def test_update_and_delete_are_audited_with_changes(admin_client, people, db, factory):
    product = factory.product("course", price=80000, title="Python Basics")
    post(
        admin_client,
        f"/admin/products/edit/?id={product.id}",
        {
            "type": "course",
            "slug": product.slug,
            "title": "Python Basics",
            "price": "90000",
            "currency": "NPR",
            "active": "y",
            "validity_days": "365",
        },
    )
    (entry,) = audit(db, "update")
    assert entry.target == f"Product#{product.id}"
    assert entry.detail == {"price": [80000, 90000]}
    post(admin_client, "/admin/products/delete/", {"id": str(product.id)})
    (entry,) = audit(db, "delete")
    assert entry.detail["title"] == "Python Basics"
    assert db.session.get(Product, product.id) is None


def test_refused_change_leaves_no_audit_entry(admin_client, db, factory):
    factory.product("course", title="Python Basics")
    resp = admin_client.post(
        "/admin/products/new/",
        data={
            "type": "course",
            "slug": "x",
            "title": "X",
            "price": "100",
            "currency": "NPR",
            "stock": "5",
        },
    )
    assert resp.status_code == 200  # the form again, with the reason
    assert "Only printed booklets have stock" in resp.get_data(as_text=True)
    assert audit(db) == []


def test_promotions_payment_methods_and_users(admin_client, people, db):
    post(
        admin_client,
        "/admin/promotions/new/",
        {
            "code": "SPRING",
            "kind": "percent",
            "value": "15",
            "currency": "",
            "scope": "types",
            "product_types": '["booklet"]',
            "product_ids": "[]",
            "active": "y",
        },
    )
    promo = db.session.scalar(select(Promotion))
    assert promo.product_types == ["booklet"] and promo.value == 15
    post(
        admin_client,
        "/admin/payment_methods/new/",
        {
            "code": "cod",
            "name": "Cash on delivery",
            "backend": "manual",
            "settings": '{"currencies": ["NPR"]}',
            "active": "y",
            "sort_order": "9",
            "description": "",
        },
    )
    method = db.session.scalar(select(PaymentMethod))
    assert method.settings == {"currencies": ["NPR"]}
    post(
        admin_client,
        f"/admin/users/edit/?id={people.customer.id}",
        {
            "name": people.customer.name,
            "email": people.customer.email,
            "phone": "",
            "role": "organizer",
        },
    )
    db.session.rollback()
    assert db.session.get(User, people.customer.id).role == "organizer"
    (entry,) = audit(db, "update")
    assert entry.detail["role"] == ["customer", "organizer"]
    # An admin cannot lock themselves out.
    resp = admin_client.post(
        f"/admin/users/edit/?id={people.admin.id}",
        data={"name": "A", "email": people.admin.email, "role": "customer"},
    )
    assert "cannot remove your own admin role" in resp.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(User, people.admin.id).role == "admin"


def test_merchant_keys_are_shown_once_and_revocable(admin_client, db):
    resp = admin_client.post(
        "/admin/merchant_keys/new/", data={"name": "ERP"}, follow_redirects=True
    )
    page = resp.get_data(as_text=True)
    raw = page.split("shown only once): <code>")[1].split("</code>")[0]
    key = db.session.scalar(select(MerchantKey))
    assert key.key_hash == hash_token(raw) and raw.startswith(key.key_prefix)
    assert raw not in admin_client.get("/admin/merchant_keys/").get_data(as_text=True)
    post(
        admin_client,
        "/admin/merchant_keys/action/",
        {"action": "revoke", "rowid": str(key.id)},
    )
    db.session.rollback()
    assert db.session.get(MerchantKey, key.id).revoked_at is not None
    assert [e.action for e in audit(db)] == ["create", "merchant_key.revoke"]


def test_stuck_outbox_event_is_seen_and_redriven(admin_client, db, jobs, redis_client):
    failed = OutboxEvent(
        topic="orders_maintenance.cleanup_outbox",
        payload={},
        status="failed",
        attempts=5,
        last_error="OperationalError: database is down",
    )
    done = OutboxEvent(topic="email.send", payload={}, status="completed")
    db.session.add_all([failed, done])
    db.session.commit()
    page = admin_client.get("/admin/outbox/").get_data(as_text=True)
    assert "database is down" in page and "email.send" not in page
    post(
        admin_client,
        "/admin/outbox/action/",
        {"action": "redrive", "rowid": [str(failed.id), str(done.id)]},
    )
    db.session.rollback()
    row = db.session.get(OutboxEvent, failed.id)
    assert row.status == "pending" and row.attempts == 0
    (entry,) = audit(db, "outbox.redrive")
    assert entry.target == f"OutboxEvent#{failed.id}"
    jobs.run()  # relayed after the commit: the worker runs it now
    db.session.rollback()
    assert db.session.get(OutboxEvent, failed.id).status == "completed"


def test_read_only_views_filter_and_refuse_edits(admin_client, db, factory):
    from app.orders.models import Order
    from app.orders.services import LineItem, create_order

    create_order(
        kind="cart",
        user_id=None,
        currency="NPR",
        items=[LineItem(title="Book", product_type="digital_book", unit_price=100)],
        customer_email="x@example.com",
    )
    db.session.commit()
    order = db.session.scalar(select(Order))
    page = admin_client.get("/admin/orders_admin/?search=x@example.com")
    assert order.public_id in page.get_data(as_text=True)
    assert order.order_key not in page.get_data(as_text=True)
    details = admin_client.get(f"/admin/orders_admin/details/?id={order.id}")
    assert order.order_key not in details.get_data(as_text=True)
    for view in ("orders_admin", "payments_admin", "payment_events", "audit_log"):
        assert admin_client.get(f"/admin/{view}/new/").status_code in (302, 403, 404)
        resp = admin_client.post(f"/admin/{view}/delete/", data={"id": "1"})
        assert resp.status_code in (302, 403, 404)
    db.session.rollback()
    assert db.session.get(Order, order.id) is not None


def test_row_buttons_redrive_and_revoke(admin_client, db):
    from app.accounts.merchant_keys import create_merchant_key

    failed = OutboxEvent(
        topic="orders_maintenance.cleanup_outbox", payload={}, status="failed"
    )
    pending = OutboxEvent(topic="orders_maintenance.cleanup_outbox", payload={})
    db.session.add_all([failed, pending])
    _raw, key = create_merchant_key("ERP")
    db.session.commit()
    page = admin_client.get("/admin/outbox/").get_data(as_text=True)
    assert f'action="/admin/outbox/redrive/{failed.id}"' in page
    assert f'action="/admin/outbox/redrive/{pending.id}"' not in page
    page = admin_client.post(
        f"/admin/outbox/redrive/{pending.id}", follow_redirects=True
    ).get_data(as_text=True)
    assert "only failed events are re-driven" in page
    page = admin_client.post(
        f"/admin/outbox/redrive/{failed.id}", follow_redirects=True
    ).get_data(as_text=True)
    assert f"Outbox event {failed.id} re-driven" in page
    page = admin_client.get("/admin/merchant_keys/").get_data(as_text=True)
    assert f'action="/admin/merchant_keys/revoke/{key.id}"' in page
    admin_client.post(f"/admin/merchant_keys/revoke/{key.id}")
    db.session.rollback()
    assert db.session.get(MerchantKey, key.id).revoked_at is not None
    assert [e.action for e in audit(db)] == ["outbox.redrive", "merchant_key.revoke"]
