"""What the back-office pages list: read-only queries, kept out of the views."""

from __future__ import annotations

from sqlalchemy import func, select

from app.admin.models import AuditLog
from app.catalog.models import Product
from app.extensions import db
from app.orders.models import Order
from app.orders.shipping_states import OPEN_SHIPPING_STATUSES
from app.orders.states import OrderStatus
from app.outbox.models import OutboxEvent
from app.outbox.states import EventStatus
from app.payments.models import PaymentEvent

# What an admin may prepare an order for (trainings and events have their own
# flows: seats and tickets are chosen by the customer).
ORDERABLE_TYPES = ("course", "digital_book", "booklet")


def _count(query) -> int:
    return db.session.scalar(query) or 0


def _booklets_to_ship():
    return (
        Order.kind == "booklet",
        Order.status == OrderStatus.PAID,
        Order.fulfilment_status.in_(OPEN_SHIPPING_STATUSES),
    )


def attention_counts() -> dict[str, int]:
    """The home page's counters: what is waiting for a person."""
    return {
        "needs_refund": _count(
            select(func.count(Order.id)).where(Order.needs_refund.is_(True))
        ),
        "to_ship": _count(select(func.count(Order.id)).where(*_booklets_to_ship())),
        "outbox_failed": _count(
            select(func.count(OutboxEvent.id)).where(
                OutboxEvent.status == EventStatus.FAILED
            )
        ),
        "outbox_pending": _count(
            select(func.count(OutboxEvent.id)).where(
                OutboxEvent.status == EventStatus.PENDING
            )
        ),
    }


def recent_changes(limit: int = 10) -> list[AuditLog]:
    return list(
        db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(limit))
    )


def orders_needing_refund() -> tuple[list[Order], dict[int, str]]:
    """Flagged orders, soonest deadline first, with why each was flagged."""
    orders = list(
        db.session.scalars(
            select(Order)
            .where(Order.needs_refund.is_(True))
            .order_by(Order.refund_by, Order.id)
        )
    )
    reasons = {
        e.order_id: e.detail
        for e in db.session.scalars(
            select(PaymentEvent)
            .where(
                PaymentEvent.outcome == "needs_refund",
                PaymentEvent.order_id.in_([o.id for o in orders] or [0]),
            )
            .order_by(PaymentEvent.id)
        )
    }
    return orders, reasons


def booklet_orders(open_only: bool, limit: int = 200) -> list[Order]:
    """Booklet orders, newest first; `open_only`: paid and not yet completed."""
    query = select(Order).where(Order.kind == "booklet").order_by(Order.id.desc())
    if open_only:
        query = query.where(*_booklets_to_ship())
    return list(db.session.scalars(query.limit(limit)))


def digital_books() -> list[Product]:
    return list(
        db.session.scalars(
            select(Product).where(Product.type == "digital_book").order_by(Product.id)
        )
    )


def orderable_products() -> list[Product]:
    return list(
        db.session.scalars(
            select(Product)
            .where(Product.active.is_(True), Product.type.in_(ORDERABLE_TYPES))
            .order_by(Product.title)
        )
    )
