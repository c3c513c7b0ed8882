"""The append-only `payment_events` log: every message from or to a gateway, and
every decision taken about an attempt, stored before it is acted on."""

from __future__ import annotations

from app.extensions import db
from app.payments.models import Payment, PaymentEvent


def log_event(
    *,
    gateway: str,
    kind: str,
    payment: Payment | None = None,
    order_id: int | None = None,
    outcome: str = "",
    detail: str = "",
    body: str = "",
    signature_valid: bool | None = None,
    event_id: str | None = None,
) -> PaymentEvent:
    """Add one timeline entry (kind: redirect | webhook | status_check | outbound
    | note) and flush it, so a unique event id is claimed right here."""
    event = PaymentEvent(
        payment_id=payment.id if payment else None,
        order_id=order_id
        if order_id is not None
        else (payment.order_id if payment else None),
        gateway=gateway,
        kind=kind,
        outcome=outcome[:40],
        detail=detail[:2000],
        body=body[:20000],
        signature_valid=signature_valid,
        event_id=event_id,
    )
    db.session.add(event)
    db.session.flush()
    return event
