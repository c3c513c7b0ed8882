"""Refunds: give a paid order's money back through its gateway, exactly once."""

from __future__ import annotations

import json

from flask_babel import gettext as _

from app.extensions import db
from app.i18n.labels import label
from app.money import format_amount
from app.orders import fulfilment
from app.orders.models import Order
from app.orders.states import OrderStatus
from app.orders.transitions import order_transition
from app.payments.attempts import captured_payments, payment_ref
from app.payments.audit import log_event
from app.payments.gateways import base as gw
from app.payments.gateways.registry import get_gateway
from app.payments.models import Payment
from app.payments.transitions import payment_transition
from app.services_errors import Conflict, GatewayUnavailable, NotFound, ServiceError


def refund_order(order_id: int, reason: str) -> str:
    """Give a paid order's money back through its gateway's refund API, once.

    The conditional transitions run *before* the gateway call, in the caller's
    transaction: they hold the rows, so a double submit waits and then finds
    nothing to refund (409) instead of refunding twice. Only a confirmed refund
    is kept; otherwise everything is rolled back (order and payment unchanged),
    the failed attempt is committed to the timeline, and the error is raised:
    503 when the gateway is down, 400 REFUND_NOT_SUPPORTED when it refuses.
    """
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("ORDER_NOT_FOUND", _("No such order."))
    if order.status != OrderStatus.PAID:
        raise Conflict(
            "ORDER_NOT_REFUNDABLE",
            _("A %(status)s order cannot be refunded.", status=label(order.status)),
            details={"status": order.status},
        )
    captured = captured_payments(order)
    if len(captured) != 1:
        raise Conflict(
            "REFUND_NEEDS_A_PERSON",
            _(
                "This order has no single captured payment to refund; refund it "
                "from the gateway's dashboard."
            ),
            details={"captured": len(captured)},
        )
    payment = captured[0]
    payment_id, gateway, currency = payment.id, payment.gateway, payment.currency
    amount = payment.captured_amount or payment.amount
    ref = payment_ref(payment)
    if not payment_transition(
        payment_id, "refund", message=f"refunded: {reason}"[:300]
    ) or not order_transition(order.id, "refund", needs_refund=False, refund_by=None):
        raise Conflict("ORDER_NOT_REFUNDABLE", _("This order changed; reload it."))
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
            _(
                "The payment service did not confirm the refund (%(error)s). "
                "Nothing was changed; try again later.",
                error=exc,
            ),
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
