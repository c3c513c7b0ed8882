"""Refunds made at the gateway's own dashboard, learned from its webhooks.

KOMOJU announces every refund (`payment.refund.created`, `payment.refunded`),
ours included. A webhook only books this job; the job asks the gateway for the
payment (the truth) and compares its list of refunds with ours by the
gateway's refund id. A refund we do not know was made by someone at the
dashboard: it is recorded (source `external`, no lines) and takes effect like
any other - when it leaves nothing, the order is refunded and its goods taken
back. While one of our own refunds for the payment is still open its id is not
known yet, so the comparison waits for it.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.outbox.services import emit
from app.payments.attempts import payment_ref
from app.payments.gateways import base as gw
from app.payments.gateways.registry import get_gateway
from app.payments.models import Payment, Refund
from app.payments.refund_execution import complete_refund
from app.payments.refund_plan import plan_refund, reserve
from app.payments.refund_states import OPEN_REFUND_STATUSES, RefundSource
from app.payments.refund_states import RefundStatus as RS
from app.payments.states import SETTLED_PAYMENT_STATUSES
from app.services_errors import ServiceError

RETRY_AFTER = dt.timedelta(minutes=1)
MAX_ATTEMPTS = 10


def book_refund_sync(payment: Payment, event_id: str) -> None:
    """Called for a verified refund webhook (deduplicated by its event id)."""
    emit(
        "payment.refund_sync",
        {"payment_id": payment.id, "attempt": 0},
        dedupe_key=f"refund-sync-{payment.id}-{event_id}"[:120],
    )


def _again(payment_id: int, attempt: int) -> str:
    if attempt + 1 >= MAX_ATTEMPTS:
        return "gave-up"
    emit(
        "payment.refund_sync",
        {"payment_id": payment_id, "attempt": attempt + 1},
        available_at=utcnow() + RETRY_AFTER,
        dedupe_key=f"refund-sync-{payment_id}-retry-{attempt + 1}-{utcnow():%H%M%S}",
    )
    return "later"


def _unknown_refunds(payment: Payment, truth: gw.GatewayResult) -> list:
    ours = [r for r in payment.refunds if r.status == RS.SUCCEEDED]
    known = {r.reference for r in ours if r.reference}
    if truth.refunds:
        return [g for g in truth.refunds if g.reference not in known]
    # A gateway that reports only the total refunded.
    total = truth.amount_refunded or 0
    if truth.status == gw.REFUNDED and not total:
        total = payment.captured_amount or payment.amount
    missing = total - sum(r.amount for r in ours)
    if missing <= 0:
        return []
    ref = truth.refund_reference or f"{payment.gateway}-{total}"
    return [gw.GatewayRefund(reference=ref, amount=missing)]


def handle_refund_sync(payment_id: int, attempt: int = 0) -> str:
    """`payment.refund_sync`: record refunds made at the gateway's dashboard."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status not in SETTLED_PAYMENT_STATUSES:
        return "nothing-to-do"
    if any(r.status in OPEN_REFUND_STATUSES for r in payment.refunds):
        return _again(payment_id, attempt)  # ours is in flight: its id comes later
    try:
        truth = get_gateway(payment.gateway).fetch_status(payment_ref(payment))
    except gw.GatewayError:
        return _again(payment_id, attempt)
    recorded = 0
    for found in _unknown_refunds(payment, truth):
        db.session.refresh(payment)
        order = payment.order
        left = (payment.captured_amount or payment.amount) - payment.refund_reserved
        amount = min(found.amount, left)
        if amount <= 0:
            break
        try:
            plan = plan_refund(order, amount=amount, payment_id=payment.id)
        except ServiceError:
            break  # nothing of ours left to match (e.g. the order was refunded)
        key = f"gateway-{payment.gateway}-{found.reference}"[:100]
        if db.session.scalar(select(Refund.id).where(Refund.key == key)):
            continue  # a concurrent run recorded it
        if not reserve(plan):
            return _again(payment_id, attempt)
        refund = Refund(
            order_id=order.id,
            payment_id=payment.id,
            key=key,
            gateway_key=f"ext_{secrets.token_hex(12)}",
            source=RefundSource.EXTERNAL,
            status=RS.REQUESTED,
            amount=plan.amount,
            currency=plan.currency,
            lines=plan.line_list,
            reason="refunded at the gateway",
            reference=found.reference[:120],
        )
        db.session.add(refund)
        db.session.flush()
        complete_refund(refund)
        recorded += 1
    return f"recorded-{recorded}" if recorded else "in-step"
