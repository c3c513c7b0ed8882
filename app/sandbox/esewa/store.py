"""The eSewa simulator's state: one JSON record per transaction_uuid in Redis.

A record holds the form fields the merchant posted, the status (`EsewaStatus`)
and, once money moved, the 7-character transaction code. Every change goes
through `move()`, which asks the transition table in `app.sandbox.states`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app

from app.sandbox import kv
from app.sandbox.esewa.signing import new_transaction_code
from app.sandbox.states import (
    ESEWA_MONEY_MOVED,
    ESEWA_MOVES,
    EsewaStatus,
    IllegalMove,
    next_status,
)

Record = dict[str, Any]

KEY_PREFIX = "sandbox:esewa:"
RECENT_KEY = f"{KEY_PREFIX}recent"
RECENT_LIMIT = 100
RECORD_TTL_SECONDS = 30 * 24 * 3600


def txn_key(transaction_uuid: str) -> str:
    return f"{KEY_PREFIX}txn:{transaction_uuid}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# --- settings -------------------------------------------------------------------


def product_code() -> str:
    return current_app.config["ESEWA_PRODUCT_CODE"]


def secret_key() -> str:
    return current_app.config["ESEWA_SECRET_KEY"]


# --- records --------------------------------------------------------------------


def load_transaction(transaction_uuid: str) -> Record | None:
    return kv.load(txn_key(transaction_uuid))


def _update(transaction_uuid: str, change) -> Record | None:
    def stamped(current: Record | None) -> Record | None:
        updated = change(current)
        if updated is not None:
            updated["updated_at"] = _now()
        return updated

    return kv.update(txn_key(transaction_uuid), stamped, ttl=RECORD_TTL_SECONDS)


def start(fields: dict[str, str]) -> Record | None:
    """A form post opens (or reopens) the transaction; None if it is paid already.

    Re-posting a PENDING or abandoned uuid starts it afresh, as eSewa lets a
    customer come back to a checkout; a uuid whose money moved is spent.
    """

    def change(current: Record | None) -> Record | None:
        if current is not None:
            try:
                next_status(ESEWA_MOVES, current["status"], "start")
            except IllegalMove:
                return None
        return {
            "fields": fields,
            "status": EsewaStatus.PENDING,
            "transaction_code": None,
            "created_at": _now(),
        }

    record = _update(fields["transaction_uuid"], change)
    if record is None or record["status"] != EsewaStatus.PENDING:
        return None
    remember_recent(fields["transaction_uuid"])
    return record


def move(transaction_uuid: str, event: str) -> Record | None:
    """Apply a customer's action; a record the event does not apply to stays.

    Returns the stored record (changed or not), or None for an unknown uuid.
    Completing keeps an existing transaction code, so a replayed click gets the
    same signed redirect.
    """

    def change(current: Record | None) -> Record | None:
        if current is None:
            return None
        try:
            current["status"] = next_status(ESEWA_MOVES, current["status"], event)
        except IllegalMove:
            return None
        if current["status"] == EsewaStatus.COMPLETE:
            current["transaction_code"] = (
                current["transaction_code"] or new_transaction_code()
            )
        return current

    return _update(transaction_uuid, change)


def force(transaction_uuid: str, status: EsewaStatus) -> Record | None:
    """Put a transaction in any documented state (a test and demo control, e.g.
    a refund made in the merchant portal); None for an unknown uuid."""

    def change(current: Record | None) -> Record | None:
        if current is None:
            return None
        current["status"] = status
        if status in ESEWA_MONEY_MOVED and not current["transaction_code"]:
            current["transaction_code"] = new_transaction_code()
        return current

    return _update(transaction_uuid, change)


def remember_recent(transaction_uuid: str) -> None:
    """Keep a short, capped list of uuids for the index page."""
    with kv.conn().pipeline() as pipe:
        pipe.lrem(RECENT_KEY, 0, transaction_uuid)
        pipe.lpush(RECENT_KEY, transaction_uuid)
        pipe.ltrim(RECENT_KEY, 0, RECENT_LIMIT - 1)
        pipe.execute()


def recent_transactions(limit: int = 50) -> list[Record]:
    uuids = [u.decode() for u in kv.conn().lrange(RECENT_KEY, 0, limit - 1)]
    if not uuids:
        return []
    found = (kv.load(txn_key(u)) for u in uuids)
    return [record for record in found if record]
