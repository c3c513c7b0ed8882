"""Outbox topic handlers of the payments side (wired in `app.composition`).

Each handler verifies with the gateway through `app.payments.finalise` and then
decides what happens next. This is the retry layer for "the gateway has no final
answer yet" (still pending, failed but possibly completing late, or not
answering): verification is booked again with `PAYMENT_RETRY_BACKOFF` until the
attempt settles, then handed to a person. A handler that crashes is the other
layer's business: the outbox retries the job (`app.outbox.relay`).
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select, update

from app.db import utcnow
from app.extensions import db
from app.orders.models import Order
from app.orders.states import OPEN_ORDER_STATUSES, OrderStatus
from app.outbox.services import emit
from app.payments.attempts import live_payments
from app.payments.audit import log_event
from app.payments.cancellation import TIMEOUT, cancel_order
from app.payments.finalise import verify_payment
from app.payments.gateways.base import GatewayError
from app.payments.models import Payment
from app.payments.states import PaymentStatus, is_settled

# Outcomes of `verify_payment` after which the gateway may still change its mind.
# "not-started": the gateway has no record of a young attempt (finalise); the
# customer may still pay it, so keep looking as for a failure.
_UNSETTLED = frozenset({"pending", "not-started", "payment-failed", "order-failed"})
# Outcomes of the winning capture (`finalise._capture`): nothing left to book.
_CAPTURED = frozenset({"paid", "paid-needs-refund"})

# How soon auto-cancel looks again when a gateway could not say whether an
# expiring order was paid.
AUTO_CANCEL_RECHECK = dt.timedelta(minutes=5)


def _retry_or_handoff(payment_id: int, attempt: int, why: str) -> None:
    """Book the next verification with backoff, or hand the attempt to a person."""
    backoff = current_app.config["PAYMENT_RETRY_BACKOFF"]
    payment = db.session.get(Payment, payment_id)
    if attempt >= len(backoff):
        db.session.execute(
            update(Payment).where(Payment.id == payment_id).values(next_verify_at=None)
        )
        log_event(
            gateway=payment.gateway,
            kind="note",
            payment=payment,
            outcome="verification_exhausted",
            detail=f"{why}; {attempt} automatic checks done, needs a person",
        )
        return
    due = utcnow() + dt.timedelta(seconds=backoff[attempt])
    db.session.execute(
        update(Payment).where(Payment.id == payment_id).values(next_verify_at=due)
    )
    emit(
        "order.payment_retry",
        {"payment_id": payment_id, "attempt": attempt + 1, "source": "retry"},
        available_at=due,
        dedupe_key=f"retry-{payment_id}-{attempt + 1}",
    )


def _verify_and_follow_up(payment_id: int, source: str, attempt: int) -> str:
    try:
        outcome = verify_payment(payment_id, source, attempt)
    except GatewayError as exc:
        _retry_or_handoff(payment_id, attempt, f"gateway unavailable: {exc}")
        return "gateway-unavailable"
    if outcome in _CAPTURED:
        return outcome  # the capture cleared next_verify_at in its own UPDATE
    order_status = db.session.scalar(
        select(Order.status).join(Payment).where(Payment.id == payment_id)
    )
    # Not final: a late completion is possible (seed 000), so keep checking.
    # A cancelled order whose gateway also says no is settled: stop asking.
    settled_no = order_status == OrderStatus.CANCELLED and outcome != "pending"
    if outcome in _UNSETTLED and not settled_no:
        _retry_or_handoff(payment_id, attempt, outcome)
    else:
        db.session.execute(
            update(Payment).where(Payment.id == payment_id).values(next_verify_at=None)
        )
    return outcome


def handle_payment_success(payment_id: int, source: str = "redirect") -> str:
    """`order.payment_success`: verify with the gateway, then mark paid and fulfil."""
    return _verify_and_follow_up(payment_id, source, 0)


def handle_payment_failed(payment_id: int, source: str = "redirect") -> str:
    """`order.payment_failed`: confirm the failure with the gateway, mark it, and
    book retry verification in case the payment completes late."""
    return _verify_and_follow_up(payment_id, source, 0)


def handle_payment_retry(
    payment_id: int, attempt: int = 0, source: str = "retry"
) -> str:
    """`order.payment_retry`: verification only, bounded attempts with backoff."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or is_settled(payment.status):
        return "already-final"
    if payment.status == PaymentStatus.AUTHORIZED:
        return "on-hold"  # konbini: the webhook and the deadline own it now
    return _verify_and_follow_up(payment_id, source, attempt)


def handle_payment_authorized(payment_id: int, source: str = "webhook") -> str:
    """`order.payment_authorized`: a slip was issued; verify and put on hold."""
    return _verify_and_follow_up(payment_id, source, 0)


def handle_payment_expired(payment_id: int, source: str = "webhook") -> str:
    """`order.payment_expired`: verify the lapse; an on-hold order is cancelled."""
    return _verify_and_follow_up(payment_id, source, 0)


def handle_auto_cancel(order_id: int) -> str:
    """`order.auto_cancel`: cancel only if still unpaid at its deadline, after one
    last status check of every live attempt (seed 000/001's abandonment case)."""
    order = db.session.get(Order, order_id)
    if order is None or order.status not in OPEN_ORDER_STATUSES:
        return "nothing-to-do"
    if order.expires_at > utcnow() + dt.timedelta(seconds=2):
        return "not-due"  # the deadline moved (konbini slip); a later event owns it
    for payment in live_payments(order):
        if payment.gateway_txn_id is None:
            continue
        try:
            verify_payment(payment.id, source="auto_cancel")
        except GatewayError:
            # Never cancel blind while the gateway cannot tell us: look again soon.
            emit(
                "order.auto_cancel",
                {"order_id": order.id},
                available_at=utcnow() + AUTO_CANCEL_RECHECK,
            )
            return "postponed"
    db.session.refresh(order)
    if order.status not in OPEN_ORDER_STATUSES:
        return "paid-meanwhile"
    return "cancelled" if cancel_order(order.id, TIMEOUT) else "raced"
