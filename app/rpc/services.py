"""PaymentService (seed 002): create a service order with a payment session, and
tell a merchant the truth about it.

Orders made here are of kind `service`, belong to the merchant key that created
them (anyone else gets the same 404), and are paid through the `paysession`
payment method. Verification goes through `app.payments.finalise.verify_payment`,
the one finalisation function, so VerifyPayment, the browser return, the webhook
and the retry jobs can never finalise an order twice.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import MerchantKey
from app.db import utcnow
from app.extensions import db
from app.orders.models import Order
from app.orders.services import LineItem, create_order, schedule_auto_cancel
from app.orders.states import (
    OPEN_ORDER_STATUSES,
    SETTLED_ORDER_STATUSES,
    OrderStatus,
    is_paid,
)
from app.payments import methods
from app.payments.cancellation import TIMEOUT, cancel_order
from app.payments.finalise import verify_payment
from app.payments.gateways.base import GatewayError
from app.payments.handoff import initiate_payment
from app.payments.models import Payment
from app.payments.states import is_settled
from app.rpc.requests import CreateOrderRequest, Violations, gateway_methods
from app.services_errors import GatewayUnavailable, NotFound, ServiceError
from app.tax.sellers import merchant_seller

RPC_METHOD = "paysession"  # the PaymentMethod code every RPC order is paid with
ORDER_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
PLACEHOLDER_RE = re.compile(r"\{order_id\}|%7Border_id%7D", re.IGNORECASE)


# --- CreateOrder -----------------------------------------------------------------


def fill_return_url(url: str | None, public_id: str) -> str | None:
    """Put our order id in the merchant's return URL: fill `{order_id}`, or add
    `order_id=` when the URL has neither (the gateway's convention)."""
    if not url:
        return None
    if PLACEHOLDER_RE.search(url):
        return PLACEHOLDER_RE.sub(lambda _m: quote(public_id, safe=""), url)
    parts = urlsplit(url)
    if any(k == "order_id" for k, _ in parse_qsl(parts.query)):
        return url
    extra = urlencode({"order_id": public_id})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


def result_page_url(order: Order) -> str:
    base = current_app.config["PUBLIC_BASE_URL"]
    return f"{base}/payments/result/{order.public_id}?key={order.order_key}"


def create_service_order(merchant: MerchantKey, req: CreateOrderRequest) -> dict:
    """Create the order and its payment session; the caller commits.

    A gateway outage raises 503 and the caller rolls back: no order is left
    behind, so the merchant simply retries the same request.
    """
    method = methods.resolve_method(RPC_METHOD)
    timeout = None
    if req.expires_at is not None:
        seconds = (req.expires_at - utcnow()).total_seconds()
        timeout = max(1, math.ceil(seconds / 60))
    order = create_order(
        kind="service",
        user_id=None,
        currency=req.currency,
        items=[
            LineItem(
                title=(req.note or f"Payment to {merchant.name}")[:200],
                product_type="service",
                unit_price=req.amount,
            )
        ],
        customer_name=req.customer_name,
        customer_email=req.customer_email,
        customer_phone=req.customer_phone,
        timeout_minutes=timeout,
        merchant_key_id=merchant.id,
        seller=merchant_seller(merchant.id),
        notify_url=req.notify_url,
        allowed_methods=req.payment_methods,
        merchant_customer_id=req.customer_id,
        note=req.note,
        tags=req.tags,
    )
    order.return_url = fill_return_url(req.return_url, order.public_id)
    if req.expires_at is not None and req.expires_at != order.expires_at:
        order.expires_at = req.expires_at  # exact, not rounded to the minute
        schedule_auto_cancel(order)
    payment = initiate_payment(
        order, method, payment_methods=gateway_methods(req.payment_methods)
    )
    return {
        "payment_session_id": payment.gateway_reference,
        "return_url": order.return_url or result_page_url(order),
        "order_id": order.public_id,
    }


# --- lookups -----------------------------------------------------------------------


def order_id_field(body: dict[str, Any]) -> str:
    value = body.get("order_id")
    if value is None:
        bad = Violations()
        bad.add("order_id", _("is required"))
        bad.raise_if_any()
    if not isinstance(value, str) or not ORDER_ID_RE.fullmatch(value):
        bad = Violations()
        bad.add("order_id", _("must be the order_id CreateOrder returned"))
        bad.raise_if_any()
    return value


def merchant_order(merchant: MerchantKey, public_id: str) -> Order:
    """The merchant's own order; an unknown id and another merchant's are the
    same 404, so ids cannot be probed."""
    order = None
    if isinstance(public_id, str) and ORDER_ID_RE.fullmatch(public_id):
        order = db_order(public_id)
    if order is None or order.merchant_key_id != merchant.id:
        raise NotFound("ORDER_NOT_FOUND", _("No such order."))
    return order


def db_order(public_id: str) -> Order | None:
    return db.session.scalar(
        select(Order).where(Order.public_id == public_id, Order.kind == "service")
    )


MAX_SETTLEMENT_DAYS = 92


def settlement_window(start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    """`from` / `to` of the merchant's settlement list (default: the last 30
    days); 400 for a date that is not ISO or a window over 92 days."""
    try:
        last = dt.date.fromisoformat(end) if end else utcnow().date()
        first = dt.date.fromisoformat(start) if start else last - dt.timedelta(30)
    except ValueError as exc:
        raise ServiceError(
            "VALIDATION_ERROR", _("from and to must be dates (YYYY-MM-DD)."), 400
        ) from exc
    if first > last or (last - first).days > MAX_SETTLEMENT_DAYS:
        raise ServiceError(
            "VALIDATION_ERROR",
            _(
                "from must be before to, at most %(days)s days apart.",
                days=MAX_SETTLEMENT_DAYS,
            ),
            400,
        )
    return first, last


def merchant_orders(merchant: MerchantKey, first: dt.date, last: dt.date) -> list:
    return list(
        db.session.scalars(
            select(Order).where(
                Order.merchant_key_id == merchant.id,
                Order.created_at >= dt.datetime.combine(first, dt.time()),
                Order.created_at
                < dt.datetime.combine(last, dt.time()) + dt.timedelta(days=1),
            )
        )
    )


def merchant_payment(order: Order, payment_id: str) -> Payment:
    for payment in order.payments:
        if str(payment.id) == payment_id:
            return payment
    raise NotFound("PAYMENT_NOT_FOUND", _("No such payment for this order."))


# --- VerifyPayment -------------------------------------------------------------------

ANSWERS = {
    "paid": ("Payment successful", "200", "success"),
    "refunded": ("Payment refunded", "200", "refunded"),
    "on_hold": ("Payment is on hold awaiting confirmation", "202", "pending"),
    "payment_pending": ("Payment pending", "202", "pending"),
}


def verify_order_payment(merchant: MerchantKey, public_id: str) -> dict:
    """Ask the gateway about every unfinished attempt, reconcile the order through
    `verify_payment`, then answer seed 002's {message, code, status}.

    A gateway that cannot answer raises 503 (nothing is changed); an order past
    its expiry that is still unpaid after the check is cancelled, as the
    auto-cancel job would do.
    """
    order = merchant_order(merchant, public_id)
    if order.status not in SETTLED_ORDER_STATUSES:
        attempts = sorted(
            (
                p
                for p in order.payments
                if p.gateway_txn_id and not is_settled(p.status)
            ),
            key=lambda p: p.id,
            reverse=True,
        )
        for payment in attempts:
            try:
                verify_payment(payment.id, "merchant")
            except GatewayError as exc:
                raise GatewayUnavailable(
                    "GATEWAY_UNAVAILABLE",
                    _(
                        "The payment gateway is not answering; ask again shortly. "
                        "Nothing was changed."
                    ),
                ) from exc
            db.session.refresh(order)
            if is_paid(order.status):
                break
        db.session.refresh(order)
        if order.status in OPEN_ORDER_STATUSES and order.expires_at <= utcnow():
            cancel_order(order.id, TIMEOUT)
            db.session.refresh(order)
    return verify_answer(order)


def verify_answer(order: Order) -> dict:
    if order.status in ANSWERS:
        message, code, status = ANSWERS[order.status]
        return {"message": message, "code": code, "status": status}
    if order.status == OrderStatus.CANCELLED:
        expired = order.cancel_reason in ("timeout", "payment expired at the gateway")
        message = "Order expired before it was paid" if expired else "Order cancelled"
        return {"message": message, "code": "410", "status": "failed"}
    latest = max(order.payments, key=lambda p: p.id) if order.payments else None
    reason = latest.message if latest is not None and latest.message else "declined"
    return {"message": f"Payment failed: {reason}", "code": "402", "status": "failed"}
