"""The one finalisation path: ask the gateway for the truth and apply it, once.

Every path that can move money - browser return, webhook, retry job, auto-cancel,
an admin's "check now" or manual confirmation - ends in `apply_result`. Its
conditional transitions decide races: only the caller that moves the payment and
the order performs the side effects (fulfilment, promotion usage, receipt).
"""

from __future__ import annotations

import datetime as dt
import json

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.db import utcnow
from app.extensions import db
from app.invoicing.services import issue_invoice
from app.mail.services import queue_email
from app.orders import fulfilment
from app.orders.models import Order
from app.orders.services import schedule_auto_cancel
from app.orders.states import LATE_CAPTURE_STATUSES, OrderStatus
from app.orders.transitions import order_transition
from app.payments.attempts import payment_ref
from app.payments.audit import log_event
from app.payments.cancellation import (
    GATEWAY_CANCELLED,
    GATEWAY_EXPIRED,
    cancel_order,
)
from app.payments.deadlines import payment_deadline
from app.payments.gateways import base as gw
from app.payments.gateways.registry import get_gateway
from app.payments.models import Payment, PaymentMethod
from app.payments.states import PaymentStatus, is_settled
from app.payments.transitions import payment_transition
from app.promotions.services import record_usage
from app.services_errors import GatewayUnavailable

REFUND_WINDOW_DAYS = 14


def verify_payment(payment_id: int, source: str, attempt: int | None = None) -> str:
    """Ask the gateway about one attempt, then apply the answer.

    Raises GatewayError when the gateway cannot answer (callers reschedule).
    """
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        return "unknown-payment"
    if is_settled(payment.status):
        return "already-final"
    method = db.session.scalar(
        select(PaymentMethod).where(PaymentMethod.code == payment.method)
    )
    db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id)
        .values(verify_attempts=Payment.verify_attempts + 1)
    )
    if method is not None and method.auto_approve:
        truth = gw.GatewayResult(
            status=gw.CAPTURED, amount=payment.amount, currency=payment.currency
        )
        log_event(
            gateway=payment.gateway,
            kind="note",
            payment=payment,
            outcome="auto_approved",
        )
    else:
        try:
            truth = get_gateway(payment.gateway).fetch_status(payment_ref(payment))
        except gw.GatewayError as exc:
            log_event(
                gateway=payment.gateway,
                kind="status_check",
                payment=payment,
                outcome="gateway_error",
                detail=f"{source}: {exc}",
            )
            raise
        log_event(
            gateway=payment.gateway,
            kind="status_check",
            payment=payment,
            outcome=truth.status,
            detail=f"asked by {source}: {truth.message}".strip(),
            body=json.dumps(truth.raw, default=str),
        )
    return apply_result(payment, truth, source)


def check_now(payment_id: int) -> str:
    """An admin's or organizer's "check now": the same finalisation path."""
    try:
        return verify_payment(payment_id, "staff")
    except gw.GatewayError as exc:
        raise GatewayUnavailable(
            "GATEWAY_UNAVAILABLE", _("Gateway unavailable: %(error)s", error=exc)
        ) from exc


# Attempts the gateway may not know yet: handed off, never answered.
_NOT_YET_AT_GATEWAY = frozenset({PaymentStatus.CREATED, PaymentStatus.PENDING})


def apply_result(payment: Payment, truth: gw.GatewayResult, source: str) -> str:
    """Apply a verified gateway answer to the attempt and its order."""
    order = payment.order
    if (
        truth.status == gw.NOT_FOUND
        and payment.status in _NOT_YET_AT_GATEWAY
        and _attempt_is_young(payment)
    ):
        # The gateway has no record of an attempt that may still be under way
        # (the form was never posted, or not yet): no one - least of all an
        # anonymous failure return - ends it early. The order's deadline does.
        # An attempt the gateway once knew (a slip it issued) that it now
        # denies has ended there; that is a failure like any other.
        return "not-started"
    if truth.status == gw.CAPTURED:
        return _capture(payment, order, truth)
    if truth.status == gw.AUTHORIZED:
        return _authorize(payment, order, truth)
    if truth.status in gw.UNSUCCESSFUL:
        return _fail(payment, order, truth, source)
    if truth.status == gw.REFUNDED:
        return "refunded-at-gateway"
    return "pending"


