"""Event tickets (seed 004): choose ticket types and attendees, reserve, pay.

Capacity is the one mechanism of SPEC §9: `quantity_sold + reserved <=
quantity_total`, kept by conditional UPDATEs (and a CHECK constraint as backstop).
Tickets are reserved when the order is created, converted to sold when it is paid
(`app.events.fulfilment.paid`) and released when it is cancelled or expires.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.catalog.models import Event, TicketType
from app.checkout.services import check_return_url
from app.conditional import guarded_update
from app.events import sales
from app.events.models import Ticket
from app.extensions import db
from app.mail.services import queue_email
from app.orders.models import Order, OrderItem
from app.orders.services import LineItem, can_view, create_order
from app.orders.states import PAYABLE_ORDER_STATUSES, OrderStatus
from app.organizer.access import may_see_orders
from app.payments import methods
from app.payments.cancellation import cancel_order
from app.payments.deadlines import payment_deadline
from app.payments.gateways.base import GatewayError, GatewayRejected
from app.payments.gateways.registry import get_gateway
from app.payments.handoff import initiate_payment
from app.payments.models import Payment, PaymentEvent, PaymentMethod
from app.payments.states import ACCEPTED_PAYMENT_STATUSES
from app.promotions.services import PricedLine, apply_promotion
from app.services_errors import Conflict, NotFound, ServiceError
from app.tax.sellers import organization_seller

MAX_PER_TYPE = 10
# The API's `paymentType` -> the payment method code behind it.
PAYMENT_TYPES = {"credit_card": "komoju_card", "konbini": "komoju_konbini"}
EVENT_GATEWAY = "komoju"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str


@dataclass(frozen=True)
class TicketRequest:
    ticket_type_id: int
    quantity: int
    attendees: tuple[Attendee, ...]


@dataclass(frozen=True)
class Buyer:
    name: str
    email: str
    phone: str = ""
    user_id: int | None = None


def _invalid(message: str, details: dict) -> ServiceError:
    return ServiceError("VALIDATION_ERROR", message, 400, details)


def valid_email(value: str) -> bool:
    return bool(value) and len(value) <= 254 and bool(EMAIL_RE.match(value))


# --- reading --------------------------------------------------------------------


def get_event(event_id: int) -> Event:
    event = db.session.scalar(
        select(Event).where(Event.id == event_id, Event.active.is_(True))
    )
    if event is None:
        raise NotFound("EVENT_NOT_FOUND", _("No such event."))
    return event


def event_methods(event: Event) -> list[PaymentMethod]:
    """The ways to pay for this event's tickets: KOMOJU card and konbini."""
    facts = methods.OrderFacts(
        currency=event.currency, total=0, product_types=frozenset({"ticket"})
    )
    return [m for m in methods.methods_for(facts) if m.backend == EVENT_GATEWAY]


def total_sales(event_id: int) -> int:
    """The event's total sales: the totals of its paid orders (minor units)."""
    order_ids = (
        select(OrderItem.order_id)
        .join(TicketType, TicketType.id == OrderItem.ticket_type_id)
        .where(TicketType.event_id == event_id)
    )
    total = db.session.scalar(
        select(func.coalesce(func.sum(Order.total), 0)).where(
            Order.kind == "event",
            Order.status == OrderStatus.PAID,
            Order.id.in_(order_ids),
        )
    )
    return int(total or 0)


def event_of(order: Order) -> Event | None:
    type_id = next((i.ticket_type_id for i in order.items if i.ticket_type_id), None)
    if type_id is None:
        return None
    ticket_type = db.session.get(TicketType, type_id)
    return ticket_type.event if ticket_type else None


def may_view(order: Order, user, key: str | None) -> bool:
    """Owner, order key, admin — or a member of the event's organization who
    may see its orders."""
    if can_view(order, user, key):
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    event = event_of(order)
    return event is not None and may_see_orders(user, event)


def find_event_order(public_id: str) -> Order | None:
    order = db.session.scalar(select(Order).where(Order.public_id == public_id))
    return order if order is not None and order.kind == "event" else None


