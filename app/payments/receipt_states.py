"""Bank-transfer receipts: money that arrived in the shop's account.

Each receipt (typed in by staff, or one line of an imported bank statement) is
matched against the transfer reference the buyer was given. An exact, timely
amount for an order still on hold pays it at once (*matched*); anything else -
short, over, late, an unknown or already paid reference - waits for a person
(*review*), who either takes it as the payment (*accepted*) or sends the money
back (*returned*).
"""

from __future__ import annotations

from enum import StrEnum

from app.lifecycle import Lifecycle


class ReceiptStatus(StrEnum):
    MATCHED = "matched"
    REVIEW = "review"
    ACCEPTED = "accepted"
    RETURNED = "returned"


class ReceiptProblem(StrEnum):
    """Why a receipt waits for a person."""

    SHORT = "short"  # less than the order's total
    OVER = "over"  # more than the total: the order is paid, the rest goes back
    LATE = "late"  # after the deadline, or the order was cancelled meanwhile
    UNKNOWN_REFERENCE = "unknown_reference"
    ALREADY_PAID = "already_paid"  # a second transfer for a paid order
    CURRENCY = "currency"  # not the order's currency


RECEIPT_STATUSES = tuple(ReceiptStatus)

RECEIPT_LIFECYCLE: Lifecycle[ReceiptStatus] = Lifecycle(
    "bank receipt",
    {
        "match": ({None}, ReceiptStatus.MATCHED),
        "queue": ({None}, ReceiptStatus.REVIEW),
        "accept": ({ReceiptStatus.REVIEW}, ReceiptStatus.ACCEPTED),
        "return": ({ReceiptStatus.REVIEW}, ReceiptStatus.RETURNED),
    },
)
