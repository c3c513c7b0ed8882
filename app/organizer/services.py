"""The organizer's door onto events and their orders (this domain owns no models).

An event order is an order of kind "event" whose items point at the event's
ticket types. Who may see which event is decided by `app.organizer.access`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from flask_babel import gettext as _
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from app.catalog.models import Event, TicketType
from app.db import utcnow
from app.digits import ascii_int
from app.events.models import Ticket
from app.events.services import queue_ticket_email
from app.extensions import db
from app.i18n.formatting import money as format_money
from app.i18n.labels import label
from app.order_views.refund_form import RefundChoice, carry_out
from app.orders.models import Order, OrderItem
from app.orders.states import OPEN_ORDER_STATUSES, OrderStatus, is_paid
from app.organizer import access
from app.organizer.charts import DayPoint
from app.payments.cancellation import cancel_order
from app.payments.finalise import check_now
from app.payments.models import Payment, PaymentEvent, Refund
from app.payments.refund_states import RefundSource, RefundStatus
from app.services_errors import Conflict, NotFound

PER_PAGE = 25
CHART_DAYS = 30


def organizer_events(user, *roles) -> list[Event]:
    """The events of the organizations where the user has one of the roles."""
    return list(
        db.session.scalars(
            access.visible_events(user, *roles)
            .order_by(Event.starts_at, Event.id)
            .options(selectinload(Event.ticket_types))
        )
    )


def _order_events() -> Select:
    """(order id, event id) for every order item that is a ticket."""
    return (
        select(OrderItem.order_id, TicketType.event_id)
        .join(TicketType, TicketType.id == OrderItem.ticket_type_id)
        .distinct()
    )


def _event_order_ids(event_id: int) -> Select:
    return (
        select(OrderItem.order_id)
        .join(TicketType, TicketType.id == OrderItem.ticket_type_id)
        .where(TicketType.event_id == event_id)
    )


# --- dashboard numbers ------------------------------------------------------------


@dataclass
class EventSummary:
    event: Event
    capacity: int = 0
    sold: int = 0
    reserved: int = 0
    seats_left: int = 0
    paid_orders: int = 0
    open_orders: int = 0
    sales: int = 0  # minor units: totals of orders that are paid (not refunded)
    refunded: int = 0  # minor units: totals of refunded orders
    needs_refund: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def summarise(events: list[Event]) -> list[EventSummary]:
    """Per event: ticket counts per type (from the capacity counters) and sales."""
    summaries = {e.id: EventSummary(event=e) for e in events}
    for s in summaries.values():
        for t in s.event.ticket_types:
            s.capacity += t.quantity_total
            s.sold += t.quantity_sold
            s.reserved += t.reserved
            s.seats_left += t.seats_left
    if not summaries:
        return []
    pairs = _order_events().subquery()
    rows = db.session.execute(
        select(
            pairs.c.event_id,
            Order.status,
            func.count(Order.id),
            func.coalesce(func.sum(Order.total), 0),
            func.coalesce(
                func.sum(case((Order.needs_refund.is_(True), 1), else_=0)), 0
            ),
        )
        .join(Order, Order.id == pairs.c.order_id)
        .where(Order.kind == "event", pairs.c.event_id.in_(list(summaries)))
        .group_by(pairs.c.event_id, Order.status)
    )
    for event_id, status, count, total, flagged in rows:
        s = summaries[event_id]
        s.by_status[status] = int(count)
        s.needs_refund += int(flagged)
        if status == "paid":
            s.paid_orders = int(count)
            s.sales = int(total)
        elif status == "refunded":
            s.refunded = int(total)
        elif status in OPEN_ORDER_STATUSES:
            s.open_orders += int(count)
    return list(summaries.values())


def sales_totals(summaries: list[EventSummary]) -> dict[str, int]:
    """Net sales per currency across the given events."""
    totals: dict[str, int] = {}
    for s in summaries:
        totals[s.event.currency] = totals.get(s.event.currency, 0) + s.sales
    return totals


def _day(value) -> dt.date:
    # PostgreSQL returns a date, SQLite the text "YYYY-MM-DD".
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def sales_per_day(
    event_ids: list[int], days: int = CHART_DAYS, today: dt.date | None = None
) -> dict[str, list[DayPoint]]:
    """Paid orders of the events per `paid_at` day (UTC), per currency, with
    every day of the window present (zero where nothing sold)."""
    today = today or utcnow().date()
    first = today - dt.timedelta(days=days - 1)
    if not event_ids:
        return {}
    pairs = select(OrderItem.order_id).join(
        TicketType, TicketType.id == OrderItem.ticket_type_id
    )
    paid_day = func.date(Order.paid_at)
    rows = db.session.execute(
        select(Order.currency, paid_day, func.sum(Order.total), func.count(Order.id))
        .where(
            Order.kind == "event",
            Order.status == OrderStatus.PAID,
            Order.paid_at >= dt.datetime.combine(first, dt.time.min),
            Order.id.in_(pairs.where(TicketType.event_id.in_(event_ids))),
        )
        .group_by(Order.currency, paid_day)
    )
    found: dict[str, dict[dt.date, tuple[int, int]]] = {}
    for currency, day, total, count in rows:
        found.setdefault(currency, {})[_day(day)] = (int(total), int(count))
    series = {}
    for currency, by_day in found.items():
        series[currency] = [
            DayPoint(d, *by_day.get(d, (0, 0)))
            for d in (first + dt.timedelta(days=i) for i in range(days))
        ]
    return series


def empty_series(days: int = CHART_DAYS, today: dt.date | None = None):
    today = today or utcnow().date()
    first = today - dt.timedelta(days=days - 1)
    return [DayPoint(first + dt.timedelta(days=i), 0, 0) for i in range(days)]


# --- order list and export -----------------------------------------------------


def orders_query(event: Event, status: str = "", q: str = "") -> Select:
    """The event's orders, newest first, filtered by status (or "needs_refund", the
    queue of paid orders that could not be delivered) and a search text that
    matches the customer's name or email, an attendee's name or email, a ticket
    code, the public id, or the numeric id."""
    query = select(Order).where(
        Order.kind == "event", Order.id.in_(_event_order_ids(event.id))
    )
    if status == "needs_refund":
        query = query.where(Order.needs_refund.is_(True))
    elif status:
        query = query.where(Order.status == status)
    q = q.strip()
    if q:
        terms = [
            Order.customer_name.icontains(q, autoescape=True),
            Order.customer_email.icontains(q, autoescape=True),
            func.lower(Order.public_id) == q.lower(),
            Order.id.in_(
                select(Ticket.order_id).where(
                    or_(
                        Ticket.attendee_name.icontains(q, autoescape=True),
                        Ticket.attendee_email.icontains(q, autoescape=True),
                        Ticket.code == q.replace(" ", "").replace("-", "").upper(),
                    )
                )
            ),
        ]
        number = q.lstrip("#")
        order_id = ascii_int(number, 9)
        if order_id is not None:
            terms.append(Order.id == order_id)
        query = query.where(or_(*terms))
    return query.order_by(Order.id.desc())


@dataclass
class OrderPage:
    orders: list[Order]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def list_orders(event: Event, status: str, q: str, page: int) -> OrderPage:
    query = orders_query(event, status, q)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    orders = db.session.scalars(
        query.options(selectinload(Order.items))
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return OrderPage(list(orders), page, pages, total)


# --- the order page ----------------------------------------------------------------


@dataclass
class OrderView:
    order: Order
    event: Event
    tickets: list[Ticket]
    attendees: list[dict]  # from the order items, shown while no tickets exist
    payments: list[Payment]
    timeline: dict[int | None, list[PaymentEvent]]  # by payment id; None = order
    type_names: dict[int, str]


def _attendee(raw, item: OrderItem) -> dict:
    if isinstance(raw, dict):
        name = raw.get("name") or raw.get("attendee_name") or ""
        email = raw.get("email") or raw.get("attendee_email") or ""
    else:
        name, email = str(raw), ""
    return {"item": item.title, "name": name, "email": email}


def order_view(order: Order, event: Event) -> OrderView:
    tickets = list(
        db.session.scalars(
            select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.id)
        )
    )
    attendees = [
        _attendee(raw, item) for item in order.items for raw in item.attendees or []
    ]
    payment_ids = [p.id for p in order.payments]
    events = db.session.scalars(
        select(PaymentEvent)
        .where(
            or_(
                PaymentEvent.order_id == order.id,
                PaymentEvent.payment_id.in_(payment_ids),
            )
        )
        .order_by(PaymentEvent.id)
    )
    timeline: dict[int | None, list[PaymentEvent]] = {}
    for e in events:
        timeline.setdefault(e.payment_id, []).append(e)
    return OrderView(
        order,
        event,
        tickets,
        attendees,
        list(order.payments),
        timeline,
        {t.id: t.name for t in event.ticket_types},
    )


# --- actions -------------------------------------------------------------------------


def resend_tickets(order: Order, tag: str) -> None:
    """Book the ticket email again; `tag` makes a new dedupe key, and the same
    tag (a double submit of one form) books it only once."""
    if not is_paid(order.status):
        raise Conflict(
            "ORDER_NOT_PAID",
            _(
                "Tickets exist only for paid orders; this one is %(status)s.",
                status=label(order.status),
            ),
        )

    queue_ticket_email(order, f"organizer-{tag}")


def cancel_unpaid(order: Order) -> None:
    if order.status not in OPEN_ORDER_STATUSES:
        raise Conflict(
            "ORDER_NOT_CANCELLABLE",
            _(
                "A %(status)s order cannot be cancelled; refund it instead.",
                status=label(order.status),
            )
            if is_paid(order.status)
            else _(
                "A %(status)s order cannot be cancelled.", status=label(order.status)
            ),
        )
    if not cancel_order(order.id, "cancelled by organizer"):
        raise Conflict("ORDER_NOT_CANCELLABLE", _("This order changed; reload it."))


def refund(order: Order, choice: RefundChoice, actor_id: int | None) -> Refund:
    """The whole order, some tickets or an amount, through the gateway (or
    recorded with the reference of a refund made elsewhere)."""
    if not choice.reason:
        choice = replace(choice, reason="refunded by organizer")
    return carry_out(order, choice, actor_id)


def refund_done(refund: Refund) -> str:
    """The flash message after a refund."""
    money = format_money(refund.amount, refund.currency)
    if refund.status != RefundStatus.SUCCEEDED:
        return _("This refund is already being made.")
    if refund.source == RefundSource.RECORDED:
        return _("The refund of %(money)s was recorded.", money=money)
    if refund.order.status == OrderStatus.REFUNDED:
        return _("The order was refunded through the payment gateway.")
    return _("%(money)s was refunded through the payment gateway.", money=money)


def check_payment(order: Order, payment_id: int) -> str:
    if payment_id not in {p.id for p in order.payments}:
        raise NotFound("PAYMENT_NOT_FOUND", _("No such payment on this order."))
    return check_now(payment_id)
