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
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.accounts.models import MerchantKey
from app.db import utcnow
from app.extensions import db
from app.money import decimals
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
from app.services_errors import GatewayUnavailable, NotFound, ServiceError

RPC_METHOD = "paysession"  # the PaymentMethod code every RPC order is paid with
DEFAULT_CURRENCY = "INR"
MAX_AMOUNT = Decimal("100000000")  # 10 crore rupees: far above any real order
MIN_EXPIRY = dt.timedelta(minutes=1)
MAX_EXPIRY = dt.timedelta(days=30)
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE_RE = re.compile(r"\+?[0-9][0-9 ()-]{5,19}")
CURRENCY_RE = re.compile(r"[A-Z]{3}")
ORDER_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
PLACEHOLDER_RE = re.compile(r"\{order_id\}|%7Border_id%7D", re.IGNORECASE)
# The gateway's method codes for `order_meta.payment_methods` (gateways.md §3.3).
GATEWAY_METHODS = frozenset(
    {"cc", "dc", "ccc", "ppc", "nb", "upi", "paypal", "app", "paylater"}
    | {"cardlessemi", "dcemi", "ccemi", "banktransfer"}
)


@dataclass
class CreateOrderRequest:
    customer_name: str
    customer_email: str
    customer_phone: str
    amount: int  # minor units
    currency: str
    return_url: str | None = None
    notify_url: str | None = None
    note: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    expires_at: dt.datetime | None = None  # naive UTC
    payment_methods: str = ""


