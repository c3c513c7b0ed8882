"""Issue #14, tickets: a konbini slip KOMOJU cancels releases its tickets and
tells the buyer; a ticket order is refunded one ticket at a time through
KOMOJU (partial refunds), with one email per refund; a refund someone makes at
KOMOJU's dashboard is reconciled from its webhook.

Everything goes over real HTTP: the adapter calls the KOMOJU sandbox on the
live server, the organizer presses the buttons of the organizer page, and the
sandbox's signed webhooks are delivered to our endpoint by its own jobs.
"""

from __future__ import annotations

import re

import requests
from sqlalchemy import select

from app.catalog.models import TicketType
from app.events.models import Ticket
from app.orders.models import Order, OrderItem
from app.payments.models import Payment, PaymentEvent, Refund
from tests.events.conftest import deliver_webhooks, follow_return, init, run_ours
from tests.support.factories import PASSWORD
from tests.support.komoju import (
    cancel_slip,
    complete,
    refund_at_dashboard,
    sandbox_payment,
)


def _reload(db, order_id) -> Order:
    db.session.rollback()
    return db.session.get(Order, order_id)


def _sold(db, ticket_type) -> tuple[int, int]:
    db.session.rollback()
    row = db.session.get(TicketType, ticket_type.id)
    return row.quantity_sold, row.reserved


def _valid_tickets(db, order_id) -> int:
    db.session.rollback()
    return len(
        db.session.scalars(
            select(Ticket).where(
                Ticket.order_id == order_id, Ticket.voided_at.is_(None)
            )
        ).all()
    )


def _subjects(smtp_sink, to="buyer@example.com") -> list[str]:
    return [str(m["Subject"]) for m in smtp_sink.to(to)]


def _paid_by_card(shop, live_url, jobs, db, lines) -> Order:
    data = init(shop, lines, "credit_card")
    follow_return(complete(live_url, data["gatewayTransactionId"], "credit_card"))
    deliver_webhooks(jobs)
    run_ours(jobs)
    order = _reload(db, data["orderId"])
    assert order.status == "paid"
    return order


def _organizer(app, shop):
    client = app.test_client()
    resp = client.post(
        "/login", data={"email": shop.organizer.email, "password": PASSWORD}
    )
    assert resp.status_code == 302
    return client


def _refund_form(client, order) -> dict:
    """The order page's refund form: its key and one quantity field per line."""
    page = client.get(f"/organizer/orders/{order.id}").get_data(as_text=True)
    assert 'id="refund-form"' in page
    key = re.search(r'name="key" value="([0-9a-f]{32})"', page).group(1)
    return {"key": key}


def test_konbini_slip_cancelled_in_the_sandbox_releases_tickets_and_emails(
    shop, live_url, db, jobs, smtp_sink
):
    data = init(shop, [(shop.general, 2)], "konbini")
    oid, sid = data["orderId"], data["gatewayTransactionId"]
    follow_return(complete(live_url, sid, "konbini"))
    deliver_webhooks(jobs)
    run_ours(jobs)
    order = _reload(db, oid)
    assert order.status == "on_hold"
    assert _sold(db, shop.general) == (0, 2)  # held until the slip's deadline

    # KOMOJU cancels the slip (the sandbox's own action), and says so by webhook.
    assert cancel_slip(live_url, sid)["status"] == "cancelled"
    deliver_webhooks(jobs)
    run_ours(jobs)
    order = _reload(db, oid)
    assert order.status == "cancelled"
    assert order.payments[0].status == "cancelled"
    assert _sold(db, shop.general) == (0, 0)  # the tickets are for sale again
    outcomes = db.session.scalars(
        select(PaymentEvent.outcome).where(PaymentEvent.order_id == oid)
    ).all()
    assert "payment.cancelled" in outcomes
    cancelled = [s for s in _subjects(smtp_sink) if "was cancelled" in s]
    assert cancelled == [f"Your order {order.public_id} was cancelled"]
    body = smtp_sink.to("buyer@example.com")[-1].get_body(("plain",)).get_content()
    assert "cancelled at the payment service" in body
    assert "tickets we were holding for you are released" in body
    # A second delivery of the same news changes nothing and sends nothing.
    run_ours(jobs)
    assert len([s for s in _subjects(smtp_sink) if "was cancelled" in s]) == 1


