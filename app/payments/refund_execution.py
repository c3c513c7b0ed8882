"""Carrying a refund out: one call to the gateway, then the goods follow.

`execute_refund` claims the refund (requested -> processing) and commits the
claim *before* it calls the gateway: whoever else runs it - a second click, the
outbox job, a worker retry - finds it claimed and does not call again. The call
carries the refund's own idempotency key, so even the job that resumes a refund
whose first caller died mid-call cannot refund twice at the gateway.

`complete_refund` is where a refund takes effect, whatever its source (our API
call, a portal refund staff recorded, a dashboard refund the gateway told us
about): the money counts as given back, the payment and the order become
refunded when nothing is left, the goods of its lines are taken back (access,
seats, tickets, stock) and the customer is emailed.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func

from app.conditional import guarded_update
from app.db import utcnow
from app.extensions import db
from app.invoicing.services import issue_credit_note
from app.mail.services import queue_email
from app.money import format_amount
from app.orders import fulfilment
from app.orders.models import Order
from app.orders.states import is_paid
from app.orders.transitions import order_transition
from app.outbox.services import emit
from app.payments.attempts import captured_payments, payment_ref
from app.payments.audit import log_event
from app.payments.gateways import base as gw
from app.payments.gateways.registry import get_gateway
from app.payments.models import Payment, Refund
from app.payments.refund_plan import release
from app.payments.refund_states import RefundSource, RefundStatus
from app.payments.transitions import payment_transition, refund_transition

# A claim older than this whose refund is still processing is taken to be
# abandoned (its caller died): the job asks the gateway again, with the same
# idempotency key.
STALE_CLAIM = dt.timedelta(minutes=2)
MAX_RESUMES = 10

# What the gateway may answer after a refund it made.
_CONFIRMED = frozenset({gw.REFUNDED, gw.CAPTURED})


class RefundFailed(Exception):
    """The gateway did not refund; the refund is failed and its reservation
    released (flushed, not committed)."""

    def __init__(self, refund: Refund, exc: Exception, rejected: bool):
        super().__init__(str(exc))
        self.refund = refund
        self.rejected = rejected


def book_refund_job(refund: Refund, attempt: int = 0, at: dt.datetime | None = None):
    """The outbox job that finishes a refund nobody finished."""
    emit(
        "payment.refund",
        {"refund_id": refund.id, "attempt": attempt},
        available_at=at,
        dedupe_key=f"refund-{refund.id}-{attempt}",
    )


def execute_refund(refund_id: int, *, resume: bool = False) -> Refund:
    """Claim a requested refund, ask its gateway once, and apply the answer.

    Commits the claim; flushes the outcome (the caller commits). Raises
    RefundFailed when the gateway refused or did not confirm. A refund another
    caller holds is returned as it is.
    """
    refund = db.session.get(Refund, refund_id)
    if resume:
        claimed = refund.claimed_at
        won = guarded_update(
            Refund,
            refund.id,
            Refund.status == RefundStatus.PROCESSING,
            Refund.claimed_at == claimed,
            claimed_at=utcnow(),
        )
    else:
        won = refund_transition(refund.id, "claim", claimed_at=utcnow())
    if not won:
        db.session.refresh(refund)
        return refund
    db.session.commit()  # the claim is on record before the gateway is asked
    payment = db.session.get(Payment, refund.payment_id)
    try:
        result = get_gateway(payment.gateway).refund(
            payment_ref(payment), refund.amount, idempotency_key=refund.gateway_key
        )
        if result.status not in _CONFIRMED:
            raise gw.GatewayError(f"refund answered {result.status}: {result.message}")
    except (gw.GatewayError, gw.GatewayRejected) as exc:
        rejected = isinstance(exc, gw.GatewayRejected)
        fail_refund(refund, str(exc), rejected)
        raise RefundFailed(refund, exc, rejected) from exc
    complete_refund(
        refund,
        reference=result.refund_reference or result.reference,
        body=json.dumps(result.raw, default=str),
    )
    return refund


def fail_refund(refund: Refund, error: str, rejected: bool) -> None:
    """The refund did not happen: release what it reserved, log why."""
    if not refund_transition(refund.id, "fail", error=error[:300]):
        return
    release(refund.payment_id, refund.amount, refund.lines)
    log_event(
        gateway=refund.payment.gateway,
        kind="outbound",
        payment=refund.payment,
        outcome="refund_rejected" if rejected else "refund_error",
        detail=f"{refund.reason}: {error}",
    )


def complete_refund(
    refund: Refund, *, reference: str | None = None, body: str = ""
) -> bool:
    """The money went back: count it, take back the goods, tell the customer.

    True for the one caller that completed it (the rest find it done).
    """
    values: dict[str, Any] = {"completed_at": utcnow()}
    if reference:
        values["reference"] = reference[:120]
    if not refund_transition(refund.id, "succeed", **values):
        return False
    db.session.refresh(refund)
    payment = db.session.get(Payment, refund.payment_id)
    guarded_update(
        Payment,
        payment.id,
        Payment.amount_refunded + refund.amount
        <= func.coalesce(Payment.captured_amount, Payment.amount),
        amount_refunded=Payment.amount_refunded + refund.amount,
        updated_at=utcnow(),
    )
    db.session.refresh(payment)
    if payment.amount_refunded >= (payment.captured_amount or payment.amount):
        payment_transition(payment.id, "refund", message=_note(refund)[:300])
    order = db.session.get(Order, refund.order_id)
    lines = {line["item_id"]: line["quantity"] for line in refund.lines or []}
    if lines:
        fulfilment.refunded(order, lines)
    issue_credit_note(order, refund.id, lines, refund.amount)
    db.session.refresh(order)
    if is_paid(order.status) and not captured_payments(order):
        order_transition(order.id, "refund", needs_refund=False, refund_by=None)
    _log(refund, payment, body)
    if order.customer_email:
        queue_email(
            f"refund-{refund.id}",
            order.customer_email,
            "order_refunded",
            {"order_id": order.id, "refund_id": refund.id},
        )
    return True


def _note(refund: Refund) -> str:
    return f"refunded: {refund.reason}" if refund.reason else "refunded"


def _log(refund: Refund, payment: Payment, body: str) -> None:
    money = f"{format_amount(refund.amount, refund.currency)} {refund.currency}"
    if refund.source == RefundSource.GATEWAY:
        kind, outcome, detail = "outbound", "refunded", f"{refund.reason}: {money}"
    elif refund.source == RefundSource.RECORDED:
        kind, outcome = "note", "refunded_by_hand"
        detail = f"{refund.reason}: {money}, reference {refund.reference}"
    else:
        kind, outcome = "note", "refunded_at_gateway"
        detail = f"{money}, refund {refund.reference}"
    log_event(
        gateway=payment.gateway if kind == "outbound" else "storefront",
        kind=kind,
        payment=payment,
        outcome=outcome,
        detail=detail,
        body=body,
    )


def handle_refund(refund_id: int, attempt: int = 0) -> str:
    """`payment.refund`: finish a refund whoever requested it.

    A requested refund is executed; one another caller is processing is
    looked at again once its claim would be stale, and resumed (same
    idempotency key) if that caller died. Failures are recorded on the refund,
    not raised: a gateway refusal is an answer, not a crash to retry.
    """
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
        return "done"
    resume = False
    if refund.status == RefundStatus.PROCESSING:
        stale_at = refund.claimed_at + STALE_CLAIM
        if stale_at > utcnow():
            book_refund_job(refund, attempt + 1, stale_at)
            return "in-progress"
        if attempt >= MAX_RESUMES:
            return "needs-a-person"
        resume = True
    try:
        execute_refund(refund.id, resume=resume)
    except RefundFailed:
        return "failed"
    db.session.refresh(refund)
    return str(refund.status)
