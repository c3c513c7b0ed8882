"""Cancelling an event: every paid order refunded through its gateway, every
buyer emailed, progress visible while it runs.

The organizer's request only marks the event cancelled (a conditional UPDATE,
so two clicks cancel once) and books the `event.cancel` job; the job works
through the orders. Each refund goes through `request_refund` with the key
`event-<id>-order-<oid>`, so a job that runs twice refunds nothing twice, and
each email has its own dedupe key. Progress is read from the orders
themselves: how many of the bought ones are refunded by now.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.admin import services as audit
from app.catalog.models import Event, TicketType
from app.conditional import guarded_update
from app.db import utcnow
from app.events.models import WaitlistEntry
from app.events.states import LIVE_WAITLIST_STATUSES, WaitlistStatus
from app.extensions import db
from app.mail.services import queue_email
from app.orders.models import Order, OrderItem
from app.orders.states import OPEN_ORDER_STATUSES, OrderStatus
from app.outbox.services import emit
from app.payments.cancellation import cancel_order
from app.payments.models import Refund
from app.payments.refund_states import RefundStatus
from app.payments.refunds import request_refund
from app.services_errors import Conflict, ServiceError

TOPIC = "event.cancel"
REASON = "event cancelled by the organizer"


def refund_key(event_id: int, order_id: int) -> str:
    return f"event-{event_id}-order-{order_id}"


def cancel_event(event: Event, actor_id: int | None) -> None:
    """Mark the event cancelled and book the refunds; 409 if it already is."""
    if not guarded_update(
        Event, event.id, Event.cancelled_at.is_(None), cancelled_at=utcnow()
    ):
        raise Conflict("EVENT_CANCELLED", _("This event was already cancelled."))
    audit.record("event.cancel", f"Event#{event.id}", {"title": event.title})
    emit(
        TOPIC,
        {"event_id": event.id, "actor_id": actor_id},
        dedupe_key=f"event-cancel-{event.id}",
    )


def _orders(event_id: int) -> list[Order]:
    ids = (
        select(OrderItem.order_id)
        .join(TicketType, TicketType.id == OrderItem.ticket_type_id)
        .where(TicketType.event_id == event_id)
    )
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.kind == "event", Order.id.in_(ids))
            .order_by(Order.id)
        )
    )


def handle_event_cancel(event_id: int, actor_id: int | None = None) -> None:
    """The `event.cancel` job (idempotent): refund paid orders, cancel unpaid
    ones, email every buyer, and close the waiting lists."""
    event = db.session.get(Event, event_id)
    if event is None or event.cancelled_at is None:
        return
    for order in _orders(event_id):
        status = order.status
        if status in OPEN_ORDER_STATUSES:
            cancel_order(order.id, REASON)
        elif status == OrderStatus.PAID:
            try:
                request_refund(
                    order.id,
                    reason=REASON,
                    actor_id=actor_id,
                    key=refund_key(event_id, order.id),
                )
            except ServiceError:
                # A gateway without a refund API: the order stays in the
                # organizer's "to refund" queue, and the progress says so.
                order.needs_refund = True
        elif status != OrderStatus.REFUNDED:
            continue
        queue_email(
            f"event-cancelled-{event_id}-order-{order.id}",
            order.customer_email,
            "event_cancelled",
            {"order_id": order.id, "event_title": event.title},
        )
    type_ids = [t.id for t in event.ticket_types]
    for entry in db.session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.ticket_type_id.in_(type_ids),
            WaitlistEntry.status.in_(LIVE_WAITLIST_STATUSES),
        )
    ):
        entry.status = WaitlistStatus.LEFT
    db.session.flush()


@dataclass(frozen=True)
class Progress:
    bought: int  # orders paid when the event was cancelled (or refunded since)
    refunded: int
    failed: int  # refunds the gateway refused, or that need doing by hand

    @property
    def done(self) -> bool:
        return self.refunded + self.failed >= self.bought

    @property
    def percent(self) -> int:
        return 100 if not self.bought else (100 * self.refunded) // self.bought


def progress(event: Event) -> Progress:
    orders = _orders(event.id)
    bought = [o for o in orders if o.status in (OrderStatus.PAID, OrderStatus.REFUNDED)]
    refunded = sum(1 for o in bought if o.status == OrderStatus.REFUNDED)
    keys = [refund_key(event.id, o.id) for o in bought]
    failed_refunds = (
        db.session.scalar(
            select(func.count(Refund.id)).where(
                Refund.key.in_(keys),
                Refund.status == RefundStatus.FAILED,
            )
        )
        if keys
        else 0
    )
    by_hand = sum(1 for o in bought if o.status == OrderStatus.PAID and o.needs_refund)
    return Progress(len(bought), refunded, int(failed_refunds or 0) + by_hand)