def test_ticket_order_refunded_one_ticket_at_a_time_through_komoju(
    app, shop, live_url, db, jobs, smtp_sink
):
    order = _paid_by_card(shop, live_url, jobs, db, [(shop.general, 2)])
    payment = order.payments[0]
    item = db.session.scalar(select(OrderItem).where(OrderItem.order_id == order.id))
    assert _sold(db, shop.general) == (2, 0) and _valid_tickets(db, order.id) == 2
    before = len(smtp_sink.to("buyer@example.com"))
    organizer = _organizer(app, shop)

    # The first ticket: a partial refund at KOMOJU, the order stays paid.
    form = _refund_form(organizer, order)
    resp = organizer.post(
        f"/organizer/orders/{order.id}/refund",
        data={**form, f"qty-{item.id}": "1", "reason": "guest cannot come"},
    )
    assert resp.status_code == 303
    order = _reload(db, order.id)
    assert order.status == "paid"
    gateway = sandbox_payment(live_url, payment.gateway_reference)
    assert (gateway["status"], gateway["amount_refunded"]) == ("captured", 3000)
    assert _sold(db, shop.general) == (1, 0) and _valid_tickets(db, order.id) == 1
    page = organizer.get(f"/organizer/orders/{order.id}").get_data(as_text=True)
    assert "was refunded through the payment gateway" in page
    # The same form again (a double click) refunds nothing more.
    organizer.post(
        f"/organizer/orders/{order.id}/refund",
        data={**form, f"qty-{item.id}": "1", "reason": "guest cannot come"},
    )
    assert sandbox_payment(live_url, payment.gateway_reference)["amount_refunded"] == (
        3000
    )

    # The second ticket: what is left, so KOMOJU's payment is refunded.
    form = _refund_form(organizer, order)
    organizer.post(
        f"/organizer/orders/{order.id}/refund",
        data={**form, f"qty-{item.id}": "1"},
    )
    order = _reload(db, order.id)
    assert order.status == "refunded" and order.payments[0].status == "refunded"
    gateway = sandbox_payment(live_url, payment.gateway_reference)
    assert (gateway["status"], gateway["amount_refunded"]) == ("refunded", 6000)
    assert len(gateway["refunds"]) == 2
    assert _sold(db, shop.general) == (0, 0) and _valid_tickets(db, order.id) == 0

    # KOMOJU's webhooks for both refunds arrive: they are ours, nothing changes.
    deliver_webhooks(jobs)
    run_ours(jobs)
    refunds = db.session.scalars(select(Refund).where(Refund.order_id == order.id))
    assert [(r.amount, r.status, r.source) for r in refunds] == [
        (3000, "succeeded", "gateway"),
        (3000, "succeeded", "gateway"),
    ]
    assert {r.reference for r in _reload(db, order.id).refunds} == {
        r["id"] for r in gateway["refunds"]
    }
    mails = smtp_sink.to("buyer@example.com")[before:]
    assert [str(m["Subject"]) for m in mails] == [
        f"Part of your order {order.public_id} was refunded",
        f"Your order {order.public_id} was refunded",
    ]
    first = mails[0].get_body(("plain",)).get_content()
    assert "We refunded ¥3,000" in first and "× 1" in first
    assert "Refunded so far: ¥3,000 of ¥6,000" in first
    # The tickets page shows both tickets as refunded.
    sheet = requests.get(
        f"{live_url}/orders/{order.public_id}/tickets?key={order.order_key}",
        timeout=10,
    )
    assert 'id="tickets-void"' in sheet.text


def test_refund_at_the_dashboard_is_reconciled_from_the_webhook(
    shop, live_url, db, jobs, smtp_sink
):
    order = _paid_by_card(shop, live_url, jobs, db, [(shop.vip, 2)])
    payment = order.payments[0]
    # Someone refunds part of it at KOMOJU, outside the shop.
    refund_at_dashboard(live_url, payment.gateway_reference, 5000)
    deliver_webhooks(jobs)  # payment.refund.created
    run_ours(jobs)
    order = _reload(db, order.id)
    assert order.status == "paid"
    (refund,) = order.refunds
    assert (refund.amount, refund.source, refund.lines) == (5000, "external", [])
    assert _sold(db, shop.vip) == (2, 0)  # an amount alone takes no ticket back
    assert db.session.get(Payment, payment.id).amount_refunded == 5000
    # The rest at the dashboard too: the order is refunded, its tickets void.
    refund_at_dashboard(live_url, payment.gateway_reference)
    deliver_webhooks(jobs)  # payment.refunded
    run_ours(jobs)
    order = _reload(db, order.id)
    assert order.status == "refunded"
    assert [r.amount for r in order.refunds] == [5000, 11000]
    assert _sold(db, shop.vip) == (0, 0) and _valid_tickets(db, order.id) == 0
    notes = db.session.scalars(
        select(PaymentEvent.outcome).where(PaymentEvent.order_id == order.id)
    ).all()
    assert notes.count("refunded_at_gateway") == 2
    subjects = [s for s in _subjects(smtp_sink) if "refunded" in s]
    assert len(subjects) == 2
