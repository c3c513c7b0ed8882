"""Paid service orders (seed 002's PaymentService): nothing to ship.

The merchant system owns what was sold; it learns the outcome from its
webhook (`order_meta.notify_url`, see `app.rpc.notifications`), from
VerifyPayment and from the Order / Payment reads. A paid service order can
always be "delivered", so a late capture never needs a refund on our side.
"""

from __future__ import annotations

from app.orders.models import Order
from app.payments.models import Payment
from app.payments.states import CLOSED_PAYMENT_STATUSES, is_captured
from app.rpc.notifications import notify_merchant
from app.rpc.states import NotificationType


def _latest(order: Order, captured: bool = False) -> Payment | None:
    attempts = [p for p in order.payments if not captured or is_captured(p.status)]
    return max(attempts, key=lambda p: p.id) if attempts else None


def paid(order: Order, late: bool) -> bool:
    notify_merchant(order, _latest(order, captured=True), NotificationType.SUCCESS)
    return True


def held(order: Order) -> None:
    """Nothing is reserved for a service order."""


def failed(order: Order) -> None:
    """The attempt failed (the buyer may still pay): the merchant is told."""
    notify_merchant(order, _latest(order), NotificationType.FAILED)


def cancelled(order: Order) -> None:
    """Nothing to release; the merchant hears the order will not be paid
    (once per attempt: a failure already reported is not reported again)."""
    payment = _latest(order)
    if payment is None or payment.status in CLOSED_PAYMENT_STATUSES:
        notify_merchant(order, payment, NotificationType.FAILED)
