"""State of the payment-session simulator: orders and webhook deliveries in Redis.

Everything lives as JSON under `sandbox:paysession:`, so the simulator needs no
tables and the web process and RQ workers see the same orders. Order statuses
are `PaysessionOrderStatus`; EXPIRED is never stored but computed on read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import current_app

from app.sandbox import faults, kv
from app.sandbox.faults import FaultMode
from app.sandbox.states import (
    DeliveryState,
    PaysessionOrderStatus,
    PaysessionPaymentStatus,
)

PREFIX = "sandbox:paysession:"
IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
API_VERSION = "2023-08-01"
RECENT_LIMIT = 50
DEFAULT_CLIENT_ID = "cf_test_client"
DEFAULT_CLIENT_SECRET = "cfsk_demo_secret"
ORDERS_INDEX = f"{PREFIX}orders"
MODE_KEY = f"{PREFIX}mode"


# --- settings and time --------------------------------------------------------


def credentials() -> tuple[str, str]:
    """Config values, falling back to the published sandbox pair so the sandbox
    is never open to an empty secret."""
    cfg = current_app.config
    return (
        cfg.get("PAYSESSION_CLIENT_ID") or DEFAULT_CLIENT_ID,
        cfg.get("PAYSESSION_CLIENT_SECRET") or DEFAULT_CLIENT_SECRET,
    )


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


def money(text: str | Decimal) -> Decimal:
    """Amounts are stored as text so Redis round-trips never lose cents."""
    return Decimal(str(text)).quantize(Decimal("0.01"))


# --- Redis plumbing -----------------------------------------------------------


def order_key(order_id: str) -> str:
    return f"{PREFIX}order:{order_id}"


def session_key(session_id: str) -> str:
    return f"{PREFIX}session:{session_id}"


def delivery_key(delivery_id: str) -> str:
    return f"{PREFIX}delivery:{delivery_id}"


def load(key: str) -> Any:
    return kv.load(key)


def update(key: str, change: Callable[[Any], Any]) -> Any:
    """Read-modify-write one JSON value atomically (see `kv.update`): two tabs
    completing the same checkout, or a refund racing a payment, must not both
    see ACTIVE. `change` may raise to abort without writing."""
    return kv.update(key, change)


# --- orders -------------------------------------------------------------------


def insert_order(order: dict) -> bool:
    """Store a new order; False when the id is taken (SET NX, so no race)."""
    created = kv.conn().set(order_key(order["order_id"]), json.dumps(order), nx=True)
    if not created:
        return False
    pipe = kv.conn().pipeline()
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
    ids = kv.conn().zrevrange(ORDERS_INDEX, 0, limit - 1)
    orders = (get_order(i.decode()) for i in ids)
    return [o for o in orders if o is not None]


def status_of(order: dict, at: dt.datetime | None = None) -> PaysessionOrderStatus:
    """The status a caller sees: an ACTIVE order past its expiry reads EXPIRED.

    Computed on read so expiry needs no scheduler and is exact to the second.
    """
    status = PaysessionOrderStatus(order["status"])
    if status != PaysessionOrderStatus.ACTIVE:
        return status
    if (at or now_ist()) >= parse_iso(order["order_expiry_time"]):
        return PaysessionOrderStatus.EXPIRED
    return PaysessionOrderStatus.ACTIVE


def refundable(order: dict) -> Decimal:
    """What is still refundable: the successful payment minus earlier refunds."""
    paid = sum(
        (
            money(p["amount"])
            for p in order["payments"]
            if p["status"] == PaysessionPaymentStatus.SUCCESS
        ),
        Decimal("0.00"),
    )
    refunded = sum((money(r["amount"]) for r in order["refunds"]), Decimal("0.00"))
    return paid - refunded


# --- fault mode ---------------------------------------------------------------


def get_mode() -> FaultMode:
    return faults.get(MODE_KEY, FaultMode, FaultMode.OK)


def set_mode(mode: FaultMode) -> None:
    faults.put(MODE_KEY, mode)


# --- webhook deliveries -------------------------------------------------------


def new_delivery(delivery_id: str, order_id: str, event: str, url: str) -> None:
    record = {
        "id": delivery_id,
        "order_id": order_id,
        "type": event,
        "url": url,
        "created_at": iso(now_ist()),
        "state": DeliveryState.QUEUED,
        "attempts": [],
    }
    kv.save(delivery_key(delivery_id), record)


def start_attempt(delivery_id: str) -> int:
    """Count an attempt before sending, so `x-webhook-attempt` is 1, 2, 3, ..."""

    def change(record: dict | None) -> dict:
        record = record or {
            "id": delivery_id,
            "state": DeliveryState.QUEUED,
            "attempts": [],
        }
        record["attempts"].append({"n": len(record["attempts"]) + 1})
        return record

    return len(update(delivery_key(delivery_id), change)["attempts"])


def finish_attempt(delivery_id: str, result: dict, state: DeliveryState) -> None:
    """Record how an attempt ended (status code or error) for the index page."""

    def change(record: dict) -> dict:
        record["attempts"][-1].update(result, at=iso(now_ist()))
        record["state"] = state
        return record

    update(delivery_key(delivery_id), change)


def deliveries(ids: list[str]) -> list[dict]:
    found = (load(delivery_key(i)) for i in ids)
    return [d for d in found if d is not None]