class Violations:
    """Collect every bad field, then refuse once with all of them (400)."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, name: str, problem: str) -> None:
        self.fields.setdefault(name, problem)

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.items()))
            more = len(self.fields) - 1
            message = (
                ngettext(
                    "%(field)s: %(problem)s (and %(num)d more)",
                    "%(field)s: %(problem)s (and %(num)d more)",
                    more,
                    field=first[0],
                    problem=first[1],
                )
                if more
                else _("%(field)s: %(problem)s", field=first[0], problem=first[1])
            )
            raise ServiceError(
                "VALIDATION_ERROR", message, 400, {"fields": dict(self.fields)}
            )


def _string(
    body: dict, name: str, bad: Violations, *, required: bool, low=1, high=200
) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            bad.add(name, _("is required"))
        return None
    if not isinstance(value, str):
        bad.add(name, _("must be a string"))
        return None
    value = value.strip()
    if not low <= len(value) <= high:
        bad.add(name, _("must be %(low)s to %(high)s characters", low=low, high=high))
        return None
    return value


def _url(body: dict, name: str, bad: Violations) -> str | None:
    value = _string(body, name, bad, required=False, high=250)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        bad.add(name, _("must be an absolute http(s) URL"))
        return None
    if parts.username or parts.password:
        bad.add(name, _("must not carry credentials"))
        return None
    return value


def _amount(body: dict, currency: str, bad: Violations) -> int | None:
    value = body.get("order_amount")
    if value is None:
        bad.add("order_amount", _("is required"))
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        bad.add("order_amount", _("must be a JSON number"))
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        bad.add("order_amount", _("is not a number"))
        return None
    if not amount.is_finite() or amount <= 0:
        bad.add("order_amount", _("must be greater than 0"))
        return None
    if amount < 1:
        bad.add("order_amount", _("must be at least 1.00 (the gateway's minimum)"))
        return None
    if amount > MAX_AMOUNT:
        bad.add("order_amount", _("must be at most %(max)s", max=MAX_AMOUNT))
        return None
    places = decimals(currency)
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        bad.add(
            "order_amount", _("has more than %(places)s decimal places", places=places)
        )
        return None
    return int(scaled)


def _tags(body: dict, bad: Violations) -> dict[str, str]:
    tags = body.get("order_tags")
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        bad.add("order_tags", _("must be an object of strings"))
        return {}
    if len(tags) > 10:
        bad.add("order_tags", _("at most 10 tags"))
        return {}
    for key, value in tags.items():
        if not 1 <= len(key) <= 64:
            bad.add(f"order_tags.{key}", _("tag names must be 1 to 64 characters"))
        elif not isinstance(value, str) or not 1 <= len(value) <= 255:
            bad.add(f"order_tags.{key}", _("must be a string of 1 to 255 characters"))
    return dict(tags)


def _expiry(body: dict, bad: Violations) -> dt.datetime | None:
    text = _string(body, "order_expiry_time", bad, required=False, high=64)
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        bad.add("order_expiry_time", _("must be an ISO 8601 time with an offset"))
        return None
    if moment.tzinfo is None:
        bad.add("order_expiry_time", _("must carry a UTC offset (e.g. +05:30 or Z)"))
        return None
    expires = moment.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    now = utcnow()
    if expires < now + MIN_EXPIRY:
        bad.add("order_expiry_time", _("must be at least a minute in the future"))
        return None
    if expires > now + MAX_EXPIRY:
        bad.add("order_expiry_time", _("must be at most 30 days in the future"))
        return None
    return expires


def _payment_methods(body: dict, bad: Violations) -> str:
    value = body.get("payment_methods")
    if value is None or value == "":
        return ""
    if isinstance(value, list):
        parts = value
    elif isinstance(value, str):
        parts = value.split(",")
    else:
        bad.add("payment_methods", _("must be a comma-separated string"))
        return ""
    names = [p.strip() if isinstance(p, str) else "" for p in parts]
    unknown = sorted({n for n in names if n not in GATEWAY_METHODS})
    if unknown:
        bad.add(
            "payment_methods",
            _(
                "unknown methods %(unknown)s; use %(known)s",
                unknown=", ".join(unknown) or "(empty)",
                known=", ".join(sorted(GATEWAY_METHODS)),
            ),
        )
        return ""
    return ",".join(dict.fromkeys(names))[:200]


KNOWN_FIELDS = frozenset(
    {
        "customer_name",
        "customer_email",
        "customer_phone",
        "order_amount",
        "order_currency",
        "return_url",
        "notify_url",
        "order_note",
        "order_tags",
        "order_expiry_time",
        "payment_methods",
        "order_meta",
    }
)


def parse_create_order(body: dict[str, Any]) -> CreateOrderRequest:
    """Validate a CreateOrderRequest; every bad field is reported at once (400).

    `return_url`, `notify_url` and `payment_methods` may also be given inside
    `order_meta`, as in the seed's Order structure.
    """
    bad = Violations()
    meta = body.get("order_meta")
    if meta is not None:
        if not isinstance(meta, dict):
            bad.add("order_meta", _("must be an object"))
        else:
            for key in ("return_url", "notify_url", "payment_methods"):
                if key in meta and key not in body:
                    body = {**body, key: meta[key]}
    for name in sorted(set(body) - KNOWN_FIELDS):
        bad.add(name, _("is not a CreateOrderRequest field"))
    currency = (
        _string(body, "order_currency", bad, required=False, low=3, high=3)
        or DEFAULT_CURRENCY
    )
    if not CURRENCY_RE.fullmatch(currency):
        bad.add("order_currency", _("must be an ISO 4217 code such as INR"))
    name = _string(body, "customer_name", bad, required=True, high=100)
    email = _string(body, "customer_email", bad, required=True, low=3, high=100)
    if email is not None and not EMAIL_RE.fullmatch(email):
        bad.add("customer_email", _("must be an email address"))
    phone = _string(body, "customer_phone", bad, required=True, low=6, high=20)
    if phone is not None and (
        not PHONE_RE.fullmatch(phone) or len(re.sub(r"\D", "", phone)) < 6
    ):
        bad.add("customer_phone", _("must be a phone number (digits, optional +)"))
    amount = _amount(body, currency, bad)
    request = CreateOrderRequest(
        customer_name=name or "",
        customer_email=email or "",
        customer_phone=phone or "",
        amount=amount or 0,
        currency=currency,
        return_url=_url(body, "return_url", bad),
        notify_url=_url(body, "notify_url", bad),
        note=_string(body, "order_note", bad, required=False, high=200) or "",
        tags=_tags(body, bad),
        expires_at=_expiry(body, bad),
        payment_methods=_payment_methods(body, bad),
    )
    bad.raise_if_any()
    return request


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
        notify_url=req.notify_url,
        allowed_methods=req.payment_methods,
        note=req.note,
        tags=req.tags,
    )
    order.return_url = fill_return_url(req.return_url, order.public_id)
    if req.expires_at is not None and req.expires_at != order.expires_at:
        order.expires_at = req.expires_at  # exact, not rounded to the minute
        schedule_auto_cancel(order)
    payment = initiate_payment(order, method)
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
