"""What a paid booklet order delivers: copies taken from stock, then shipping.

These hooks run inside the transaction whose conditional UPDATE won the order's
transition (`app.orders.fulfilment`), so each runs once per order.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from app.booklets.services import restore_stock, take_stock
from app.conditional import guarded_update
from app.db import utcnow
from app.extensions import db
from app.orders.fulfilment import RefundedLines
from app.orders.models import Order
from app.orders.shipping_states import ShippingStatus
from app.orders.transitions import shipping_transition

log = logging.getLogger(__name__)


class _OutOfStock(Exception):
    pass


def paid(order: Order, late: bool) -> bool:
    """Take every line's copies (all or none) and start processing.

    False when a line finds too few copies: the order stays paid and is flagged
    `needs_refund` by the caller — flagged, not lost.
    """
    try:
        with db.session.begin_nested():
            for item in order.items:
                if item.product_id is not None and not take_stock(
                    item.product_id, item.quantity
                ):
                    raise _OutOfStock(item.title)
            if not shipping_transition(order.id, "start"):
                raise _OutOfStock("already processing")
    except _OutOfStock as exc:
        log.warning("booklet order %s paid but not deliverable: %s", order.id, exc)
        return False
    except IntegrityError:  # the CHECK constraint, should the UPDATE ever slip
        log.exception("booklet order %s: stock constraint", order.id)
        return False
    return True


def refunded(order: Order, lines: RefundedLines = None) -> None:
    """Refunded copies that are still in the warehouse go back to stock.

    When nothing is left to ship the shipment is cancelled too. Once the order
    has shipped, the copies have left and stay counted.
    """
    everything = lines is None or all(item.kept_quantity == 0 for item in order.items)
    if lines is None:
        lines = {item.id: item.quantity for item in order.items}
    if everything:
        if not shipping_transition(order.id, "cancel"):
            return
    elif not guarded_update(
        Order,
        order.id,
        Order.fulfilment_status == ShippingStatus.PROCESSING,
        updated_at=utcnow(),
    ):
        return  # shipped (or never processed): nothing is in the warehouse
    for item in order.items:
        n = lines.get(item.id, 0)
        if n > 0 and item.product_id is not None:
            restore_stock(item.product_id, n)


def cancelled(order: Order) -> None:
    """Unpaid orders never took stock, so there is nothing to give back."""
