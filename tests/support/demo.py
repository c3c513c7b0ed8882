"""Demo-like data for page sweeps: `flask seed-demo`'s catalog and logins, plus
one paid order of each kind for the demo customer (through the real payment
core, paid by an auto-approved bank transfer), an email in a file mailbox, and
the link tokens a visitor would hold."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.accounts import recovery
from app.accounts.merchant_keys import create_merchant_key
from app.accounts.models import User, hash_token
from app.admin import services as audit
from app.booklets.services import checkout_booklet
from app.catalog.models import Event, Product, TicketType
from app.cli import SALES_ENDED_SLUG, seed_demo_data
from app.db import utcnow
from app.events.models import Ticket, WaitlistEntry
from app.events.services import reserve
from app.events.states import WaitlistStatus
from app.extensions import db
from app.mail.services import handle_send_email
from app.orders.services import LineItem, create_order
from app.organizer import team
from app.organizer.models import Organization
from app.payments import methods
from app.payments.finalise import verify_payment
from app.payments.handoff import initiate_payment
from app.payments.models import PaymentMethod
from app.promotions.models import Promotion
from app.training.enrollment import EnrollmentRequest, enroll

ADDRESS = {
    "name": "Demo Customer",
    "line1": "Thamel Marg 12",
    "line2": "",
    "city": "Kathmandu",
    "postcode": "44600",
    "country": "Nepal",
    "phone": "+9779800000001",
}


@dataclass
class DemoWorld:
    ids: dict[str, str] = field(default_factory=dict)

    def fill(self, example: str) -> str:
        for name, value in self.ids.items():
            example = example.replace("{" + name + "}", value)
        assert "{" not in example, f"no demo value for {example}"
        return example


def _pay(order) -> None:
    payment = initiate_payment(order, methods.resolve_method("bank_transfer"))
    db.session.commit()
    assert verify_payment(payment.id, "demo") == "paid"
    db.session.commit()


def build(mail_folder: Path) -> DemoWorld:
    seed_demo_data()
    db.session.scalar(
        select(PaymentMethod).where(PaymentMethod.code == "bank_transfer")
    ).auto_approve = True
    db.session.commit()
    customer = db.session.scalar(
        select(User).where(User.email == "customer@example.com")
    )
    course, book = (
        db.session.scalar(select(Product).where(Product.slug == slug))
        for slug in ("python-basics", "data-handbook")
    )
    cart_order = create_order(
        kind="cart",
        user_id=customer.id,
        currency="NPR",
        items=[
            LineItem(p.title, p.type, p.price, product_id=p.id) for p in (course, book)
        ],
        customer_name=customer.name,
        customer_email=customer.email,
    )
    _pay(cart_order)

    event = db.session.scalar(select(Event).where(Event.slug == "tokyo-dev-meetup"))
    general = db.session.scalar(
        select(TicketType).where(TicketType.event_id == event.id).limit(1)
    )
    reserve([(general, 2)])
    event_order = create_order(
        kind="event",
        user_id=customer.id,
        currency=event.currency,
        items=[
            LineItem(
                title=f"{event.title} — {general.name}",
                product_type="ticket",
                unit_price=general.price,
                quantity=2,
                ticket_type_id=general.id,
                attendees=(
                    {"name": "Demo Customer", "email": customer.email},
                    {"name": "Aiko Tanaka", "email": "aiko@example.com"},
                ),
            )
        ],
        customer_name=customer.name,
        customer_email=customer.email,
        tags={"event_id": event.id},
    )
    _pay(event_order)

    booklet = db.session.scalar(
        select(Product).where(Product.slug == "kathmandu-field-guide")
    )
    booklet_order, payment = checkout_booklet(
        customer, booklet.id, 1, ADDRESS, "bank_transfer"
    )
    db.session.commit()
    assert verify_payment(payment.id, "demo") == "paid"
    db.session.commit()

    training = db.session.scalar(
        select(Product).where(Product.slug == "fullstack-bootcamp")
    )
    cohort = training.cohorts[0]
    session = cohort.sessions[0]
    order, payment = enroll(
        customer,
        EnrollmentRequest(
            product_id=training.id,
            cohort_id=cohort.id,
            session_id=session.id,
            gateway="bank_transfer",
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
        ),
    )
    db.session.commit()
    assert verify_payment(payment.id, "demo") == "paid"
    db.session.commit()

    create_merchant_key("Demo merchant")
    audit.record("demo.seed", "demo", {"note": "page sweep"})
    db.session.commit()

    # Issue #17: an event cancelled by its organizer (its progress page), the
    # demo event whose sales closed, and an invitation for the customer.
    organizer = db.session.scalar(
        select(User).where(User.email == "organizer@example.com")
    )
    cancelled = Event(
        organizer_id=organizer.id,
        organization_id=event.organization_id,
        slug="cancelled-demo-event",
        title="Cancelled Meetup",
        venue="Hall",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        currency="JPY",
        active=False,
        cancelled_at=event.created_at,
    )
    db.session.add(cancelled)
    closed = db.session.scalar(select(Event).where(Event.slug == SALES_ENDED_SLUG))
    with current_app.test_request_context():
        organization = db.session.get(Organization, event.organization_id)
        _invitation, invitation_token = team.invite(
            organization, customer.email, "staff", organizer
        )
    # A waiting-list offer for the demo event's VIP ticket (its link token).
    vip = event.ticket_types[-1]
    offer_token = "demo-offer-" + "0" * 20
    db.session.add(
        WaitlistEntry(
            ticket_type_id=vip.id,
            name="Kenji Sato",
            email="kenji@example.com",
            status=WaitlistStatus.OFFERED,
            token_hash=hash_token(offer_token),
            offered_at=utcnow(),
            offer_expires_at=utcnow() + dt.timedelta(hours=24),
        )
    )
    # An organizer's promo code for the demo event (its edit page).
    event_promotion = Promotion(
        code="DEMOEVENT10", kind="percent", value=10, event_id=event.id
    )
    db.session.add(event_promotion)
    db.session.commit()

    ticket = db.session.scalar(select(Ticket).where(Ticket.order_id == event_order.id))
    # The caller points MAIL_URL at `mail_folder` (the development mailbox).
    handle_send_email(
        f"sweep-tickets-{event_order.id}",
        customer.email,
        "tickets",
        {"order_id": event_order.id},
    )
    db.session.commit()
    mail = next(mail_folder.glob("*.eml")).name
    with current_app.test_request_context():
        reset = recovery._serializer(recovery.RESET_SALT).dumps(
            {"u": customer.id, "p": recovery._fingerprint(customer)}
        )
    return DemoWorld(
        {
            "cart_order": cart_order.public_id,
            "cart_order_id": str(cart_order.id),
            "event_order": event_order.public_id,
            "event_order_id": str(event_order.id),
            "booklet_order": booklet_order.public_id,
            "event": str(event.id),
            "session": str(session.id),
            "ticket": ticket.code,
            "customer_id": str(customer.id),
            "reset_token": reset,
            "mail": mail,
            "ticket_type": str(general.id),
            "organization": str(event.organization_id),
            "cancelled_event": str(cancelled.id),
            "closed_event": str(closed.id),
            "invitation": invitation_token,
            "waitlist_offer": offer_token,
            "event_promotion": str(event_promotion.id),
        }
    )
