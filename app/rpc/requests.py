"""CreateOrderRequest (seed 002): every field checked, every problem reported.

The seed's flat request, plus the fields of its Order structure a merchant
naturally sends with it: `order_meta` (return_url, notify_url,
payment_methods), `customer_details` (customer_id and the contact fields),
`order_note`, `order_tags`, `order_expiry_time`, `order_currency`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from app.db import utcnow
from app.money import decimals
from app.services_errors import ServiceError
from app.urls import browser_host, return_url_allowed

DEFAULT_CURRENCY = "INR"
MAX_AMOUNT = Decimal("100000000")  # 10 crore rupees: far above any real order
MIN_EXPIRY = dt.timedelta(minutes=1)
MAX_EXPIRY = dt.timedelta(days=30)
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE_RE = re.compile(r"\+?[0-9][0-9 ()-]{5,19}")
CURRENCY_RE = re.compile(r"[A-Z]{3}")
CUSTOMER_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,50}")
UINT32_MAX = 2**32 - 1
# The gateway's method codes for `order_meta.payment_methods` (gateways.md §3.3).
GATEWAY_METHODS = frozenset(
    {"cc", "dc", "ccc", "ppc", "nb", "upi", "paypal", "app", "paylater"}
    | {"cardlessemi", "dcemi", "ccemi", "banktransfer"}
)
# The seed's own words ("upi, card") and what the gateway calls them.
SEED_METHOD_WORDS: dict[str, tuple[str, ...]] = {
    "card": ("cc", "dc"),
    "credit_card": ("cc",),
    "debit_card": ("dc",),
    "upi": ("upi",),
    "netbanking": ("nb",),
    "net_banking": ("nb",),
    "wallet": ("app",),
    "paylater": ("paylater",),
    "pay_later": ("paylater",),
    "emi": ("cardlessemi", "ccemi", "dcemi"),
    "bank_transfer": ("banktransfer",),
    "paypal": ("paypal",),
}


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
    customer_id: str | None = None  # the merchant's own id of the customer


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
    if browser_host(value) is None:
        bad.add(name, _("must be a plain URL that browsers read the same way"))
        return None
    if name == "return_url" and not return_url_allowed(value):
        bad.add(name, _("must be on a host this shop may send customers to"))
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
    names = [p.strip().lower() if isinstance(p, str) else "" for p in parts]
    known = GATEWAY_METHODS | set(SEED_METHOD_WORDS)
    unknown = sorted({n for n in names if n not in known})
    if unknown:
        bad.add(
            "payment_methods",
            _(
                "unknown methods %(unknown)s; use %(known)s",
                unknown=", ".join(unknown) or "(empty)",
                known=", ".join(sorted(known)),
            ),
        )
        return ""
    return ",".join(dict.fromkeys(names))[:200]


def gateway_methods(allowed: str) -> tuple[str, ...]:
    """`order_meta.payment_methods` (the seed's words or the gateway's codes)
    as the gateway's codes, in order, each once."""
    codes: list[str] = []
    for name in filter(None, (n.strip() for n in (allowed or "").split(","))):
        codes.extend(SEED_METHOD_WORDS.get(name, (name,)))
    return tuple(dict.fromkeys(codes))


def _customer_id(body: dict, bad: Violations) -> str | None:
    """Seed 002's `customer_details.customer_id` (uint32), or the gateway's
    string id (3-50 of `[A-Za-z0-9_-]`)."""
    value = body.get("customer_id")
    if value is None:
        return None
    if isinstance(value, bool):
        bad.add("customer_id", _("must be a number or an id string"))
        return None
    if isinstance(value, int):
        if not 0 <= value <= UINT32_MAX:
            bad.add("customer_id", _("must be between 0 and 4294967295"))
            return None
        return str(value)
    if isinstance(value, str) and CUSTOMER_ID_RE.fullmatch(value.strip()):
        return value.strip()
    bad.add("customer_id", _("must be a number or 1 to 50 of A-Z a-z 0-9 _ -"))
    return None


def _notify_url(body: dict, bad: Violations) -> str | None:
    """Where we POST the merchant's webhooks. In production only https to a
    named host (no loopback or private address); elsewhere http too, so a test
    listener on 127.0.0.1 can receive them."""
    url = _url(body, "notify_url", bad)
    if url is None or current_app.config["APP_ENV"] != "production":
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https":
        bad.add("notify_url", _("must be https"))
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if (
        host == "localhost"
        or host.endswith(".localhost")
        or (address is not None and not address.is_global)
    ):
        bad.add("notify_url", _("must be a public address"))
        return None
    return url


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
        "customer_id",
        "customer_details",
    }
)


def parse_create_order(body: dict[str, Any]) -> CreateOrderRequest:
    """Validate a CreateOrderRequest; every bad field is reported at once (400).

    `return_url`, `notify_url` and `payment_methods` may also be given inside
    `order_meta`, as in the seed's Order structure.
    """
    bad = Violations()
    details = body.get("customer_details")
    if details is not None:
        if not isinstance(details, dict):
            bad.add("customer_details", _("must be an object"))
        else:
            for key in (
                "customer_id",
                "customer_name",
                "customer_email",
                "customer_phone",
            ):
                if key in details and key not in body:
                    body = {**body, key: details[key]}
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
        notify_url=_notify_url(body, bad),
        note=_string(body, "order_note", bad, required=False, high=200) or "",
        tags=_tags(body, bad),
        expires_at=_expiry(body, bad),
        payment_methods=_payment_methods(body, bad),
        customer_id=_customer_id(body, bad),
    )
    bad.raise_if_any()
    return request
