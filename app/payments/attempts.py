"""Finding payment attempts: an order's live ones, the one a gateway means, and
the reference an adapter needs to find an attempt again."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.orders.models import Order
from app.payments.gateways.base import PaymentRef
from app.payments.models import Payment
from app.payments.states import LIVE_PAYMENT_STATUSES, is_captured


def payment_ref(payment: Payment) -> PaymentRef:
    return PaymentRef(
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        gateway_txn_id=payment.gateway_txn_id,
        gateway_reference=payment.gateway_reference,
    )


def live_payments(order: Order) -> list[Payment]:
    """Attempts that may still turn into money."""
    return [p for p in order.payments if p.status in LIVE_PAYMENT_STATUSES]


def captured_payments(order: Order) -> list[Payment]:
    return [p for p in order.payments if is_captured(p.status)]


def find_payment(
    gateway_name: str, txn_id: str | None, reference: str | None
) -> Payment | None:
    """The attempt a gateway message is about: by our transaction id, else by the
    gateway's own reference."""
    if txn_id:
        found = db.session.scalar(
            select(Payment).where(
                Payment.gateway == gateway_name, Payment.gateway_txn_id == txn_id
            )
        )
        if found:
            return found
    if reference:
        return db.session.scalar(
            select(Payment).where(
                Payment.gateway == gateway_name, Payment.gateway_reference == reference
            )
        )
    return None
