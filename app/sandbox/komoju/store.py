"""State of the KOMOJU simulator in Redis, and its sessions.

Every session, payment, webhook event and delivery attempt is a JSON value under
`sandbox:komoju:`, so a Redis flush resets the simulator and nothing needs a
migration. This module knows nothing about HTTP: the views parse requests, call
these functions and turn a `SandboxError` into the right answer (JSON for the
API, a page for people). Payments and their state changes are in `payments`.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from redis.exceptions import LockError

from app.sandbox import faults, kv
from app.sandbox.faults import FaultMode
from app.sandbox.states import (
    KOMOJU_SESSION_MOVES,
    IllegalMove,
    KomojuSessionStatus,
    next_status,
)

Record = dict[str, Any]

PREFIX = "sandbox:komoju:"
RECENT_KEY = f"{PREFIX}recent"
MODE_KEY = f"{PREFIX}mode"
RECORD_TTL_SECONDS = 7 * 24 * 3600
RECENT_LIMIT = 200
ATTEMPT_LIMIT = 100
ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 25
PAYMENT_TYPES = ("credit_card", "konbini")


class SandboxError(Exception):
    """A request the real gateway would refuse; carries the answer's parts."""

    def __init__(
        self, status: int, code: str, message: str, param: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param


# --- basics -------------------------------------------------------------------


def key(*parts: str) -> str:
    """Every key of the simulator, so `sandbox:komoju:*` finds all of its state."""
    return PREFIX + ":".join(parts)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """KOMOJU's timestamp form: UTC, whole seconds, a `Z` suffix."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def new_id() -> str:
    """A 25-character lowercase alphanumeric id, the shape KOMOJU's ids have."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def load(kind: str, obj_id: str) -> Record | None:
    return kv.load(key(kind, obj_id))


def save(kind: str, record: Record) -> None:
    kv.save(key(kind, record["id"]), record, ttl=RECORD_TTL_SECONDS)


def _push(list_key: str, item: Record) -> None:
    """Append to a bounded list that expires with the records it describes."""
    pipe = kv.conn().pipeline()
    pipe.rpush(list_key, json.dumps(item))
    pipe.ltrim(list_key, -ATTEMPT_LIMIT, -1)
    pipe.expire(list_key, RECORD_TTL_SECONDS)
    pipe.execute()


def _read_list(list_key: str) -> list[Record]:
    return [json.loads(raw) for raw in kv.conn().lrange(list_key, 0, -1)]


@contextmanager
def locked(session_id: str) -> Iterator[None]:
    """Serialise changes to one session and its payments.

    Two clicks (or a click and a merchant API call) must not both move the same
    payment, e.g. capture it twice and send two `payment.captured` webhooks.
    """
    lock = kv.conn().lock(key("lock", session_id), timeout=10, blocking_timeout=5)
    if not lock.acquire():
        raise SandboxError(409, "conflict", "The session is busy; try again.")
    try:
        yield
    finally:
        with suppress(LockError):
            lock.release()


# --- lookups ------------------------------------------------------------------


def find_session(session_id: str) -> Record | None:
    return load("session", session_id)


def find_payment(payment_id: str) -> Record | None:
    return load("payment", payment_id)


def require_session(session_id: str) -> Record:
    session = find_session(session_id)
    if session is None:
        raise SandboxError(404, "not_found", f"Session {session_id} not found.")
    return session


def require_payment(payment_id: str) -> Record:
    payment = find_payment(payment_id)
    if payment is None:
        raise SandboxError(404, "not_found", f"Payment {payment_id} not found.")
    return payment


def session_payment(session: Record) -> Record | None:
    """The payment that completed the session (it keeps changing afterwards)."""
    payment_id = session.get("payment_id")
    return find_payment(payment_id) if payment_id else None


def last_attempt(session: Record) -> Record | None:
    """The newest payment tried in the session, declined ones included."""
    attempts = session.get("attempts") or []
    return find_payment(attempts[-1]) if attempts else None


def recent_sessions(limit: int = 50) -> list[Record]:
    ids = kv.conn().zrevrange(RECENT_KEY, 0, limit - 1)
    found = (find_session(raw.decode()) for raw in ids)
    return [session for session in found if session is not None]


# --- sessions -----------------------------------------------------------------


def is_expired(session: Record) -> bool:
    """A pending session lapses `expires_in_seconds` after creation."""
    if session["status"] != KomojuSessionStatus.PENDING:
        return False
    created = parse_iso(session["created_at"])
    lifetime = dt.timedelta(seconds=session["expires_in_seconds"])
    return now() >= created + lifetime


def create_session(params: Record, session_url_base: str) -> Record:
    """Store a new pending session from validated parameters."""
    session_id = new_id()
    created = now()
    session: Record = {
        **params,
        "id": session_id,
        "session_url": f"{session_url_base.rstrip('/')}/{session_id}",
        "created_at": iso(created),
        "status": KomojuSessionStatus.PENDING,
        "cancelled_at": None,
        "completed_at": None,
        "payment_id": None,
        "attempts": [],
    }
    save("session", session)
    pipe = kv.conn().pipeline()
    pipe.zadd(RECENT_KEY, {session_id: created.timestamp()})
    pipe.zremrangebyrank(RECENT_KEY, 0, -RECENT_LIMIT - 1)
    pipe.expire(RECENT_KEY, RECORD_TTL_SECONDS)
    pipe.execute()
    return session


def session_object(session: Record) -> Record:
    """The Session resource as the API returns it (payment embedded once done)."""
    done = session["status"] == KomojuSessionStatus.COMPLETED
    return {
        "id": session["id"],
        "resource": "session",
        "mode": "payment",
        "amount": session["amount"],
        "currency": session["currency"],
        "session_url": session["session_url"],
        "return_url": session["return_url"],
        "default_locale": session["default_locale"],
        "payment_methods": [{"type": kind} for kind in session["payment_types"]],
        "created_at": session["created_at"],
        "cancelled_at": session["cancelled_at"],
        "completed_at": session["completed_at"],
        "status": session["status"],
        "expired": is_expired(session),
        "metadata": session["metadata"],
        "payment": session_payment(session) if done else None,
        "payment_data": session["payment_data"],
        "email": session["email"],
    }


def ensure_open(session: Record) -> None:
    """Only a pending, unexpired session can still be paid or abandoned."""
    if session["status"] != KomojuSessionStatus.PENDING:
        raise SandboxError(
            409, "invalid_state", f"The session is already {session['status']}."
        )
    if is_expired(session):
        raise SandboxError(409, "invalid_state", "The session has expired.")


def move_session(session: Record, event: str, status: int) -> None:
    """Apply a session transition in place, or refuse with `status`."""
    try:
        session["status"] = next_status(KOMOJU_SESSION_MOVES, session["status"], event)
    except IllegalMove as exc:
        raise SandboxError(
            status,
            "invalid_state",
            f"The session is {exc.current}; it cannot {event} now.",
        ) from None


def cancel_session(session_id: str) -> Record:
    """The merchant's cancel: allowed only while nobody has paid."""
    with locked(session_id):
        session = require_session(session_id)
        move_session(session, "cancel", 422)
        session["cancelled_at"] = iso(now())
        save("session", session)
        return session


# --- webhook log and fault mode ----------------------------------------------------


def record_event(session_id: str, event: Record) -> None:
    """Remember a queued webhook so the index page can show it before delivery."""
    _push(key("events", session_id), event)


def record_attempt(session_id: str, attempt: Record) -> None:
    _push(key("attempts", session_id), attempt)


def webhook_log(session_id: str) -> list[Record]:
    """Each queued event of a session with its delivery attempts, oldest first."""
    attempts = _read_list(key("attempts", session_id))
    events = _read_list(key("events", session_id))
    for event in events:
        event["attempts"] = [a for a in attempts if a["event_id"] == event["id"]]
    return events


def get_mode() -> FaultMode:
    return faults.get(MODE_KEY, FaultMode, FaultMode.OK)


def set_mode(value: Any) -> FaultMode:
    mode = faults.parse(FaultMode, value)
    if mode is None:
        choices = faults.choices(FaultMode)
        raise SandboxError(
            400, "bad_request", f"mode must be one of {choices}.", "mode"
        )
    faults.put(MODE_KEY, mode)
    return mode
