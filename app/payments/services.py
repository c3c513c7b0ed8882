"""Payments: start an attempt, record what gateways say, and finalise exactly once.

Every path that can move money — browser redirect, webhook, retry job, auto-cancel,
an admin's "check now" — ends in `verify_payment`, which asks the gateway for the
truth and applies it with conditional UPDATEs. Inbound messages are stored in
`payment_events` first and only ever *schedule* verification.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from app.db import utcnow
from app.extensions import db
from app.orders import fulfilment
from app.orders.models import Order
from app.orders.transitions import order_transition, payment_transition
from app.outbox.services import emit
from app.payments import methods
from app.payments.gateways import base as gw
from app.payments.gateways.registry import get_gateway
from app.payments.models import Payment, PaymentEvent, PaymentMethod
from app.services_errors import Conflict, GatewayUnavailable, NotFound, ServiceError

log = logging.getLogger(__name__)

REFUND_WINDOW_DAYS = 14


@dataclass(frozen=True)
class RedirectOutcome:
    order_id: int
    payment_id: int
    status: str  # the order status as the browser should be told
    verified_hint: str  # what the redirect claimed (captured, failed, ...)
    # True when the return carried proof only the paying browser has (a valid
    # signature, the gateway's session id); failure returns carry none.
    authentic: bool = False


def payment_ref(payment: Payment) -> gw.PaymentRef:
    return gw.PaymentRef(
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        gateway_txn_id=payment.gateway_txn_id,
        gateway_reference=payment.gateway_reference,
    )


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


# --- starting a payment -------------------------------------------------------


def order_facts(order: Order) -> methods.OrderFacts:
    return methods.OrderFacts(
        currency=order.currency,
        total=order.total,
        product_types=frozenset(i.product_type for i in order.items),
    )


def initiate_payment(order: Order, method: PaymentMethod) -> Payment:
    """Create a payment attempt for `order` and the gateway hand-off for it.

    Refuses (409) orders that are paid, cancelled or expired, so no payment is
    created for them; a gateway outage raises 503 and the caller's transaction
    rolls back, leaving the order as it was and retryable.
    """
    if order.status not in ("payment_pending", "failed"):
        raise Conflict(
            "ORDER_NOT_PAYABLE",
            f"This order is {order.status.replace('_', ' ')} and cannot be paid again.",
            details={"status": order.status},
        )
    if order.expires_at <= utcnow():
        raise Conflict("ORDER_EXPIRED", "This order has expired; please order again.")
    methods.check_method(method, order_facts(order))
    if order.status == "failed" and not order_transition(order.id, "retry"):
        raise Conflict("ORDER_NOT_PAYABLE", "This order changed; reload and try again.")
    payment = Payment(
        order_id=order.id,
        gateway=method.backend,
        method=method.code,
        amount=order.total,
        currency=order.currency,
        status="created",
    )
    db.session.add(payment)
    db.session.flush()
    base = current_app.config["PUBLIC_BASE_URL"]
    settings = method.settings or {}
    request = gw.PaymentRequest(
        payment_id=payment.id,
        amount=order.total,
        currency=order.currency,
        description=_describe(order),
        method=settings.get("payment_type", method.code),
        success_url=f"{base}/api/payments/redirect/{payment.id}/success",
        failure_url=f"{base}/api/payments/redirect/{payment.id}/failure",
        notify_url=f"{base}/api/payments/webhooks/{method.backend}",
        external_order_num=f"{order.public_id}-{payment.id}",
        customer_name=order.customer_name,
        customer_email=order.customer_email,
        customer_phone=order.customer_phone,
        customer_id=f"cust{order.user_id or 0}",
        expires_at=order.expires_at,
    )
    try:
        handoff = get_gateway(method.backend).create_handoff(request)
    except gw.GatewayError as exc:
        log.warning("gateway %s unavailable at hand-off: %s", method.backend, exc)
        raise GatewayUnavailable(
            "GATEWAY_UNAVAILABLE",
            "The payment service is not answering right now. Your order is kept; "
            "please try again in a moment.",
        ) from exc
    except gw.GatewayRejected as exc:
        raise ServiceError("GATEWAY_REJECTED", str(exc), 400) from exc
    payment.gateway_txn_id = handoff.gateway_txn_id
    payment.gateway_reference = handoff.gateway_reference
    payment.next_step = handoff.redirect_url
    payment.payload = handoff.payload
    payment.initiation_type = handoff.initiation_type
    payment.status = "pending"
    log_event(
        gateway=method.backend,
        kind="outbound",
        payment=payment,
        outcome="handoff_created",
        detail=f"{handoff.initiation_type} to {handoff.redirect_url}",
    )
    if method.backend == "manual":
        _hold_for_manual_approval(payment)
    return payment


def _describe(order: Order) -> str:
    titles = ", ".join(i.title for i in order.items[:3])
    return titles[:120] or f"Order {order.public_id}"


def _hold_for_manual_approval(payment: Payment) -> None:
    """A manual method without auto-approval waits on hold for an admin."""
    payment_transition(payment.id, "authorize", auth_status="pending")
    order = db.session.get(Order, payment.order_id)
    if order_transition(order.id, "hold"):
        fulfilment.held(order)


def init_response(order: Order, payment: Payment) -> dict:
    """The payment-init body of seeds 000/001."""
    return {
        "orderId": order.id,
        "status": order.status,
        "paymentId": payment.id,
        "gatewayTransactionId": payment.gateway_txn_id,
        "initiationType": payment.initiation_type,
        "redirectUrl": payment.next_step,
        "gatewayPayload": payment.payload,
    }


# --- inbound messages ----------------------------------------------------------


def _hint_topic(status: str) -> str | None:
    if status in (gw.CAPTURED, gw.AUTHORIZED):
        return "order.payment_success"
    if status in (gw.FAILED, gw.CANCELLED, gw.NOT_FOUND, gw.EXPIRED):
        return "order.payment_failed"
    return None


def book_verification(payment: Payment, hint: str, source: str) -> None:
    """Schedule the job that verifies and applies; repeats of the same hint for
    the same attempt collapse into one job (dedupe key)."""
    topic = _hint_topic(hint) or "order.payment_retry"
    payload = {"payment_id": payment.id, "source": source}
    if topic == "order.payment_retry":
        payload["attempt"] = 0
    emit(topic, payload, dedupe_key=f"{topic}-{payment.id}-{hint}")


def record_redirect(
    payment_id: int, kind: str, params: dict[str, str]
) -> RedirectOutcome:
    """A browser came back from the gateway. Verify, record, book the job.

    Raises ServiceError (after committing the audit record) for a forged or
    mismatched message; nothing else changes in that case.
    """
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("PAYMENT_NOT_FOUND", "No such payment.")
    body = json.dumps(params, sort_keys=True)
    gateway = get_gateway(payment.gateway)
    if kind == "failure":
        log_event(
            gateway=payment.gateway,
            kind="redirect",
            payment=payment,
            outcome="failure_return",
            body=body,
        )
        book_verification(payment, gw.FAILED, "redirect")
        return RedirectOutcome(
            payment.order_id, payment.id, payment.order.status, gw.FAILED
        )
    try:
        hint = gateway.verify_redirect(payment_ref(payment), params)
    except gw.InvalidSignature as exc:
        code = (
            "AMOUNT_MISMATCH"
            if exc.__class__.__name__ == "AmountMismatch"
            else "INVALID_SIGNATURE"
        )
        log_event(
            gateway=payment.gateway,
            kind="redirect",
            payment=payment,
            outcome=code.lower(),
            detail=str(exc),
            body=body,
            signature_valid=code == "AMOUNT_MISMATCH",
        )
        db.session.commit()  # the audit record stays; nothing else was changed
        message = (
            "The payment amount does not match this order."
            if code == "AMOUNT_MISMATCH"
            else "The payment confirmation could not be verified."
        )
        raise ServiceError(code, message, 400) from exc
    except gw.GatewayError as exc:
        log_event(
            gateway=payment.gateway,
            kind="redirect",
            payment=payment,
            outcome="gateway_error",
            detail=str(exc),
            body=body,
        )
        book_verification(payment, gw.PENDING, "redirect")
        return RedirectOutcome(
            payment.order_id, payment.id, payment.order.status, gw.PENDING
        )
    log_event(
        gateway=payment.gateway,
        kind="redirect",
        payment=payment,
        outcome=hint.status,
        body=body,
        signature_valid=True,
    )
    book_verification(payment, hint.status, "redirect")
    return RedirectOutcome(
        payment.order_id, payment.id, payment.order.status, hint.status, authentic=True
    )


def record_webhook(gateway_name: str, headers: dict[str, str], raw: bytes) -> str:
    """A gateway called our webhook. Verify the signature over the raw body, store
    the message once per event id, and book verification for the attempt."""
    gateway = get_gateway(gateway_name)
    text = raw.decode("utf-8", "replace")
    try:
        message = gateway.verify_webhook(headers, raw)
    except gw.InvalidSignature as exc:
        log_event(
            gateway=gateway_name,
            kind="webhook",
            outcome="invalid_signature",
            detail=str(exc),
            body=text,
            signature_valid=False,
        )
        db.session.commit()
        raise ServiceError(
            "INVALID_SIGNATURE", "Webhook signature is invalid.", 401
        ) from exc
    duplicate = db.session.scalar(
        select(PaymentEvent.id).where(
            PaymentEvent.gateway == gateway_name,
            PaymentEvent.event_id == message.event_id,
        )
    )
    if duplicate:
        return "duplicate"
    payment = find_payment(
        gateway_name, message.gateway_txn_id, message.gateway_reference
    )
    try:
        with db.session.begin_nested():
            log_event(
                gateway=gateway_name,
                kind="webhook",
                payment=payment,
                outcome=f"{message.event_type}",
                body=text,
                signature_valid=True,
                event_id=message.event_id,
            )
    except Exception:  # noqa: BLE001 - a concurrent delivery stored it first
        return "duplicate"
    if payment is None:
        return "unknown-payment"
    result = message.result
    if result.amount is not None and (
        result.amount != payment.amount
        or (result.currency or payment.currency) != payment.currency
    ):
        log_event(
            gateway=gateway_name,
            kind="note",
            payment=payment,
            outcome="amount_mismatch",
            detail=f"webhook says {result.amount} {result.currency}",
        )
        return "amount-mismatch"
    book_verification(payment, result.status, "webhook")
    return "accepted"


def find_payment(
    gateway_name: str, txn_id: str | None, reference: str | None
) -> Payment | None:
    if txn_id:
        found = db.session.scalar(
            select(Payment).where(
                Payment.gateway == gateway_name, Payment.gateway_txn_id == txn_id
            )
        )
        if found:
            return found
    if reference:
        return db.session.scalar(
            select(Payment).where(
                Payment.gateway == gateway_name, Payment.gateway_reference == reference
            )
        )
    return None


# --- finalisation --------------------------------------------------------------


def verify_payment(payment_id: int, source: str, attempt: int | None = None) -> str:
    """The one finalisation function: ask the gateway, then apply the answer.

    Raises GatewayError when the gateway cannot answer (callers reschedule).
    """
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        return "unknown-payment"
    if payment.status in ("captured", "refunded"):
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


def apply_result(payment: Payment, truth: gw.GatewayResult, source: str) -> str:
    order = payment.order
    if truth.status == gw.CAPTURED:
        return _capture(payment, order, truth)
    if truth.status == gw.AUTHORIZED:
        return _authorize(payment, order, truth)
    if truth.status in (gw.FAILED, gw.CANCELLED, gw.NOT_FOUND, gw.EXPIRED):
        return _fail(payment, order, truth, source)
    if truth.status == gw.REFUNDED:
        return "refunded-at-gateway"
    return "pending"


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
    now = utcnow()
    won = payment_transition(
        payment.id,
        "capture",
        verified=True,
        captured_amount=truth.amount,
        gateway_reference=truth.reference or payment.gateway_reference,
        auth_action="capture",
        auth_status="success",
        completed_at=now,
        message=(truth.message or "captured")[:300],
    )
    if not won:
        return "already-captured"
    late = order.status in ("failed", "cancelled")
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
    _record_promotion(order)
    from app.mail.services import queue_email

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
    from app.orders.services import schedule_auto_cancel

    schedule_auto_cancel(order)
    fulfilment.held(order)
    if order.customer_email:
        from app.mail.services import queue_email

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
    result = "payment-failed"
    if latest.id == payment.id:
        if truth.status in (gw.EXPIRED, gw.CANCELLED) and order.status == "on_hold":
            from app.orders.services import cancel_order

            cancel_order(order.id, f"payment {truth.status} at the gateway")
            return "cancelled"
        if order_transition(order.id, "fail"):
            result = "order-failed"
    return result


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


def _record_promotion(order: Order) -> None:
    if not order.promotion_id or order.discount <= 0:
        return
    from app.promotions.services import record_usage

    record_usage(order)


# --- job handlers (outbox topics) ----------------------------------------------


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
    except gw.GatewayError as exc:
        _retry_or_handoff(payment_id, attempt, f"gateway unavailable: {exc}")
        return "gateway-unavailable"
    order_status = db.session.scalar(
        select(Order.status).join(Payment).where(Payment.id == payment_id)
    )
    if outcome in ("pending", "payment-failed", "order-failed") and not (
        order_status == "cancelled" and outcome != "pending"
    ):
        # Not final: a late completion is possible (seed 000), so keep checking.
        # A cancelled order whose gateway also says no is settled: stop asking.
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
    if payment is None or payment.status in ("captured", "refunded"):
        return "already-final"
    if payment.status == "authorized":
        return "on-hold"  # konbini: the webhook and the deadline own it now
    return _verify_and_follow_up(payment_id, source, attempt)


def handle_payment_authorized(payment_id: int, source: str = "webhook") -> str:
    return _verify_and_follow_up(payment_id, source, 0)


def handle_payment_expired(payment_id: int, source: str = "webhook") -> str:
    return _verify_and_follow_up(payment_id, source, 0)


def check_now(payment_id: int) -> str:
    """An admin's or organizer's "check now": the same finalisation path."""
    try:
        return verify_payment(payment_id, "staff")
    except gw.GatewayError as exc:
        raise GatewayUnavailable(
            "GATEWAY_UNAVAILABLE", f"Gateway unavailable: {exc}"
        ) from exc


# --- refunds -------------------------------------------------------------------


def refund_order(order_id: int, reason: str) -> str:
    """Give a paid order's money back through its gateway's refund API, once.

    The conditional transitions run *before* the gateway call, in the caller's
    transaction: they hold the rows, so a double submit waits and then finds
    nothing to refund (409) instead of refunding twice. Only a confirmed refund
    is kept; otherwise everything is rolled back (order and payment unchanged),
    the failed attempt is committed to the timeline, and the error is raised:
    503 when the gateway is down, 400 REFUND_NOT_SUPPORTED when it refuses.
    """
    from app.money import format_amount

    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("ORDER_NOT_FOUND", "No such order.")
    if order.status != "paid":
        raise Conflict(
            "ORDER_NOT_REFUNDABLE",
            f"A {order.status.replace('_', ' ')} order cannot be refunded.",
            details={"status": order.status},
        )
    captured = [p for p in order.payments if p.status == "captured"]
    if len(captured) != 1:
        raise Conflict(
            "REFUND_NEEDS_A_PERSON",
            "This order has no single captured payment to refund; "
            "refund it from the gateway's dashboard.",
            details={"captured": len(captured)},
        )
    payment = captured[0]
    payment_id, gateway, currency = payment.id, payment.gateway, payment.currency
    amount = payment.captured_amount or payment.amount
    ref = payment_ref(payment)
    if not payment_transition(
        payment_id, "refund", message=f"refunded: {reason}"[:300]
    ) or not order_transition(order.id, "refund", needs_refund=False, refund_by=None):
        raise Conflict("ORDER_NOT_REFUNDABLE", "This order changed; reload it.")
    db.session.refresh(order)
    fulfilment.refunded(order)
    db.session.flush()
    try:
        result = get_gateway(gateway).refund(ref, amount)
        if result.status != gw.REFUNDED:
            raise gw.GatewayError(f"refund answered {result.status}: {result.message}")
    except (gw.GatewayError, gw.GatewayRejected) as exc:
        db.session.rollback()
        rejected = isinstance(exc, gw.GatewayRejected)
        log_event(
            gateway=gateway,
            kind="outbound",
            payment=db.session.get(Payment, payment_id),
            outcome="refund_rejected" if rejected else "refund_error",
            detail=f"{reason}: {exc}",
        )
        db.session.commit()  # the audit record stays; nothing else was changed
        if rejected:
            raise ServiceError("REFUND_NOT_SUPPORTED", str(exc), 400) from exc
        raise GatewayUnavailable(
            "GATEWAY_UNAVAILABLE",
            f"The payment service did not confirm the refund ({exc}). "
            "Nothing was changed; try again later.",
        ) from exc
    log_event(
        gateway=gateway,
        kind="outbound",
        payment=db.session.get(Payment, payment_id),
        outcome="refunded",
        detail=f"{reason}: {format_amount(amount, currency)} {currency}",
        body=json.dumps(result.raw, default=str),
    )
    return "refunded"


# --- manual methods --------------------------------------------------------------


def confirm_manual_payment(payment_id: int, admin_user) -> str:
    """An admin confirms that a manual payment (bank transfer) arrived.

    The on-hold order is then paid through `apply_result`, the same path every
    gateway capture takes, so fulfilment, promotion usage and the receipt happen
    once however often this is pressed. The caller commits.
    """
    if admin_user is None or getattr(admin_user, "role", None) != "admin":
        raise ServiceError("FORBIDDEN", "Only an admin can confirm a payment.", 403)
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("PAYMENT_NOT_FOUND", "No such payment.")
    if payment.gateway != "manual":
        raise ServiceError(
            "NOT_A_MANUAL_PAYMENT",
            "Only manual payments are confirmed by hand; gateways are verified.",
            400,
        )
    if payment.status in ("captured", "refunded"):
        return "already-final"
    log_event(
        gateway=payment.gateway,
        kind="note",
        payment=payment,
        outcome="manual_confirmed",
        detail=f"receipt confirmed by admin #{admin_user.id}",
    )
    truth = gw.GatewayResult(
        status=gw.CAPTURED,
        amount=payment.amount,
        currency=payment.currency,
        message=f"received; confirmed by admin #{admin_user.id}",
    )
    return apply_result(payment, truth, "admin")
