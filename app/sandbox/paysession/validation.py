"""Validating create-order and refund requests as the gateway does (§3.3).

Every refusal is an `ApiProblem` naming the field, in the gateway's
`{message, code, type}` shape; nothing is stored for a refused request.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from flask import request

from app.sandbox.paysession import methods, store
from app.sandbox.paysession.http import ApiProblem, invalid, missing
from app.sandbox.states import PaysessionOrderStatus

DEFAULT_EXPIRY_DAYS = 30
MAX_AMOUNT = Decimal("1000000000")
CENT = Decimal("0.01")
ID_RE = re.compile(r"[A-Za-z0-9_-]+")
DIGITS_RE = re.compile(r"[0-9]+")
CURRENCY_RE = re.compile(r"[A-Z]{3}")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+")


def json_body() -> dict:
    """Parse floats as Decimal so `10.155` is seen as three decimals, not rounded."""
    try:
        data = json.loads(request.get_data(cache=True) or b"null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem(
            400, "request body is not valid JSON", "request_invalid"
        ) from exc
    if not isinstance(data, dict):
        raise ApiProblem(400, "request body must be a JSON object", "request_invalid")
    return data


def text_field(
    container: dict,
    name: str,
    path: str,
    sizes: tuple[int, int],
    pattern: re.Pattern | None = None,
    required: bool = False,
) -> str | None:
    """One optional or required string with length bounds and a character set."""
    value = container.get(name)
    if value is None:
        if required:
            raise missing(path)
        return None
    if not isinstance(value, str):
        raise invalid(path, "should be a string")
    low, high = sizes
    if not low <= len(value) <= high:
        raise invalid(path, f"should be {low} to {high} characters long")
    if pattern is not None and not pattern.fullmatch(value):
        raise invalid(path, "contains characters that are not allowed")
    return value


def amount_field(value: Any, path: str, minimum: Decimal) -> Decimal:
    """A JSON number (not a string) with at most two decimals, at least `minimum`."""
    if value is None:
        raise missing(path)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise invalid(path, "should be a number")
    amount = Decimal(value)
    if amount < minimum:
        raise invalid(path, f"should be at least {minimum}. Value received: {value}")
    if amount > MAX_AMOUNT:
        raise invalid(path, f"should be at most {MAX_AMOUNT}")
    try:
        exact = amount == amount.quantize(CENT)
    except InvalidOperation:
        exact = False
    if not exact:
        raise invalid(
            path, f"at most 2 decimal places allowed. Value received: {value}"
        )
    return amount.quantize(CENT)


def object_field(body: dict, name: str, required: bool = False) -> dict:
    value = body.get(name)
    if value is None:
        if required:
            raise missing(name)
        return {}
    if not isinstance(value, dict):
        raise invalid(name, "should be an object")
    return value


def customer_field(body: dict) -> dict:
    details = object_field(body, "customer_details", required=True)
    path = "customer_details."
    return {
        "customer_id": text_field(
            details, "customer_id", path + "customer_id", (3, 50), ID_RE, True
        ),
        "customer_name": text_field(
            details, "customer_name", path + "customer_name", (3, 100)
        ),
        "customer_email": text_field(
            details, "customer_email", path + "customer_email", (3, 100), EMAIL_RE
        ),
        "customer_phone": text_field(
            details,
            "customer_phone",
            path + "customer_phone",
            (10, 10),
            DIGITS_RE,
            True,
        ),
    }


def url_field(meta: dict, name: str) -> str | None:
    """http(s) only; the sandbox also takes plain http so loopback receivers work."""
    url = text_field(meta, name, f"order_meta.{name}", (1, 250))
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid(f"order_meta.{name}", "should be an http(s) URL")
    return url


def meta_field(body: dict) -> dict:
    meta = object_field(body, "order_meta")
    text = text_field(meta, "payment_methods", "order_meta.payment_methods", (0, 250))
    unknown = methods.unknown(methods.parse_list(text))
    if unknown:
        raise invalid("order_meta.payment_methods", f"unknown methods {unknown}")
    return {
        "return_url": url_field(meta, "return_url"),
        "notify_url": url_field(meta, "notify_url"),
        "payment_methods": text,
    }


def tags_field(body: dict) -> dict | None:
    tags = object_field(body, "order_tags")
    if not tags:
        return None
    if len(tags) > 10:
        raise invalid("order_tags", "at most 10 tags allowed")
    for key in tags:
        text_field(tags, key, f"order_tags.{key}", (1, 255), required=True)
    return dict(tags)


def expiry_field(body: dict) -> str:
    """Default: 30 days out. A time in the past is accepted on purpose, so tests
    and demos can create an order that is already expired."""
    text = text_field(body, "order_expiry_time", "order_expiry_time", (1, 64))
    if text is None:
        return store.iso(store.now_ist() + dt.timedelta(days=DEFAULT_EXPIRY_DAYS))
    try:
        return store.iso(store.parse_iso(text))
    except (ValueError, OverflowError) as exc:
        raise invalid("order_expiry_time", "should be an ISO 8601 time") from exc


def digits(count: int) -> str:
    """A random id made of digits, as the gateway's cf_* ids are."""
    return str(secrets.randbelow(9 * 10 ** (count - 1)) + 10 ** (count - 1))


def new_order(body: dict) -> dict:
    """Validate a create-order request (§3.3) and build the stored record."""
    amount = amount_field(body.get("order_amount"), "order_amount", Decimal(1))
    currency = text_field(
        body, "order_currency", "order_currency", (3, 3), CURRENCY_RE, True
    )
    customer = customer_field(body)
    order_id = text_field(body, "order_id", "order_id", (3, 45), ID_RE)
    return {
        "cf_order_id": digits(10),
        "order_id": order_id or f"order_{digits(10)}{secrets.token_hex(4)}",
        "order_currency": currency,
        "order_amount": str(amount),
        "status": PaysessionOrderStatus.ACTIVE,
        "payment_session_id": "session_" + secrets.token_urlsafe(64),
        "order_expiry_time": expiry_field(body),
        "order_note": text_field(body, "order_note", "order_note", (3, 200)),
        "created_at": store.iso(store.now_ist()),
        "customer_details": customer,
        "order_meta": meta_field(body),
        "order_tags": tags_field(body),
        "payments": [],
        "refunds": [],
    }


def new_refund(body: dict) -> dict:
    amount = amount_field(body.get("refund_amount"), "refund_amount", CENT)
    return {
        "cf_refund_id": digits(8),
        "refund_id": text_field(body, "refund_id", "refund_id", (3, 40), ID_RE, True),
        "amount": str(amount),
        "note": text_field(body, "refund_note", "refund_note", (3, 100)),
        "created_at": store.iso(store.now_ist()),
    }
