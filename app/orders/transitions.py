"""Apply the state table as conditional UPDATEs: `... WHERE id=? AND status IN (...)`.

Each function returns True only for the caller whose UPDATE changed the row; that
caller alone performs the side effects of the move, inside the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm.util import identity_key

from app.db import utcnow
from app.extensions import db
from app.orders.models import Order
from app.orders.states import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    SHIPPING_TRANSITIONS,
)
from app.payments.models import Payment


def order_transition(order_id: int, event: str, **values: Any) -> bool:
    allowed, target = ORDER_TRANSITIONS[event]
    values.setdefault("updated_at", utcnow())
    if target == "paid":
        values.setdefault("paid_at", utcnow())
    if target == "cancelled":
        values.setdefault("cancelled_at", utcnow())
    result = db.session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status.in_(allowed))
        .values(status=target, **values)
        .execution_options(synchronize_session=False)
    )
    changed = result.rowcount == 1
    if changed:
        _refresh(Order, order_id)
    return changed


def payment_transition(payment_id: int, event: str, **values: Any) -> bool:
    allowed, target = PAYMENT_TRANSITIONS[event]
    values.setdefault("updated_at", utcnow())
    result = db.session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.status.in_(allowed))
        .values(status=target, **values)
        .execution_options(synchronize_session=False)
    )
    changed = result.rowcount == 1
    if changed:
        _refresh(Payment, payment_id)
    return changed


def _refresh(model, pk: int) -> None:
    obj = db.session.identity_map.get(identity_key(model, pk))
    if obj is not None:
        db.session.expire(obj)


def shipping_transition(order_id: int, event: str, **values: Any) -> bool:
    """Move an order along the shipping table; True only for the winner.

    Every move but "cancel" (the refund of an unshipped order) needs the order
    to be paid: an unpaid, failed or refunded order never ships.
    """
    allowed, target = SHIPPING_TRANSITIONS[event]
    values.setdefault("updated_at", utcnow())
    stamp = {
        "shipped": "shipped_at",
        "delivered": "delivered_at",
        "completed": "completed_at",
    }.get(target)
    if stamp:
        values.setdefault(stamp, utcnow())
    states = [s for s in allowed if s is not None]
    condition = Order.fulfilment_status.in_(states)
    if None in allowed:
        condition = or_(condition, Order.fulfilment_status.is_(None))
    conditions = [Order.id == order_id, condition]
    if event != "cancel":
        conditions.append(Order.status == "paid")
    result = db.session.execute(
        update(Order)
        .where(*conditions)
        .values(fulfilment_status=target, **values)
        .execution_options(synchronize_session=False)
    )
    changed = result.rowcount == 1
    if changed:
        _refresh(Order, order_id)
    return changed
