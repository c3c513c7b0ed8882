"""Apply the order and shipping tables as conditional UPDATEs.

`... WHERE id = ? AND status IN (<allowed from-states>)`: each function returns
True only for the caller whose UPDATE changed the row; that caller alone performs
the side effects of the move, inside the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_

from app.conditional import guarded_update
from app.db import utcnow
from app.orders.models import Order
from app.orders.shipping_states import SHIPPING_LIFECYCLE, SHIPPING_STAMPS
from app.orders.states import ORDER_LIFECYCLE, OrderStatus

# The timestamp column a move to this status stamps.
_ORDER_STAMPS = {OrderStatus.PAID: "paid_at", OrderStatus.CANCELLED: "cancelled_at"}


def order_transition(order_id: int, event: str, **values: Any) -> bool:
    """Move an order along the order table; True only for the winner."""
    target = ORDER_LIFECYCLE.target(event)
    values.setdefault("updated_at", utcnow())
    stamp = _ORDER_STAMPS.get(target)
    if stamp:
        values.setdefault(stamp, utcnow())
    return guarded_update(
        Order,
        order_id,
        Order.status.in_(ORDER_LIFECYCLE.sources(event)),
        status=target,
        **values,
    )


def shipping_transition(order_id: int, event: str, **values: Any) -> bool:
    """Move an order along the shipping table; True only for the winner.

    Every move but "cancel" (the refund of an unshipped order) needs the order
    to be paid: an unpaid, failed or refunded order never ships.
    """
    sources = SHIPPING_LIFECYCLE.sources(event)
    target = SHIPPING_LIFECYCLE.target(event)
    values.setdefault("updated_at", utcnow())
    stamp = SHIPPING_STAMPS.get(target)
    if stamp:
        values.setdefault(stamp, utcnow())
    condition = Order.fulfilment_status.in_([s for s in sources if s is not None])
    if None in sources:
        condition = or_(condition, Order.fulfilment_status.is_(None))
    conditions = [condition]
    if event != "cancel":
        conditions.append(Order.status == OrderStatus.PAID)
    return guarded_update(
        Order, order_id, *conditions, fulfilment_status=target, **values
    )
