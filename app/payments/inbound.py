"""What gateways tell us: browser returns and webhooks.

Each message is verified (signature, amount), stored in `payment_events` first,
and only ever *books* verification (an outbox event); the truth is fetched and
applied by `app.payments.finalise.verify_payment` in the job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NoReturn

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.outbox.services import emit
from app.payments.attempts import find_payment, payment_ref
from app.payments.audit import log_event
from app.payments.gateways import base as gw
from app.payments.gateways.registry import get_gateway
from app.payments.models import Payment, PaymentEvent
from app.payments.refund_sync import book_refund_sync
from app.payments.states import is_settled
from app.services_errors import NotFound, ServiceError


@dataclass(frozen=True)
class RedirectOutcome:
    order_id: int
    payment_id: int
    status: str  # the order status as the browser should be told
    verified_hint: str  # what the redirect claimed (captured, failed, ...)
    # True when the return carried proof only the paying browser has (a valid
    # signature, the gateway's session id); failure returns carry none.
    authentic: bool = False


def _hint_topic(status: str) -> str:
    if status in gw.ACCEPTED:
        return "order.payment_success"
    if status in gw.UNSUCCESSFUL:
        return "order.payment_failed"
    return "order.payment_retry"


def book_verification(payment: Payment, hint: str, source: str) -> None:
    """Schedule the job that verifies and applies; repeats of the same hint for
    the same attempt collapse into one job (dedupe key)."""
    topic = _hint_topic(hint)
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
        raise NotFound("PAYMENT_NOT_FOUND", _("No such payment."))
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
    except gw.AmountMismatch as exc:
        _refuse_redirect(
            payment,
            body,
            exc,
            "AMOUNT_MISMATCH",
            _("The payment amount does not match this order."),
            signature_valid=True,
        )
    except gw.InvalidSignature as exc:
        _refuse_redirect(
            payment,
            body,
            exc,
            "INVALID_SIGNATURE",
            _("The payment confirmation could not be verified."),
            signature_valid=False,
        )
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


def _refuse_redirect(
    payment: Payment,
    body: str,
    exc: Exception,
    code: str,
    message: str,
    *,
    signature_valid: bool,
) -> NoReturn:
    """Keep the audit record of a refused return, change nothing else, answer 400."""
    log_event(
        gateway=payment.gateway,
        kind="redirect",
        payment=payment,
        outcome=code.lower(),
        detail=str(exc),
        body=body,
        signature_valid=signature_valid,
    )
    db.session.commit()  # the audit record stays; nothing else was changed
    raise ServiceError(code, message, 400) from exc


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
            "INVALID_SIGNATURE", _("Webhook signature is invalid."), 401
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
    if is_settled(payment.status) and (
        result.status == gw.REFUNDED or result.amount_refunded or result.refunds
    ):
        # A refund (ours, or one made at the gateway's dashboard): reconcile.
        book_refund_sync(payment, message.event_id)
        return "refund-noted"
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