def order_for(public_id: str, user, key: str | None) -> Order:
    """An event order the caller may see; anything else is the same 404."""
    order = db.session.scalar(select(Order).where(Order.public_id == public_id))
    if order is None or order.kind != "event" or not may_view(order, user, key):
        raise NotFound("ORDER_NOT_FOUND", _("No such order."))
    return order


def tickets_of(order: Order) -> list[Ticket]:
    return list(
        db.session.scalars(
            select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.id)
        )
    )


def ticket_for(code: str, user, key: str | None) -> tuple[Ticket, Order]:
    ticket = db.session.scalar(select(Ticket).where(Ticket.code == code))
    order = db.session.get(Order, ticket.order_id) if ticket else None
    if ticket is None or order is None or not may_view(order, user, key):
        raise NotFound("TICKET_NOT_FOUND", _("No such ticket."))
    return ticket, order


def tickets_for_user(user_id: int) -> list[tuple[Ticket, Order]]:
    rows = db.session.execute(
        select(Ticket, Order)
        .join(Order, Order.id == Ticket.order_id)
        .where(Order.user_id == user_id, Order.kind == "event")
        .order_by(Ticket.id.desc())
    )
    return [(t, o) for t, o in rows]


def latest_payment(order: Order) -> Payment | None:
    return max(order.payments, key=lambda p: p.id) if order.payments else None


# --- validation -----------------------------------------------------------------


def method_for_payment_type(payment_type: str) -> PaymentMethod:
    if payment_type not in PAYMENT_TYPES:
        raise _invalid(
            _("paymentType must be credit_card or konbini."),
            {"paymentType": "one of credit_card, konbini"},
        )
    return methods.resolve_method(EVENT_GATEWAY, payment_type)


def check_buyer(buyer: Buyer) -> None:
    problems = {}
    if not buyer.name.strip() or len(buyer.name) > 120:
        problems["customerName"] = "required, at most 120 characters"
    if not valid_email(buyer.email.strip()):
        problems["customerEmail"] = "a valid email address is required"
    if len(buyer.phone) > 32:
        problems["customerPhone"] = "at most 32 characters"
    if problems:
        raise _invalid(_("Please check your name and email."), problems)


def for_buyer(request: TicketRequest, buyer: Buyer) -> TicketRequest:
    """A line without attendees (the API allows it): each ticket is the buyer's."""
    if request.attendees or request.quantity < 1:
        return request
    me = Attendee(buyer.name.strip(), buyer.email.strip())
    return TicketRequest(
        request.ticket_type_id, request.quantity, (me,) * request.quantity
    )


def max_per_order(ticket_type: TicketType) -> int:
    return min(ticket_type.max_per_order or MAX_PER_TYPE, MAX_PER_TYPE)


def check_tickets(
    event: Event, tickets: list[TicketRequest], unlock_code: str | None = None
) -> list[tuple[TicketType, TicketRequest]]:
    """Every line names one of the event's types once (a hidden one only with
    its code), 1..its per-order maximum tickets, and one attendee (name and
    email) per ticket."""
    if not tickets:
        raise _invalid(_("Choose at least one ticket."), {"tickets": "empty"})
    types = {t.id: t for t in sales.visible_types(event, unlock_code)}
    problems: dict[str, str] = {}
    seen: set[int] = set()
    lines = []
    for n, req in enumerate(tickets):
        where = f"tickets[{n}]"
        ticket_type = types.get(req.ticket_type_id)
        if ticket_type is None:
            problems[f"{where}.ticketTypeId"] = "not a ticket type of this event"
            continue
        if req.ticket_type_id in seen:
            problems[f"{where}.ticketTypeId"] = "listed twice"
            continue
        seen.add(req.ticket_type_id)
        if not 1 <= req.quantity <= max_per_order(ticket_type):
            problems[f"{where}.quantity"] = (
                f"between 1 and {max_per_order(ticket_type)}"
            )
            continue
        if len(req.attendees) != req.quantity:
            problems[f"{where}.attendees"] = "one attendee per ticket"
            continue
        for i, attendee in enumerate(req.attendees):
            if not attendee.name.strip() or len(attendee.name) > 120:
                problems[f"{where}.attendees[{i}].name"] = "required"
            if not valid_email(attendee.email.strip()):
                problems[f"{where}.attendees[{i}].email"] = "a valid email address"
        lines.append((ticket_type, req))
    if problems:
        raise _invalid(_("Please check the tickets and attendees."), problems)
    return lines


