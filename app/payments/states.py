"""The payment-attempt lifecycle: statuses and the one table of moves.

Nothing else assigns `Payment.status`: `app.payments.transitions` applies these
moves as conditional UPDATEs, so two finalisers racing on one attempt cannot
both capture it, and a stale "failed" cannot undo a capture.
"""

from __future__ import annotations

from enum import StrEnum

from app.lifecycle import IllegalTransition, Lifecycle


class PaymentStatus(StrEnum):
    CREATED = "created"  # row exists; the gateway hand-off is being made
    PENDING = "pending"  # handed off; waiting for the customer and the gateway
    AUTHORIZED = "authorized"  # konbini slip issued / manual method on hold
    CAPTURED = "captured"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"


PAYMENT_STATUSES = tuple(PaymentStatus)

# An attempt that may still turn into money (an order's live attempts).
LIVE_PAYMENT_STATUSES = frozenset(
    {PaymentStatus.CREATED, PaymentStatus.PENDING, PaymentStatus.AUTHORIZED}
)
# The browser has not been sent to the gateway yet, or is there now.
HANDOFF_STATUSES = frozenset({PaymentStatus.CREATED, PaymentStatus.PENDING})
# Money moved: nothing a gateway says later changes these (verification stops).
SETTLED_PAYMENT_STATUSES = frozenset({PaymentStatus.CAPTURED, PaymentStatus.REFUNDED})
# The gateway said yes at some point (captured, or a slip/hold was issued).
ACCEPTED_PAYMENT_STATUSES = frozenset(
    {PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED, PaymentStatus.REFUNDED}
)
# Ended without money (a late capture may still revive it).
CLOSED_PAYMENT_STATUSES = frozenset(
    {PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED}
)

PAYMENT_LIFECYCLE: Lifecycle[PaymentStatus] = Lifecycle(
    "payment",
    {
        "submit": ({PaymentStatus.CREATED}, PaymentStatus.PENDING),
        "authorize": (
            {PaymentStatus.CREATED, PaymentStatus.PENDING},
            PaymentStatus.AUTHORIZED,
        ),
        # A verified capture wins over any unsettled state, including a failure
        # or expiry reported earlier (the late capture of seed 000).
        "capture": (
            {
                PaymentStatus.CREATED,
                PaymentStatus.PENDING,
                PaymentStatus.AUTHORIZED,
                PaymentStatus.FAILED,
                PaymentStatus.CANCELLED,
                PaymentStatus.EXPIRED,
            },
            PaymentStatus.CAPTURED,
        ),
        "fail": ({PaymentStatus.CREATED, PaymentStatus.PENDING}, PaymentStatus.FAILED),
        "cancel": (LIVE_PAYMENT_STATUSES, PaymentStatus.CANCELLED),
        "expire": (LIVE_PAYMENT_STATUSES, PaymentStatus.EXPIRED),
        "refund": ({PaymentStatus.CAPTURED}, PaymentStatus.REFUNDED),
    },
)


def next_payment_status(current: str, event: str) -> PaymentStatus:
    return PAYMENT_LIFECYCLE.next(current, event)


def is_settled(status: str) -> bool:
    return status in SETTLED_PAYMENT_STATUSES


def is_captured(status: str) -> bool:
    return status == PaymentStatus.CAPTURED


__all__ = [
    "ACCEPTED_PAYMENT_STATUSES",
    "CLOSED_PAYMENT_STATUSES",
    "HANDOFF_STATUSES",
    "IllegalTransition",
    "LIVE_PAYMENT_STATUSES",
    "PAYMENT_LIFECYCLE",
    "PAYMENT_STATUSES",
    "PaymentStatus",
    "SETTLED_PAYMENT_STATUSES",
    "is_captured",
    "is_settled",
    "next_payment_status",
]
