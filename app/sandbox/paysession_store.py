"""State, wire formats and signatures for the payment-session sandbox.

Everything lives in Redis as JSON under `sandbox:paysession:` so the simulator
needs no tables and the web process and RQ workers see the same orders. The
entity builders here are the single place that decides what the merchant sees on
the wire, so API answers and webhook bodies cannot drift apart.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import redis
from flask import current_app

PREFIX = "sandbox:paysession:"
IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
API_VERSION = "2023-08-01"
MODES = ("ok", "fail", "hang")
RECENT_LIMIT = 50

UPI_SUCCESS = "testsuccess@gocash"
UPI_FAILURE = "testfailure@gocash"


# --- time -------------------------------------------------------------------


def now_ist() -> dt.datetime:
    """The gateway reports every time in IST, so that is our clock too."""
    return dt.datetime.now(IST).replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    """ISO 8601 with the `+05:30` offset the real gateway emits."""
    return moment.astimezone(IST).replace(microsecond=0).isoformat()


def parse_iso(text: str) -> dt.datetime:
    """Parse an ISO 8601 time; a time without offset is read as IST (as stored)."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=IST)
    return moment


# --- JSON with exact amounts --------------------------------------------------


def dumps(value: Any) -> str:
    """Compact JSON where every Decimal is written as a number with two decimals.

    The stdlib would print `170.0` (float) or refuse Decimal. The gateway sends
    `170.00`, and merchants that re-serialize before verifying a signature break
    on exactly that, so the sandbox must reproduce it byte for byte.
    """
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def money(text: str | Decimal) -> Decimal:
    """Amounts are stored as text so Redis round-trips never lose cents."""
    return Decimal(str(text)).quantize(Decimal("0.01"))


# --- webhook signature --------------------------------------------------------


