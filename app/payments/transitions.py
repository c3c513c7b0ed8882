"""Apply the payment, refund and bank-receipt tables as conditional UPDATEs."""

from __future__ import annotations

from typing import Any

from app.conditional import guarded_update
from app.db import utcnow
from app.payments.models import BankReceipt, Payment, Refund
from app.payments.receipt_states import RECEIPT_LIFECYCLE
from app.payments.refund_states import REFUND_LIFECYCLE
from app.payments.states import PAYMENT_LIFECYCLE


def payment_transition(payment_id: int, event: str, **values: Any) -> bool:
    """Move an attempt along the payment table; True only for the winner, which
    alone performs the move's side effects."""
    values.setdefault("updated_at", utcnow())
    return guarded_update(
        Payment,
        payment_id,
        Payment.status.in_(PAYMENT_LIFECYCLE.sources(event)),
        status=PAYMENT_LIFECYCLE.target(event),
        **values,
    )


def refund_transition(refund_id: int, event: str, **values: Any) -> bool:
    """Move a refund along its table (`app.payments.refund_states`); True only
    for the caller that changed the row."""
    values.setdefault("updated_at", utcnow())
    return guarded_update(
        Refund,
        refund_id,
        Refund.status.in_(REFUND_LIFECYCLE.sources(event)),
        status=REFUND_LIFECYCLE.target(event),
        **values,
    )


def receipt_transition(receipt_id: int, event: str, **values: Any) -> bool:
    """Move a bank receipt along its table (`app.payments.receipt_states`)."""
    return guarded_update(
        BankReceipt,
        receipt_id,
        BankReceipt.status.in_(
            [s for s in RECEIPT_LIFECYCLE.sources(event) if s is not None]
        ),
        status=RECEIPT_LIFECYCLE.target(event),
        **values,
    )
