"""Refunds of paid orders, whole or in part, exactly once.

Three ways in, one way out (`refund_execution.complete_refund`):

- `request_refund` books a refund through the gateway's API and leaves it to
  the `payment.refund` job (flush only: for callers that refund many orders in
  one transaction, e.g. cancelling an event);
- `refund_order` does the same and carries it out at once, for a person
  pressing a button who wants the gateway's answer;
- `record_refund` records money given back outside any API (eSewa's merchant
  portal, a bank transfer back to the buyer), with its reference.

Every refund names the order, the lines or the amount, a reason and who asked
(plain arguments), and may carry an idempotency `key`: the same key always
means the same refund, so a double click or a repeated job refunds once.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db import utcnow
from app.extensions import db
from app.orders.models import Order
from app.payments.audit import log_event
from app.payments.gateways.registry import get_gateway
from app.payments.models import Payment, Refund
from app.payments.refund_execution import (
    STALE_CLAIM,
    RefundFailed,
    book_refund_job,
    complete_refund,
    execute_refund,
)
from app.payments.refund_plan import RefundPlan, plan_refund, reserve
from app.payments.refund_states import RefundSource, RefundStatus
from app.services_errors import Conflict, GatewayUnavailable, NotFound, ServiceError

MAX_KEY_LENGTH = 100
MAX_REFERENCE_LENGTH = 120


def _order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("ORDER_NOT_FOUND", _("No such order."))
    return order


def _existing(key: str, order_id: int) -> Refund | None:
    found = db.session.scalar(select(Refund).where(Refund.key == key))
    if found is not None and found.order_id != order_id:
        raise ServiceError(
            "IDEMPOTENCY_KEY_REUSED",
            _("This refund key was used for another order."),
            422,
        )
    return found


def _create(
    order: Order,
    plan: RefundPlan,
    *,
    source: RefundSource,
    reason: str,
    actor_id: int | None,
    key: str,
    reference: str | None = None,
) -> Refund:
    """Insert the refund (claiming its key), then reserve its money and goods.

    A concurrent request with the same key waits for the first one's commit
    on the unique index and is then answered with the first refund.
    """
    refund = Refund(
        order_id=order.id,
        payment_id=plan.payment_id,
        key=key,
        gateway_key=f"rf_{secrets.token_hex(12)}",
        source=source,
        status=RefundStatus.REQUESTED,
        amount=plan.amount,
        currency=plan.currency,
        lines=plan.line_list,
        reason=reason[:300],
        actor_id=actor_id,
        reference=reference,
    )
    try:
        with db.session.begin_nested():
            db.session.add(refund)
            db.session.flush()
    except IntegrityError:
        existing = _existing(key, order.id)
        if existing is None:
            raise
        return existing
    if not reserve(plan):
        raise Conflict(
            "ORDER_NOT_REFUNDABLE",
            _("This order changed while you were refunding it; reload it."),
            details={"status": order.status},
        )
    return refund


def _key(key: str | None) -> str:
    if key is None:
        return f"auto-{secrets.token_hex(16)}"
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise ServiceError(
            "VALIDATION_ERROR", _("A refund key is 1 to 100 characters."), 400
        )
    return key


class NoRefundApi(ServiceError):
    """The gateway has no refund API (eSewa, bank transfer): record the refund
    made elsewhere instead."""

    def __init__(self, payment_id: int, note: str, reason: str):
        super().__init__("REFUND_NOT_SUPPORTED", note, 400)
        self.payment_id = payment_id
        self.reason = reason


def _refuse_without_api(plan: RefundPlan, reason: str) -> None:
    payment = db.session.get(Payment, plan.payment_id)
    note = getattr(get_gateway(payment.gateway), "manual_refund_note", None)
    if note:
        raise NoRefundApi(payment.id, note, reason)


def request_refund(
    order_id: int,
    *,
    lines: Mapping[int, int] | None = None,
    amount: int | None = None,
    reason: str = "",
    actor_id: int | None = None,
    key: str | None = None,
) -> Refund:
    """Book a refund through the order's gateway; the `payment.refund` job
    carries it out after the caller commits. Flushes only.

    `lines` maps order item ids to quantities; `amount` is in minor units;
    neither means everything that is left. A gateway without a refund API
    raises REFUND_NOT_SUPPORTED (400): record the refund instead.
    """
    return _request(order_id, lines, amount, reason, actor_id, key, job_at=None)


def _request(order_id, lines, amount, reason, actor_id, key, job_at) -> Refund:
    key = _key(key)
    existing = _existing(key, order_id)
    if existing is not None:
        return existing
    order = _order(order_id)
    plan = plan_refund(order, lines=lines, amount=amount)
    _refuse_without_api(plan, reason)
    refund = _create(
        order,
        plan,
        source=RefundSource.GATEWAY,
        reason=reason,
        actor_id=actor_id,
        key=key,
    )
    if refund.status == RefundStatus.REQUESTED:
        book_refund_job(refund, at=job_at)
    return refund


def refund_now(
    order_id: int,
    reason: str,
    *,
    lines: Mapping[int, int] | None = None,
    amount: int | None = None,
    actor_id: int | None = None,
    key: str | None = None,
) -> Refund:
    """Request a refund and carry it out now, for the person who pressed refund.

    Commits twice (the request with its reservation, then the claim) before
    the gateway is asked, so a second click finds the money reserved instead
    of refunding it again; the outcome is flushed for the caller to commit. If
    the gateway refuses (400 REFUND_NOT_SUPPORTED) or cannot confirm (503),
    the failed refund is committed - reservation released, attempt on the
    timeline - and the error raised: the order is as it was.
    """
    try:
        # The job is only the safety net here: it looks once this request
        # would have finished, so it does not race the person who pressed.
        refund = _request(
            order_id,
            lines,
            amount,
            reason,
            actor_id,
            key,
            job_at=utcnow() + STALE_CLAIM,
        )
    except NoRefundApi as refused:
        # Keep the refused attempt on the timeline; nothing else changes.
        db.session.rollback()
        log_event(
            gateway=db.session.get(Payment, refused.payment_id).gateway,
            kind="outbound",
            payment=db.session.get(Payment, refused.payment_id),
            outcome="refund_rejected",
            detail=f"{refused.reason}: {refused.message}",
        )
        db.session.commit()
        raise
    if refund.status == RefundStatus.FAILED:
        raise Conflict(
            "REFUND_FAILED",
            _(
                "This refund failed: %(error)s Reload the page to try again.",
                error=refund.error,
            ),
        )
    if refund.status != RefundStatus.REQUESTED:
        return refund  # the same key again: the refund it already made
    db.session.commit()
    try:
        return execute_refund(refund.id)
    except RefundFailed as failed:
        db.session.commit()
        if failed.rejected:
            raise ServiceError("REFUND_NOT_SUPPORTED", str(failed), 400) from failed
        raise GatewayUnavailable(
            "GATEWAY_UNAVAILABLE",
            _(
                "The payment service did not confirm the refund (%(problem)s). "
                "Nothing was changed; try again later.",
                problem=failed,
            ),
        ) from failed


def refund_order(order_id: int, reason: str, **choice) -> str:
    """`refund_now`, answering "refunded" (or, for a refund still being made
    by another caller, its status)."""
    refund = refund_now(order_id, reason, **choice)
    return "refunded" if refund.status == RefundStatus.SUCCEEDED else refund.status


def record_refund(
    order_id: int,
    *,
    reference: str,
    lines: Mapping[int, int] | None = None,
    amount: int | None = None,
    reason: str = "",
    actor_id: int | None = None,
    key: str | None = None,
    payment_id: int | None = None,
) -> Refund:
    """Record money given back outside any API, with the reference of that
    refund (eSewa's merchant portal, the bank transfer back). It takes effect
    at once: the goods follow and the customer is emailed. Flushes only.

    `payment_id` names the captured payment when an order was paid twice.
    """
    reference = (reference or "").strip()
    if not reference:
        raise ServiceError(
            "REFERENCE_REQUIRED",
            _(
                "Enter the reference of the refund (from the merchant portal or "
                "the bank)."
            ),
            422,
        )
    if len(reference) > MAX_REFERENCE_LENGTH:
        raise ServiceError(
            "VALIDATION_ERROR", _("The reference is at most 120 characters."), 400
        )
    key = _key(key)
    existing = _existing(key, order_id)
    if existing is not None:
        return existing
    order = _order(order_id)
    plan = plan_refund(order, lines=lines, amount=amount, payment_id=payment_id)
    refund = _create(
        order,
        plan,
        source=RefundSource.RECORDED,
        reason=reason,
        actor_id=actor_id,
        key=key,
        reference=reference,
    )
    complete_refund(refund)
    return refund
