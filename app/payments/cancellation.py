"""Cancelling an unpaid order: the order, its live attempts and its goods, once.

Cancellation lives on the payments side because an order cannot be cancelled
without closing the payment attempts that could still pay it.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.i18n.labels import label
from app.mail.services import queue_email
from app.orders import fulfilment
from app.orders.models import Order
from app.orders.states import OPEN_ORDER_STATUSES
from app.orders.transitions import order_transition
from app.payments.attempts import live_payments
from app.payments.audit import log_event
from app.payments.models import Payment
from app.payments.transitions import payment_transition
from app.services_errors import Conflict

# The reason auto-cancel gives: its attempts expire rather than being cancelled.
TIMEOUT = "timeout"
BY_CUSTOMER = "cancelled by customer"
# What `finalise` gives when the gateway closed an on-hold attempt.
GATEWAY_EXPIRED = "payment expired at the gateway"
GATEWAY_CANCELLED = "payment cancelled at the gateway"

# Reason -> what the customer's email says happened (anything else: the shop
# cancelled it).
_CAUSES = {
    TIMEOUT: "expired",
    GATEWAY_EXPIRED: "expired",
    GATEWAY_CANCELLED: "gateway",
    BY_CUSTOMER: "customer",
}


def lock_orders(order_ids: list[int]) -> None:
    """Lock the orders' payments, then the orders, in id order (PostgreSQL).

    The global lock order (docs/architecture.md, "Lock order"): payments, then
    orders, then what they hold (cohorts, ticket types, stock), then promotions.
    A capture takes them in that order by nature; a cancellation (order first)
    and an enrollment's sweep of several expired holds take theirs up front
    with this, so the two can never wait for each other in a cycle.
    SQLite ignores FOR UPDATE: its writers are serialised anyway.
    """
    if not order_ids:
        return
    db.session.execute(
        select(Payment.id)
        .where(Payment.order_id.in_(order_ids))
        .order_by(Payment.id)
        .with_for_update()
    ).all()
    db.session.execute(
        select(Order.id)
        .where(Order.id.in_(order_ids))
        .order_by(Order.id)
        .with_for_update()
    ).all()


def cancel_order(order_id: int, reason: str) -> bool:
    """Cancel an unpaid order: close its live attempts and release what it holds.

    True only for the caller whose transition won; that caller alone releases
    seats, tickets or stock (`fulfilment.cancelled`).
    """
    lock_orders([order_id])
    if not order_transition(order_id, "cancel", cancel_reason=reason[:200]):
        return False
    order = db.session.get(Order, order_id)
    event = "expire" if reason == TIMEOUT else "cancel"
    for payment in live_payments(order):
        payment_transition(payment.id, event)
    fulfilment.cancelled(order)
    log_event(
        gateway="storefront",
        kind="note",
        order_id=order.id,
        outcome="order_cancelled",
        detail=reason,
    )
    cause = _CAUSES.get(reason, "shop")
    if order.customer_email:
        queue_email(
            f"cancelled-order-{order.id}",
            order.customer_email,
            "order_expired" if cause == "expired" else "order_cancelled",
            {"order_id": order.id, "cause": cause},
        )
    return True


def user_cancel(order: Order) -> None:
    """The customer cancels their own unpaid order (409 once it is settled)."""
    if order.status not in OPEN_ORDER_STATUSES:
        raise Conflict(
            "ORDER_NOT_CANCELLABLE",
            _("A %(status)s order cannot be cancelled.", status=label(order.status)),
        )
    cancel_order(order.id, BY_CUSTOMER)
