"""Starting a payment: create the attempt and the gateway hand-off for it."""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import gettext as _

from app.db import utcnow
from app.extensions import db
from app.i18n.labels import label
from app.orders import fulfilment
from app.orders.models import Order
from app.orders.states import PAYABLE_ORDER_STATUSES, OrderStatus
from app.orders.transitions import order_transition
from app.payments import methods
from app.payments.audit import log_event
from app.payments.bank_transfer import (
    account_for,
    book_transfer_emails,
    transfer_instructions,
)
from app.payments.deadlines import extend_for_method
from app.payments.gateways import base as gw
from app.payments.gateways.registry import get_gateway
from app.payments.models import Payment, PaymentMethod
from app.payments.states import PaymentStatus
from app.payments.transitions import payment_transition
from app.services_errors import Conflict, GatewayUnavailable, ServiceError

log = logging.getLogger(__name__)


def order_facts(order: Order) -> methods.OrderFacts:
    return methods.OrderFacts(
        currency=order.currency,
        total=order.total,
        product_types=frozenset(i.product_type for i in order.items),
    )


def initiate_payment(
    order: Order, method: PaymentMethod, payment_methods: tuple[str, ...] = ()
) -> Payment:
    """Create a payment attempt for `order` and the gateway hand-off for it.

    Refuses (409) orders that are paid, cancelled or expired, so no payment is
    created for them; a gateway outage raises 503 and the caller's transaction
    rolls back, leaving the order as it was and retryable. `payment_methods`
    limits the gateway's page to those of its own method codes.
    """
    if order.status not in PAYABLE_ORDER_STATUSES:
        raise Conflict(
            "ORDER_NOT_PAYABLE",
            _(
                "This order is %(status)s and cannot be paid again.",
                status=label(order.status),
            ),
            details={"status": order.status},
        )
    if order.expires_at <= utcnow():
        raise Conflict(
            "ORDER_EXPIRED", _("This order has expired; please order again.")
        )
    methods.check_method(method, order_facts(order))
    if order.status == OrderStatus.FAILED and not order_transition(order.id, "retry"):
        raise Conflict(
            "ORDER_NOT_PAYABLE", _("This order changed; reload and try again.")
        )
    extend_for_method(order, method)
    payment = Payment(
        order_id=order.id,
        gateway=method.backend,
        method=method.code,
        amount=order.total,
        currency=order.currency,
        status=PaymentStatus.CREATED,
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
        customer_id=order.merchant_customer_id or f"cust{order.user_id or 0}",
        expires_at=order.expires_at,
        locale=order.locale,
        payment_methods=tuple(payment_methods),
        tax_amount=order.tax_total,
    )
    try:
        handoff = get_gateway(method.backend).create_handoff(request)
    except gw.GatewayError as exc:
        log.warning("gateway %s unavailable at hand-off: %s", method.backend, exc)
        raise GatewayUnavailable(
            "GATEWAY_UNAVAILABLE",
            _(
                "The payment service is not answering right now. Your order is "
                "kept; please try again in a moment."
            ),
        ) from exc
    except gw.GatewayRejected as exc:
        raise ServiceError("GATEWAY_REJECTED", str(exc), 400) from exc
    next_step, initiation = handoff.redirect_url, handoff.initiation_type
    if method.backend == "manual" and account_for(method, order.currency):
        # A bank transfer: nothing to redirect to; the result page shows how.
        initiation = "instructions"
        next_step = f"{base}/payments/result/{order.public_id}?key={order.order_key}"
    payment_transition(
        payment.id,
        "submit",
        gateway_txn_id=handoff.gateway_txn_id,
        gateway_reference=handoff.gateway_reference,
        next_step=next_step,
        payload=handoff.payload,
        initiation_type=initiation,
    )
    log_event(
        gateway=method.backend,
        kind="outbound",
        payment=payment,
        outcome="handoff_created",
        detail=f"{initiation} to {next_step}",
    )
    if method.backend == "manual":
        _hold_for_manual_approval(payment, method)
    return payment


def _describe(order: Order) -> str:
    titles = ", ".join(i.title for i in order.items[:3])
    return titles[:120] or f"Order {order.public_id}"


def _hold_for_manual_approval(payment: Payment, method: PaymentMethod) -> None:
    """A manual method waits on hold until staff confirm the money arrived:
    the buyer gets the bank details and the reference to write on the
    transfer (page, API answer, email), and a reminder a day before the
    deadline."""
    order = db.session.get(Order, payment.order_id)
    payload = {**(payment.payload or {})}
    if account_for(method, order.currency):
        payload["bank_transfer"] = transfer_instructions(method, order, payment)
    payment_transition(
        payment.id,
        "authorize",
        auth_status="pending",
        approve_by=order.expires_at,
        payload=payload,
    )
    if order_transition(order.id, "hold"):
        db.session.refresh(order)
        fulfilment.held(order)
        if payload.get("bank_transfer"):
            book_transfer_emails(order, payment)


def init_response(order: Order, payment: Payment) -> dict:
    """The payment-init body of seeds 000/001; a bank transfer adds its
    `instructions` (bank, account, the reference to write, amount, deadline)."""
    body = {
        "orderId": order.id,
        "status": order.status,
        "paymentId": payment.id,
        "gatewayTransactionId": payment.gateway_txn_id,
        "initiationType": payment.initiation_type,
        "redirectUrl": payment.next_step,
        "gatewayPayload": payment.payload,
    }
    instructions = (payment.payload or {}).get("bank_transfer")
    if instructions:
        body["instructions"] = instructions
    return body
