"""What a paid, cancelled or refunded event order does to its tickets.

Called by `app.orders.fulfilment` inside the transaction whose conditional UPDATE
won the order's transition, so each function runs once per order.
"""

from __future__ import annotations

from sqlalchemy import select

from app.catalog.models import TicketType
from app.conditional import guarded_update
from app.db import utcnow
from app.events import waitlist
from app.events.models import Ticket
from app.events.services import queue_attendee_emails, queue_ticket_email
from app.events.tickets import new_code
from app.extensions import db
from app.orders.fulfilment import RefundedLines
from app.orders.models import Order, OrderItem
from app.payments.audit import log_event


class _CannotTake(Exception):
    pass


def _lines(order: Order) -> list[OrderItem]:
    items = [i for i in order.items if i.ticket_type_id is not None]
    return sorted(items, key=lambda i: i.ticket_type_id)


def _convert_holds(order: Order) -> bool:
    """Turn the order's reservations into sold tickets (held -> sold)."""
    for item in _lines(order):
        n = item.quantity
        if not guarded_update(
            TicketType,
            item.ticket_type_id,
            TicketType.reserved >= n,
            reserved=TicketType.reserved - n,
            quantity_sold=TicketType.quantity_sold + n,
        ):
            raise _CannotTake(item.ticket_type_id)
    return True


def _take_again(order: Order) -> bool:
    """A late capture after the order was cancelled: its holds went back, so take
    the tickets again only if they are still free."""
    for item in _lines(order):
        n = item.quantity
        if not guarded_update(
            TicketType,
            item.ticket_type_id,
            TicketType.quantity_sold + TicketType.reserved + n
            <= TicketType.quantity_total,
            quantity_sold=TicketType.quantity_sold + n,
        ):
            raise _CannotTake(item.ticket_type_id)
    return True


def _note(order: Order, outcome: str, detail: str) -> None:
    log_event(
        gateway="storefront",
        kind="note",
        order_id=order.id,
        outcome=outcome,
        detail=detail,
    )


def issue_tickets(order: Order) -> list[Ticket]:
    """One ticket per attendee, each with a unique random code."""
    existing = db.session.scalar(select(Ticket.id).where(Ticket.order_id == order.id))
    if existing is not None:
        return []
    issued = []
    for item in _lines(order):
        attendees = list(item.attendees or [])
        for n in range(item.quantity):
            person = attendees[n] if n < len(attendees) else {}
            ticket = Ticket(
                order_id=order.id,
                order_item_id=item.id,
                ticket_type_id=item.ticket_type_id,
                attendee_name=(person.get("name") or order.customer_name)[:120],
                attendee_email=(person.get("email") or order.customer_email)[:254],
                code=new_code(),
            )
            db.session.add(ticket)
            issued.append(ticket)
    db.session.flush()
    return issued


def paid(order: Order, late: bool) -> bool:
    """Count the tickets as sold, issue them and book the tickets email.

    False (nothing issued, nothing counted) when a late capture finds the
    tickets gone: the order is then flagged for a refund by the caller.
    """
    released = order.cancelled_at is not None  # cancelled before: holds released
    try:
        with db.session.begin_nested():
            if released:
                _take_again(order)
            else:
                _convert_holds(order)
    except _CannotTake as exc:
        _note(
            order,
            "tickets_unavailable",
            f"ticket type {exc.args[0]} no longer has enough tickets",
        )
        return False
    tickets = issue_tickets(order)
    _note(order, "tickets_issued", f"{len(tickets)} ticket(s)")
    if order.customer_email:
        queue_ticket_email(order)
    queue_attendee_emails(order, tickets)
    return True


def held(order: Order) -> None:
    """Konbini slip issued: the tickets stay reserved until its deadline."""


def cancelled(order: Order) -> None:
    """Cancelled or expired unpaid order: give its reserved tickets back."""
    for item in _lines(order):
        n = item.quantity
        guarded_update(
            TicketType,
            item.ticket_type_id,
            TicketType.reserved >= n,
            reserved=TicketType.reserved - n,
        )
        waitlist.offer_next(item.ticket_type_id)


def refunded(order: Order, lines: RefundedLines = None) -> None:
    """Refunded tickets are void and go back on sale: all of the order's, or
    `lines[item.id]` of each line (the newest tickets of that line first)."""
    voided = 0
    for item in _lines(order):
        n = item.quantity if lines is None else lines.get(item.id, 0)
        if n <= 0:
            continue
        tickets = list(
            db.session.scalars(
                select(Ticket)
                .where(Ticket.order_item_id == item.id, Ticket.voided_at.is_(None))
                .order_by(Ticket.id.desc())
                .limit(n)
                .with_for_update()
            )
        )
        if not tickets:
            continue  # never issued (needs_refund after a sell-out): none counted
        now = utcnow()
        for ticket in tickets:
            ticket.voided_at = now
        guarded_update(
            TicketType,
            item.ticket_type_id,
            TicketType.quantity_sold >= len(tickets),
            quantity_sold=TicketType.quantity_sold - len(tickets),
        )
        waitlist.offer_next(item.ticket_type_id)
        voided += len(tickets)
    if voided:
        db.session.flush()
        whole = lines is None or all(i.kept_quantity == 0 for i in _lines(order))
        _note(
            order,
            "tickets_void",
            "order refunded; tickets released for sale"
            if whole
            else f"{voided} ticket(s) refunded and released for sale",
        )
