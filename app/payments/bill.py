"""Seed 003's *bill*: one payment attempt as the payment-method layer sees it."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.payments.models import Payment, PaymentMethod


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def bill_dict(payment: Payment) -> dict:
    """id, backend, amount (minor units), transaction_id, extra, next_step,
    verified, created_at, updated_at — exactly the seed's fields; `extra` holds
    the relationships (order and payment method) and the attempt's state."""
    method_pk = db.session.scalar(
        select(PaymentMethod.id).where(PaymentMethod.code == payment.method)
    )
    order = payment.order
    return {
        "id": payment.id,
        "backend": payment.gateway,
        "amount": payment.amount,
        "transaction_id": payment.gateway_txn_id,
        "extra": {
            "order_pk": order.id,
            "order_id": order.public_id,
            "payment_method_pk": method_pk,
            "payment_method": payment.method,
            "currency": payment.currency,
            "status": payment.status,
            "initiation_type": payment.initiation_type,
            "gateway_reference": payment.gateway_reference,
        },
        "next_step": payment.next_step,
        "verified": payment.verified,
        "created_at": _iso(payment.created_at),
        "updated_at": _iso(payment.updated_at),
    }