# --- capacity -------------------------------------------------------------------


def reserve(lines: list[tuple[TicketType, int]]) -> None:
    """Hold `n` tickets of each type, or raise SOLD_OUT (409) and hold nothing
    (the caller's transaction rolls back). Types are locked in id order so two
    orders for the same two types cannot deadlock."""
    for ticket_type, n in sorted(lines, key=lambda line: line[0].id):
        held = guarded_update(
            TicketType,
            ticket_type.id,
            TicketType.quantity_sold + TicketType.reserved + n
            <= TicketType.quantity_total,
            reserved=TicketType.reserved + n,
        )
        if not held:
            left = max(ticket_type.seats_left, 0)
            raise Conflict(
                "SOLD_OUT",
                _(
                    "Not enough '%(name)s' tickets left (%(left)s available, "
                    "%(wanted)s requested).",
                    name=ticket_type.name,
                    left=left,
                    wanted=n,
                ),
                details={
                    "ticketTypeId": ticket_type.id,
                    "ticketType": ticket_type.name,
                    "seatsLeft": left,
                    "requested": n,
                },
            )


# --- checkout -------------------------------------------------------------------


def checkout_event(
    *,
    event_id: int,
    tickets: list[TicketRequest],
    method: PaymentMethod,
    buyer: Buyer,
    return_url: str | None = None,
    web: bool = False,
    unlock_code: str | None = None,
    promo_code: str | None = None,
) -> tuple[Order, Payment]:
    """Create an event order holding its tickets and its first payment attempt.

    A promo code must be one of this event's own promotions; it is priced by
    `app.promotions` exactly as a cart's (limits count open orders; the use is
    recorded on payment), and the discount comes off before tax.

    Any refusal (validation, sold out, method, gateway outage) raises and the
    caller's transaction rolls back: no order, no hold, no payment.
    """
    event = get_event(event_id)
    lines = check_tickets(event, [for_buyer(r, buyer) for r in tickets], unlock_code)
    sales.check_on_sale([t for t, _r in lines])
    if not web:
        check_return_url(return_url)
    check_buyer(buyer)
    if method.backend != EVENT_GATEWAY:
        raise ServiceError(
            "PAYMENT_METHOD_NOT_ALLOWED",
            _("Event tickets are paid by card or konbini."),
            400,
            {"gateway": method.code},
        )
    promo, discount = apply_promotion(
        promo_code,
        [PricedLine(None, "ticket", t.price * r.quantity) for t, r in lines],
        event.currency,
        buyer.user_id,
        event_id=event.id,
    )
    total = sum(t.price * r.quantity for t, r in lines) - discount
    methods.check_method(
        method,
        methods.OrderFacts(event.currency, total, frozenset({"ticket"})),
    )
    reserve([(t, r.quantity) for t, r in lines])
    order = create_order(
        kind="event",
        user_id=buyer.user_id,
        currency=event.currency,
        items=[
            LineItem(
                title=f"{event.title} — {t.name}",
                product_type="ticket",
                unit_price=t.price,
                quantity=r.quantity,
                ticket_type_id=t.id,
                attendees=tuple(
                    {"name": a.name.strip(), "email": a.email.strip()}
                    for a in r.attendees
                ),
            )
            for t, r in lines
        ],
        customer_name=buyer.name.strip(),
        customer_email=buyer.email.strip(),
        customer_phone=buyer.phone.strip(),
        discount=discount,
        promotion_id=promo.id if promo else None,
        return_url=return_url,
        tags={"event_id": event.id},
        expires_at=payment_deadline(method, event.currency),
        seller=organization_seller(event.organization_id),
    )
    if web:
        # The browser comes back to the event's own landing, which knows what
        # "cancelled on the hosted page" means for a ticket order. No order key
        # in it: the landing recognises the browser that placed the order.
        base = current_app.config["PUBLIC_BASE_URL"]
        order.return_url = f"{base}/events/orders/{order.public_id}/return"
    payment = initiate_payment(order, method)
    return order, payment