def sign(secret: str, timestamp: str, body: str | bytes) -> str:
    """base64(HMAC-SHA256(secret, timestamp + raw body)), no separator (§3.7)."""
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), timestamp.encode() + raw, hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def verify(secret: str, timestamp: str, body: str | bytes, signature: str) -> bool:
    """Constant-time check, so the sandbox never leaks how much of a guess matched."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


# --- Redis plumbing -----------------------------------------------------------


def conn() -> redis.Redis:
    return current_app.extensions["redis"]


def order_key(order_id: str) -> str:
    return f"{PREFIX}order:{order_id}"


def session_key(session_id: str) -> str:
    return f"{PREFIX}session:{session_id}"


def delivery_key(delivery_id: str) -> str:
    return f"{PREFIX}delivery:{delivery_id}"


ORDERS_INDEX = f"{PREFIX}orders"
MODE_KEY = f"{PREFIX}mode"


def load(key: str) -> Any:
    raw = conn().get(key)
    return None if raw is None else json.loads(raw)


def update(key: str, change: Callable[[Any], Any]) -> Any:
    """Read-modify-write one JSON value atomically (WATCH/MULTI).

    Two browser tabs completing the same checkout, or a refund racing a payment,
    must not both see ACTIVE; the loser is retried on fresh data. `change` may
    raise to abort without writing.
    """

    def attempt(pipe: redis.client.Pipeline) -> Any:
        raw = pipe.get(key)
        current = None if raw is None else json.loads(raw)
        result = change(current)
        pipe.multi()
        pipe.set(key, json.dumps(result))
        return result

    return conn().transaction(attempt, key, value_from_callable=True)


# --- orders -------------------------------------------------------------------


def insert_order(order: dict) -> bool:
    """Store a new order; False when the id is taken (SET NX, so no race)."""
    created = conn().set(order_key(order["order_id"]), json.dumps(order), nx=True)
    if not created:
        return False
    pipe = conn().pipeline()
    pipe.set(session_key(order["payment_session_id"]), json.dumps(order["order_id"]))
    pipe.zadd(ORDERS_INDEX, {order["order_id"]: dt.datetime.now(dt.UTC).timestamp()})
    pipe.execute()
    return True


def get_order(order_id: str) -> dict | None:
    return load(order_key(order_id))


def order_for_session(session_id: str) -> dict | None:
    order_id = load(session_key(session_id))
    return None if order_id is None else get_order(order_id)


def recent_orders(limit: int = RECENT_LIMIT) -> list[dict]:
    ids = conn().zrevrange(ORDERS_INDEX, 0, limit - 1)
    orders = (get_order(i.decode()) for i in ids)
    return [o for o in orders if o is not None]


def status_of(order: dict, at: dt.datetime | None = None) -> str:
    """The status a caller sees: an ACTIVE order past its expiry reads EXPIRED.

    Computed on read so expiry needs no scheduler and is exact to the second.
    """
    if order["status"] != "ACTIVE":
        return order["status"]
    if (at or now_ist()) >= parse_iso(order["order_expiry_time"]):
        return "EXPIRED"
    return "ACTIVE"


def refundable(order: dict) -> Decimal:
    """What is still refundable: the successful payment minus earlier refunds."""
    paid = sum(
        (money(p["amount"]) for p in order["payments"] if p["status"] == "SUCCESS"),
        Decimal("0.00"),
    )
    refunded = sum((money(r["amount"]) for r in order["refunds"]), Decimal("0.00"))
    return paid - refunded


# --- fault mode ---------------------------------------------------------------


def get_mode() -> str:
    return load(MODE_KEY) or "ok"


def set_mode(mode: str) -> None:
    conn().set(MODE_KEY, json.dumps(mode))


# --- webhook deliveries -------------------------------------------------------


def new_delivery(delivery_id: str, order_id: str, event: str, url: str) -> None:
    record = {
        "id": delivery_id,
        "order_id": order_id,
        "type": event,
        "url": url,
        "created_at": iso(now_ist()),
        "state": "queued",
        "attempts": [],
    }
    conn().set(delivery_key(delivery_id), json.dumps(record))


def start_attempt(delivery_id: str) -> int:
    """Count an attempt before sending, so `x-webhook-attempt` is 1, 2, 3, ..."""

    def change(record: dict | None) -> dict:
        record = record or {"id": delivery_id, "state": "queued", "attempts": []}
        record["attempts"].append({"n": len(record["attempts"]) + 1})
        return record

    return len(update(delivery_key(delivery_id), change)["attempts"])


def finish_attempt(delivery_id: str, result: dict, state: str) -> None:
    """Record how an attempt ended (status code or error) for the index page."""

    def change(record: dict) -> dict:
        record["attempts"][-1].update(result, at=iso(now_ist()))
        record["state"] = state
        return record

    update(delivery_key(delivery_id), change)


def deliveries(ids: list[str]) -> list[dict]:
    found = (load(delivery_key(i)) for i in ids)
    return [d for d in found if d is not None]


# --- entities on the wire -----------------------------------------------------


def order_entity(order: dict) -> dict:
    """OrderEntity as `GET /orders/{id}` answers it (§3.4)."""
    return {
        "cf_order_id": order["cf_order_id"],
        "order_id": order["order_id"],
        "entity": "order",
        "order_currency": order["order_currency"],
        "order_amount": money(order["order_amount"]),
        "order_status": status_of(order),
        "payment_session_id": order["payment_session_id"],
        "order_expiry_time": order["order_expiry_time"],
        "order_note": order["order_note"],
        "created_at": order["created_at"],
        "order_splits": [],
        "customer_details": {**order["customer_details"], "customer_uid": None},
        "order_meta": order["order_meta"],
        "order_tags": order["order_tags"],
        "cart_details": None,
        "terminal_data": None,
    }


def payment_method(payment: dict) -> dict:
    return {"upi": {"channel": "collect", "upi_id": payment["upi_id"]}}


def payment_entity(order: dict, payment: dict) -> dict:
    """PaymentEntity for one attempt (§3.5)."""
    return {
        "cf_payment_id": payment["cf_payment_id"],
        "order_id": order["order_id"],
        "entity": "payment",
        "payment_status": payment["status"],
        "payment_amount": money(payment["amount"]),
        "payment_currency": order["order_currency"],
        "order_amount": money(order["order_amount"]),
        "payment_group": "upi",
        "payment_method": payment_method(payment),
        "payment_message": payment["message"],
        "payment_time": payment["time"],
        "payment_completion_time": payment["time"],
        "bank_reference": payment["bank_reference"],
        "auth_id": None,
        "is_captured": payment["status"] == "SUCCESS",
        "error_details": payment["error_details"],
        "authorization": None,
    }


def refund_entity(order: dict, refund: dict) -> dict:
    return {
        "cf_refund_id": refund["cf_refund_id"],
        "refund_id": refund["refund_id"],
        "order_id": order["order_id"],
        "entity": "refund",
        "refund_amount": money(refund["amount"]),
        "refund_currency": order["order_currency"],
        "refund_note": refund["note"],
        "refund_status": "SUCCESS",
        "created_at": refund["created_at"],
    }


WEBHOOK_TYPES = {
    "SUCCESS": "PAYMENT_SUCCESS_WEBHOOK",
    "FAILED": "PAYMENT_FAILED_WEBHOOK",
    "USER_DROPPED": "PAYMENT_USER_DROPPED_WEBHOOK",
}


def webhook_body(order: dict, payment: dict) -> str:
    """The exact webhook text (§3.7); signed and sent byte for byte on every try."""
    customer = order["customer_details"]
    data: dict[str, Any] = {
        "order": {
            "order_id": order["order_id"],
            "order_amount": money(order["order_amount"]),
            "order_currency": order["order_currency"],
            "order_tags": order["order_tags"],
        },
        "payment": {
            "cf_payment_id": payment["cf_payment_id"],
            "payment_status": payment["status"],
            "payment_amount": money(payment["amount"]),
            "payment_currency": order["order_currency"],
            "payment_message": payment["message"],
            "payment_time": payment["time"],
            "bank_reference": payment["bank_reference"],
            "auth_id": None,
            "payment_method": payment_method(payment),
            "payment_group": "upi",
        },
        "customer_details": {
            "customer_name": customer["customer_name"],
            "customer_id": customer["customer_id"],
            "customer_email": customer["customer_email"],
            "customer_phone": customer["customer_phone"],
        },
        "payment_gateway_details": {
            "gateway_name": "CASHFREE",
            "gateway_order_id": order["cf_order_id"],
            "gateway_payment_id": payment["cf_payment_id"],
            "gateway_order_reference_id": None,
            "gateway_settlement": "CASHFREE",
            "gateway_status_code": None,
        },
    }
    if payment["error_details"] is not None:
        data["error_details"] = payment["error_details"]
    event = {
        "data": data,
        "event_time": iso(now_ist()),
        "type": WEBHOOK_TYPES[payment["status"]],
    }
    return dumps(event)
