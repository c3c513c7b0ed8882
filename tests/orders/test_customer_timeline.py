"""Customers see a plain timeline (issue #15); the technical log is for staff."""

from __future__ import annotations

from app.payments.audit import log_event
from app.payments.models import Payment
from tests.booklets.conftest import make_auto_approve
from tests.downloads.test_downloads import buy
from tests.support.factories import PASSWORD


def test_the_customer_reads_what_happened_without_internals(client, factory, db, app):
    factory.payment_methods()
    make_auto_approve()
    user = factory.user()
    admin = factory.user(role="admin")
    order = buy(user, factory.product("course", title="Python Basics"))
    payment = db.session.query(Payment).filter_by(order_id=order.id).one()
    for _ in range(3):
        log_event(
            gateway="esewa",
            kind="status_check",
            payment=payment,
            outcome="not_found",
            detail="handoff created (form_post to http://127.0.0.1/_sandbox/esewa)",
        )
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    page = client.get(f"/orders/{order.public_id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    assert "Order placed" in timeline and "Payment received" in timeline
    for internal in ("status check", "not found", "http://", "_sandbox", "next check"):
        assert internal not in page.lower()
    assert 'id="staff-log"' not in page
    staff = app.test_client()
    staff.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert 'id="staff-log"' in staff.get(f"/orders/{order.public_id}").get_data(True)