# --- after the browser returns ---------------------------------------------------

ABANDONED_HINTS = ("pending", "cancelled", "failed", "expired", "not_found")


def settle_return(order: Order) -> bool:
    """The browser is back from KOMOJU. If nobody paid (the customer pressed
    cancel or left the hosted page), close the session at KOMOJU and cancel the
    order, releasing its tickets. Returns True when the order is (now) cancelled.

    What the return said was fetched from KOMOJU by `record_redirect` and stored
    as the redirect event's outcome; a session is only given up after KOMOJU
    confirms it can no longer be paid.
    """

    if order.status == OrderStatus.CANCELLED:
        return True
    if order.status not in PAYABLE_ORDER_STATUSES:
        return False
    payment = latest_payment(order)
    if payment is None or payment.gateway != EVENT_GATEWAY:
        return False
    if payment.status in ACCEPTED_PAYMENT_STATUSES:
        return False
    hint = _return_hint(payment)
    if hint not in ABANDONED_HINTS:
        return False
    if hint == "pending" and payment.gateway_txn_id:
        try:
            closed = get_gateway(EVENT_GATEWAY).cancel_session(payment.gateway_txn_id)
        except (GatewayError, GatewayRejected):
            return False  # cannot tell: the status page keeps checking
        if not closed:
            return False  # paid meanwhile: the normal path finalises it
    return cancel_order(order.id, "payment cancelled on the payment page")


def _return_hint(payment: Payment) -> str | None:
    """What KOMOJU said when the browser came back (the redirect's outcome)."""
    return db.session.scalar(
        select(PaymentEvent.outcome)
        .where(PaymentEvent.payment_id == payment.id, PaymentEvent.kind == "redirect")
        .order_by(PaymentEvent.id.desc())
        .limit(1)
    )


def was_declined(order: Order) -> bool:
    """KOMOJU refused the card of the buyer's latest attempt.

    The session stays `pending` after a decline (its `payment` is null until a
    payment succeeds), so the return itself cannot tell a decline from leaving
    the page; KOMOJU's `payment.failed` webhook for the attempt can. It is sent
    when the card is refused, before the buyer is back in the usual case; when
    it is late, the page says "cancelled" and the buyer still chooses again.
    """
    payment = latest_payment(order)
    if payment is None:
        return False
    return (
        db.session.scalar(
            select(PaymentEvent.id)
            .where(
                PaymentEvent.payment_id == payment.id,
                PaymentEvent.kind == "webhook",
                PaymentEvent.outcome == "payment.failed",
            )
            .limit(1)
        )
        is not None
    )


# --- email ------------------------------------------------------------------------


def queue_ticket_email(order: Order, resend_tag: str | None = None) -> None:
    """Book the tickets email (once per order; a resend tag makes a new one)."""
    key = f"tickets-order-{order.id}"
    if resend_tag:
        tag = str(resend_tag)
        if len(tag) > 60:  # the outbox and mail keys hold 120 characters
            tag = hashlib.sha256(tag.encode()).hexdigest()[:32]
        key = f"{key}-resend-{tag}"

    queue_email(key, order.customer_email, "tickets", {"order_id": order.id})


def queue_attendee_emails(order: Order, tickets: list[Ticket]) -> None:
    """Each attendee gets their own ticket (the buyer's email has them all)."""
    buyer = (order.customer_email or "").strip().lower()
    for ticket in tickets:
        if ticket.attendee_email.strip().lower() == buyer:
            continue
        queue_email(
            f"ticket-{ticket.id}",
            ticket.attendee_email,
            "ticket_attendee",
            {"order_id": order.id, "ticket_id": ticket.id},
        )
