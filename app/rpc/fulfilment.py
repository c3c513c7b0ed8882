"""Paid service orders (seed 002's PaymentService): nothing to ship.

The merchant system owns what was sold; it learns the outcome from
VerifyPayment (and the Order / Payment reads). A paid service order can always
be "delivered", so a late capture never needs a refund on our side.
"""

from __future__ import annotations

from app.orders.models import Order


def paid(order: Order, late: bool) -> bool:
    return True


def held(order: Order) -> None:
    """Nothing is reserved for a service order."""


def cancelled(order: Order) -> None:
    """Nothing to release."""
