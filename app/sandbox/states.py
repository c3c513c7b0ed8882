"""Every status the gateway simulators keep, and the moves between them.

The simulators store their records as JSON in Redis, so a status read back is a
plain string. A `StrEnum` member compares equal to that string and is written as
its value, so code compares with names, never with literals: a typo is an
AttributeError at import time instead of a branch that silently never runs.

Each lifecycle has one table of `(status, event) -> new status`. The stores ask
`next_status()` before they change a record; an event missing from a table is an
`IllegalMove`, which each simulator answers the way its real gateway does (a 409
page, a 422 API error, or "leave it as it is").
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

S = TypeVar("S", bound=StrEnum)


class IllegalMove(Exception):
    """The event does not apply to a record in this status."""

    def __init__(self, current: str, event: str) -> None:
        super().__init__(f"{event} is not possible while {current}")
        self.current = current
        self.event = event


def next_status(table: Mapping[tuple[str, str], S], current: str, event: str) -> S:
    """The status `event` leads to from `current`, or IllegalMove."""
    try:
        return table[(current, event)]
    except KeyError:
        raise IllegalMove(current, event) from None


# --- eSewa ePay v2 (gateways.md 1.7) -------------------------------------------


class EsewaStatus(StrEnum):
    """A transaction as eSewa's status API reports it (CANCELED has one L)."""

    PENDING = "PENDING"
    COMPLETE = "COMPLETE"
    FULL_REFUND = "FULL_REFUND"
    PARTIAL_REFUND = "PARTIAL_REFUND"
    AMBIGUOUS = "AMBIGUOUS"
    NOT_FOUND = "NOT_FOUND"
    CANCELED = "CANCELED"


# Money moved at eSewa: these carry a ref_id and spend the transaction_uuid.
ESEWA_MONEY_MOVED = frozenset(
    {
        EsewaStatus.COMPLETE,
        EsewaStatus.FULL_REFUND,
        EsewaStatus.PARTIAL_REFUND,
        EsewaStatus.AMBIGUOUS,
        EsewaStatus.CANCELED,
    }
)

ESEWA_MOVES: dict[tuple[str, str], EsewaStatus] = {
    # The merchant posts the form (again): a new or abandoned attempt restarts.
    (EsewaStatus.PENDING, "start"): EsewaStatus.PENDING,
    (EsewaStatus.NOT_FOUND, "start"): EsewaStatus.PENDING,
    # The customer pays; a replayed click keeps the completed transaction.
    (EsewaStatus.PENDING, "pay"): EsewaStatus.COMPLETE,
    (EsewaStatus.NOT_FOUND, "pay"): EsewaStatus.COMPLETE,
    (EsewaStatus.COMPLETE, "pay"): EsewaStatus.COMPLETE,
    # The customer gives up: the session ends at eSewa as NOT_FOUND.
    (EsewaStatus.PENDING, "abandon"): EsewaStatus.NOT_FOUND,
    (EsewaStatus.NOT_FOUND, "abandon"): EsewaStatus.NOT_FOUND,
}


# --- KOMOJU (gateways.md 2.2-2.5) ------------------------------------------------


class KomojuSessionStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class KomojuPaymentStatus(StrEnum):
    """The seven payment statuses of KOMOJU's SDK enum."""

    PENDING = "pending"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    FAILED = "failed"


KOMOJU_SESSION_MOVES: dict[tuple[str, str], KomojuSessionStatus] = {
    (KomojuSessionStatus.PENDING, "complete"): KomojuSessionStatus.COMPLETED,
    (KomojuSessionStatus.PENDING, "cancel"): KomojuSessionStatus.CANCELLED,
}

KOMOJU_PAYMENT_MOVES: dict[tuple[str, str], KomojuPaymentStatus] = {
    # The customer pays the konbini slip at the store; KOMOJU captures it.
    (KomojuPaymentStatus.AUTHORIZED, "pay_at_store"): KomojuPaymentStatus.CAPTURED,
    # The merchant captures a card authorised with `capture: manual`.
    (KomojuPaymentStatus.AUTHORIZED, "capture"): KomojuPaymentStatus.CAPTURED,
    # Nobody paid before the deadline.
    (KomojuPaymentStatus.AUTHORIZED, "expire"): KomojuPaymentStatus.EXPIRED,
    (KomojuPaymentStatus.PENDING, "expire"): KomojuPaymentStatus.EXPIRED,
    # The merchant, the customer or KOMOJU cancels money that has not moved.
    (KomojuPaymentStatus.AUTHORIZED, "cancel"): KomojuPaymentStatus.CANCELLED,
    (KomojuPaymentStatus.PENDING, "cancel"): KomojuPaymentStatus.CANCELLED,
    # A partial refund keeps the payment captured; the last one refunds it.
    (KomojuPaymentStatus.CAPTURED, "refund_part"): KomojuPaymentStatus.CAPTURED,
    (KomojuPaymentStatus.CAPTURED, "refund_rest"): KomojuPaymentStatus.REFUNDED,
}

# The webhook that announces each status a payment reaches (gateways.md 2.6).
# A partial refund is the exception: it stays `captured`, so the store names
# `payment.refund.created` itself.
KOMOJU_EVENT_FOR_STATUS = {
    KomojuPaymentStatus.AUTHORIZED: "payment.authorized",
    KomojuPaymentStatus.CAPTURED: "payment.captured",
    KomojuPaymentStatus.FAILED: "payment.failed",
    KomojuPaymentStatus.EXPIRED: "payment.expired",
    KomojuPaymentStatus.REFUNDED: "payment.refunded",
    KomojuPaymentStatus.CANCELLED: "payment.cancelled",
}


# --- payment-session gateway, Cashfree style (gateways.md 3.4-3.5) ---------------


class PaysessionOrderStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PAID = "PAID"
    EXPIRED = "EXPIRED"  # computed on read from order_expiry_time, never stored
    TERMINATED = "TERMINATED"
    TERMINATION_REQUESTED = "TERMINATION_REQUESTED"


class PaysessionPaymentStatus(StrEnum):
    """The attempt statuses the SDK validates; the sandbox produces the first three."""

    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    USER_DROPPED = "USER_DROPPED"
    NOT_ATTEMPTED = "NOT_ATTEMPTED"
    VOID = "VOID"
    CANCELLED = "CANCELLED"
    PENDING = "PENDING"


PAYSESSION_ORDER_MOVES: dict[tuple[str, str], PaysessionOrderStatus] = {
    (PaysessionOrderStatus.ACTIVE, "pay"): PaysessionOrderStatus.PAID,
    # A failed or dropped attempt leaves the order open for another try.
    (PaysessionOrderStatus.ACTIVE, "attempt_failed"): PaysessionOrderStatus.ACTIVE,
    (PaysessionOrderStatus.ACTIVE, "terminate"): PaysessionOrderStatus.TERMINATED,
}


class DeliveryState(StrEnum):
    """Where one webhook delivery stands (shown on the sandbox index pages)."""

    QUEUED = "queued"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    FAILED = "failed"