def _attempt_is_young(payment: Payment) -> bool:
    """True until the attempt's method's hold or deadline, counted from its start."""
    method = db.session.scalar(
        select(PaymentMethod).where(PaymentMethod.code == payment.method)
    )
    if method is None:
        return False
    return utcnow() < payment_deadline(method, payment.currency, payment.created_at)


def _capture(payment: Payment, order: Order, truth: gw.GatewayResult) -> str:
    if (
        truth.amount != payment.amount
        or (truth.currency or payment.currency) != payment.currency
    ):
        log_event(
            gateway=payment.gateway,
            kind="note",
            payment=payment,
            outcome="amount_mismatch",
            detail=f"gateway reports {truth.amount} {truth.currency}, "
            f"expected {payment.amount} {payment.currency}",
        )
        return "amount-mismatch"
    won = payment_transition(
        payment.id,
        "capture",
        verified=True,
        captured_amount=truth.amount,
        gateway_reference=truth.reference or payment.gateway_reference,
        auth_action="capture",
        auth_status="success",
        completed_at=utcnow(),
        message=(truth.message or "captured")[:300],
        next_verify_at=None,  # settled: no retry check (saves the job a statement)
    )
    if not won:
        return "already-captured"
    late = order.status in LATE_CAPTURE_STATUSES
    if not order_transition(order.id, "capture"):
        # The order was paid by another attempt: this money must go back.
        _flag_refund(order, f"second capture by payment {payment.id}")
        return "duplicate-capture"
    db.session.refresh(order)
    log_event(
        gateway=payment.gateway,
        kind="note",
        payment=payment,
        outcome="order_paid",
        detail="late capture reconciled" if late else "",
    )
    delivered = fulfilment.paid(order, late)
    if not delivered:
        _flag_refund(order, "paid after the goods were released and sold out")
    if order.promotion_id and order.discount > 0:
        record_usage(order)
    # Numbered in this transaction: the number and the payment commit together.
    issue_invoice(order)
    if order.customer_email:
        queue_email(
            f"receipt-order-{order.id}",
            order.customer_email,
            "order_paid",
            {"order_id": order.id},
        )
    return "paid" if delivered else "paid-needs-refund"


def _authorize(payment: Payment, order: Order, truth: gw.GatewayResult) -> str:
    payment_transition(
        payment.id,
        "authorize",
        approve_by=truth.approve_by,
        auth_action="capture",
        auth_status="pending",
        gateway_reference=truth.reference or payment.gateway_reference,
        payload={**(payment.payload or {}), "instructions": truth.instructions},
    )
    values = {}
    if truth.approve_by is not None:
        values["expires_at"] = truth.approve_by
    if not order_transition(order.id, "hold", **values):
        return "not-held"
    db.session.refresh(order)
    schedule_auto_cancel(order)
    fulfilment.held(order)
    if order.customer_email:
        queue_email(
            f"on-hold-order-{order.id}-payment-{payment.id}",
            order.customer_email,
            "order_on_hold",
            {"order_id": order.id, "payment_id": payment.id},
        )
    return "on-hold"


def _fail(payment: Payment, order: Order, truth: gw.GatewayResult, source: str) -> str:
    event = {gw.EXPIRED: "expire", gw.CANCELLED: "cancel"}.get(truth.status, "fail")
    payment_transition(
        payment.id,
        event,
        message=(truth.message or truth.status)[:300],
        error_details={"status": truth.status, "source": source},
    )
    latest = max(order.payments, key=lambda p: p.id)
    if latest.id != payment.id:
        return "payment-failed"  # a newer attempt speaks for the order now
    if truth.status in gw.CLOSED and order.status == OrderStatus.ON_HOLD:
        reason = GATEWAY_EXPIRED if truth.status == gw.EXPIRED else GATEWAY_CANCELLED
        cancel_order(order.id, reason)
        return "cancelled"
    if order_transition(order.id, "fail"):
        db.session.refresh(order)
        fulfilment.failed(order)
        if order.customer_email:
            queue_email(
                f"payment-failed-{payment.id}",
                order.customer_email,
                "payment_failed",
                {"order_id": order.id, "payment_id": payment.id},
            )
        return "order-failed"
    return "payment-failed"


def _flag_refund(order: Order, reason: str) -> None:
    db.session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(
            needs_refund=True,
            refund_by=utcnow() + dt.timedelta(days=REFUND_WINDOW_DAYS),
        )
    )
    log_event(
        gateway="storefront",
        kind="note",
        order_id=order.id,
        outcome="needs_refund",
        detail=reason,
    )
