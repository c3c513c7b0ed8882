"""Organizer test data: events with orders built directly in the database."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import pytest
from sqlalchemy import update

from app.catalog.models import TicketType
from app.db import utcnow
from app.events.models import Ticket
from app.extensions import db
from app.orders.models import Order
from app.orders.services import LineItem, create_order
from app.orders.transitions import order_transition
from app.payments.models import Payment, PaymentEvent
from tests.support.factories import PASSWORD


def login(client, user) -> None:
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302, resp.get_data(as_text=True)


def make_order(
    types: list[TicketType],
    quantities: dict[int, int] | None = None,
    *,
    status: str = "paid",
    name: str = "Hanako Sato",
    email: str = "hanako@example.com",
    phone: str = "+819012345678",
    gateway: str = "esewa",
    paid_at: dt.datetime | None = None,
    tickets: bool = True,
    with_payment: bool = True,
) -> Order:
    """An event order as checkout would leave it: capacity counted (held while
    unpaid, sold once paid), a captured payment with its messages, and tickets."""
    quantities = quantities or {0: 1}
    items = []
    for index, qty in quantities.items():
        t = types[index]
        attendees = tuple(
            {"name": f"{name} {n + 1}", "email": email} for n in range(qty)
        )
        items.append(
            LineItem(
                title=t.name,
                product_type="ticket",
                unit_price=t.price,
                quantity=qty,
                ticket_type_id=t.id,
                attendees=attendees,
            )
        )
    order = create_order(
        kind="event",
        user_id=None,
        currency=types[0].event.currency,
        items=items,
        customer_name=name,
        customer_email=email,
        customer_phone=phone,
    )
    paid = status in ("paid", "refunded")
    for index, qty in quantities.items():
        if status in ("cancelled", "refunded"):
            continue  # released again
        column = "quantity_sold" if paid else "reserved"
        db.session.execute(
            update(TicketType)
            .where(TicketType.id == types[index].id)
            .values({column: getattr(TicketType, column) + qty})
        )
    if not with_payment:
        assert status == "payment_pending"
        db.session.commit()
        return db.session.get(Order, order.id)
    payment = Payment(
        order_id=order.id,
        gateway=gateway,
        method=gateway,
        amount=order.total,
        currency=order.currency,
        status="pending",
        gateway_txn_id=f"txn-{order.id}-{secrets.token_hex(4)}",
    )
    db.session.add(payment)
    db.session.flush()
    db.session.add(
        PaymentEvent(
            payment_id=payment.id,
            order_id=order.id,
            gateway=gateway,
            kind="outbound",
            outcome="handoff_created",
            detail="redirect to the gateway",
        )
    )
    if paid:
        db.session.add_all(
            [
                PaymentEvent(
                    payment_id=payment.id,
                    order_id=order.id,
                    gateway=gateway,
                    kind="redirect",
                    outcome="captured",
                    signature_valid=True,
                ),
                PaymentEvent(
                    payment_id=payment.id,
                    order_id=order.id,
                    gateway=gateway,
                    kind="status_check",
                    outcome="captured",
                    detail="asked by redirect",
                ),
            ]
        )
        payment.status = "captured"
        payment.captured_amount = order.total
        payment.verified = True
        payment.completed_at = paid_at or utcnow()
        assert order_transition(order.id, "capture", paid_at=paid_at or utcnow())
        if status == "refunded":
            assert order_transition(order.id, "refund")
        if tickets:
            db.session.refresh(order)
            for item in order.items:
                for attendee in item.attendees:
                    db.session.add(
                        Ticket(
                            order_id=order.id,
                            order_item_id=item.id,
                            ticket_type_id=item.ticket_type_id,
                            attendee_name=attendee["name"],
                            attendee_email=attendee["email"],
                            code=secrets.token_hex(8).upper(),
                        )
                    )
    elif status == "failed":
        payment.status = "failed"
        assert order_transition(order.id, "fail")
    elif status == "on_hold":
        payment.status = "authorized"
        assert order_transition(order.id, "hold")
    elif status == "cancelled":
        payment.status = "cancelled"
        assert order_transition(order.id, "cancel", cancel_reason="timeout")
    db.session.commit()
    return db.session.get(Order, order.id)


@dataclass
class World:
    alice: object  # organizer A
    bob: object  # organizer B
    customer: object
    event_a: object
    types_a: list
    event_b: object
    types_b: list


@pytest.fixture
def world(factory) -> World:
    alice = factory.user(role="organizer", name="Alice Organizer")
    bob = factory.user(role="organizer", name="Bob Organizer")
    customer = factory.user(name="Carol Customer")
    event_a, types_a = factory.event(
        organizer=alice, quantities=(100, 10), prices=(3000, 8000)
    )
    event_b, types_b = factory.event(
        organizer=bob, quantities=(50, 5), prices=(2000, 9000)
    )
    return World(alice, bob, customer, event_a, types_a, event_b, types_b)
