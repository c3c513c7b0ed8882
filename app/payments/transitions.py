"""Apply the payment table as conditional UPDATEs (see `app.payments.states`)."""

from __future__ import annotations

from typing import Any

from app.conditional import guarded_update
from app.db import utcnow
from app.payments.models import Payment
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
