"""State and state changes of the KOMOJU sandbox, kept in Redis as JSON.

The simulator has no tables: every session, payment, webhook event and delivery
attempt is a JSON value under `sandbox:komoju:`, so a Redis flush resets it and
nothing here needs a migration. This module knows nothing about HTTP; the
blueprint in `app.sandbox.komoju` parses requests, calls these functions and turns
a `SandboxError` into the right answer (JSON for the API, a page for people).

Payment statuses and their meanings follow ../shared/gateways.md section 2.4/2.5.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import redis
from flask import current_app
from redis.exceptions import LockError

Record = dict[str, Any]

PREFIX = "sandbox:komoju:"
RECENT_KEY = f"{PREFIX}recent"
MODE_KEY = f"{PREFIX}mode"
RECORD_TTL_SECONDS = 7 * 24 * 3600
RECENT_LIMIT = 200
ATTEMPT_LIMIT = 100
ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 25
MODES = ("ok", "fail", "hang")
PAYMENT_TYPES = ("credit_card", "konbini")
JST = dt.timezone(dt.timedelta(hours=9), "JST")
KONBINI_STORE = "lawson"
# The card the sandbox "charges"; declines use a published decline test card.
CARD_OK_LAST4 = "1111"
CARD_DECLINED_LAST4 = "1000"

# The webhook each resulting payment status announces (a partial refund is the
# exception: the status stays `captured`, so the caller names the event).
EVENT_FOR_STATUS = {
    "authorized": "payment.authorized",
    "captured": "payment.captured",
    "failed": "payment.failed",
    "expired": "payment.expired",
    "refunded": "payment.refunded",
    "cancelled": "payment.cancelled",
}


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


def _redis() -> redis.Redis:
    return current_app.extensions["redis"]


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


def _digits(count: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(count))


def _load(kind: str, obj_id: str) -> Record | None:
    raw = _redis().get(key(kind, obj_id))
    return json.loads(raw) if raw else None


def _save(kind: str, record: Record) -> None:
    _redis().set(key(kind, record["id"]), json.dumps(record), ex=RECORD_TTL_SECONDS)


def _push(list_key: str, item: Record) -> None:
    """Append to a bounded list that expires with the records it describes."""
    pipe = _redis().pipeline()
    pipe.rpush(list_key, json.dumps(item))
    pipe.ltrim(list_key, -ATTEMPT_LIMIT, -1)
    pipe.expire(list_key, RECORD_TTL_SECONDS)
    pipe.execute()


def _read_list(list_key: str) -> list[Record]:
    return [json.loads(raw) for raw in _redis().lrange(list_key, 0, -1)]


@contextmanager
def locked(session_id: str) -> Iterator[None]:
    """Serialise changes to one session and its payments.

    Two clicks (or a click and a merchant API call) must not both move the same
    payment, e.g. capture it twice and send two `payment.captured` webhooks.
    """
    lock = _redis().lock(key("lock", session_id), timeout=10, blocking_timeout=5)
    if not lock.acquire():
        raise SandboxError(409, "conflict", "The session is busy; try again.")
    try:
        yield
    finally:
        with suppress(LockError):
            lock.release()


# --- lookups ------------------------------------------------------------------


def find_session(session_id: str) -> Record | None:
    return _load("session", session_id)


def find_payment(payment_id: str) -> Record | None:
    return _load("payment", payment_id)


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
    ids = _redis().zrevrange(RECENT_KEY, 0, limit - 1)
    found = (find_session(raw.decode()) for raw in ids)
    return [session for session in found if session is not None]


# --- sessions -----------------------------------------------------------------


def is_expired(session: Record) -> bool:
    """A pending session lapses `expires_in_seconds` after creation."""
    if session["status"] != "pending":
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
        "status": "pending",
        "cancelled_at": None,
        "completed_at": None,
        "payment_id": None,
        "attempts": [],
    }
    _save("session", session)
    pipe = _redis().pipeline()
    pipe.zadd(RECENT_KEY, {session_id: created.timestamp()})
    pipe.zremrangebyrank(RECENT_KEY, 0, -RECENT_LIMIT - 1)
    pipe.expire(RECENT_KEY, RECORD_TTL_SECONDS)
    pipe.execute()
    return session


def session_object(session: Record) -> Record:
    """The Session resource as the API returns it (payment embedded once done)."""
    payment = session_payment(session) if session["status"] == "completed" else None
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
        "payment": payment,
        "payment_data": session["payment_data"],
        "email": session["email"],
    }


def _ensure_open(session: Record) -> None:
    """Only a pending, unexpired session can still be paid or abandoned."""
    if session["status"] != "pending":
        raise SandboxError(
            409, "invalid_state", f"The session is already {session['status']}."
        )
    if is_expired(session):
        raise SandboxError(409, "invalid_state", "The session has expired.")


def cancel_session(session_id: str) -> Record:
    """The merchant's cancel: allowed only while nobody has paid."""
    with locked(session_id):
        session = require_session(session_id)
        if session["status"] != "pending":
            raise SandboxError(
                422,
                "invalid_state",
                f"Only a pending session can be cancelled; it is {session['status']}.",
            )
        session.update(status="cancelled", cancelled_at=iso(now()))
        _save("session", session)
        return session


# --- payments -----------------------------------------------------------------


def _card_details(last_four: str) -> Record:
    return {
        "type": "credit_card",
        "brand": "visa",
        "last_four_digits": last_four,
        "month": 12,
        "year": now().year + 3,
    }


def konbini_deadline(moment: dt.datetime, days: int) -> dt.datetime:
    """23:59:59 JST on the last day of the slip, i.e. `…T14:59:59Z` in UTC.

    KOMOJU lets a voucher lapse at the end of its last (Japanese) day, which is
    why the docs' example deadline always ends in 14:59:59Z.
    """
    last_day = moment.astimezone(JST).date() + dt.timedelta(days=days)
    return dt.datetime.combine(last_day, dt.time(23, 59, 59), JST).astimezone(dt.UTC)


def _konbini_details(instructions_url: str) -> Record:
    return {
        "type": "konbini",
        "store": KONBINI_STORE,
        "confirmation_code": _digits(6),
        "receipt": _digits(11),
        "instructions_url": instructions_url,
    }


def _new_payment(session: Record, status: str, details: Record) -> Record:
    """A Payment resource for this session, before tax or method fees."""
    return {
        "id": new_id(),
        "resource": "payment",
        "status": status,
        "amount": session["amount"],
        "tax": 0,
        "total": session["amount"],
        "payment_method_fee": 0,
        "currency": session["currency"],
        "customer": None,
        "description": None,
        "payment_deadline": None,
        "payment_details": details,
        "captured_at": None,
        "external_order_num": session["payment_data"].get("external_order_num"),
        "metadata": session["metadata"],
        "created_at": iso(now()),
        "amount_refunded": 0,
        "locale": session["default_locale"],
        "session": session["id"],
        "refunds": [],
        "refund_requests": [],
    }


def _build_payment(
    session: Record, payment_type: str, outcome: str, instructions_url: str
) -> Record:
    """The payment one click on the hosted page produces."""
    if outcome == "decline":
        details = (
            _card_details(CARD_DECLINED_LAST4)
            if payment_type == "credit_card"
            else _konbini_details(instructions_url)
        )
        return _new_payment(session, "failed", details)
    if payment_type == "konbini":
        payment = _new_payment(
            session, "authorized", _konbini_details(instructions_url)
        )
        days = int(current_app.config.get("SANDBOX_KONBINI_EXPIRY_DAYS", 3))
        payment["payment_deadline"] = iso(konbini_deadline(now(), days))
        return payment
    manual = session["payment_data"].get("capture") == "manual"
    payment = _new_payment(
        session, "authorized" if manual else "captured", _card_details(CARD_OK_LAST4)
    )
    if not manual:
        payment["captured_at"] = payment["created_at"]
    return payment


def complete(
    session_id: str, payment_type: str, outcome: str, instructions_url: str
) -> Record | None:
    """Apply the customer's choice on the hosted page.

    A declined attempt leaves the session pending so the customer can retry;
    abandoning (`cancel`) creates no payment at all. Returns the new payment.
    """
    with locked(session_id):
        session = require_session(session_id)
        _ensure_open(session)
        if outcome == "cancel":
            return None
        if payment_type not in session["payment_types"]:
            raise SandboxError(
                400,
                "bad_request",
                f"{payment_type or 'That payment type'} is not offered here.",
                "payment_type",
            )
        payment = _build_payment(session, payment_type, outcome, instructions_url)
        session["attempts"].append(payment["id"])
        if payment["status"] != "failed":
            session.update(
                status="completed",
                completed_at=payment["created_at"],
                payment_id=payment["id"],
            )
        _save("payment", payment)
        _save("session", session)
        return payment


def _require_status(payment: Record, allowed: tuple[str, ...], status: int) -> None:
    if payment["status"] not in allowed:
        raise SandboxError(
            status,
            "invalid_state",
            f"The payment is {payment['status']}; expected {' or '.join(allowed)}.",
        )


def _completed_payment(session_id: str) -> Record:
    payment = session_payment(require_session(session_id))
    if payment is None:
        raise SandboxError(409, "invalid_state", "The session has no payment yet.")
    return payment


def pay_at_store(session_id: str) -> Record:
    """The customer pays the konbini slip: KOMOJU captures it, not the merchant."""
    with locked(session_id):
        payment = _completed_payment(session_id)
        if payment["payment_details"]["type"] != "konbini":
            raise SandboxError(409, "invalid_state", "Only konbini slips are paid.")
        _require_status(payment, ("authorized",), 409)
        moment = iso(now())
        payment.update(status="captured", captured_at=moment)
        _save("payment", payment)
        return payment


def expire_payment(session_id: str) -> Record:
    """Nobody paid before the deadline: the payment lapses."""
    with locked(session_id):
        payment = _completed_payment(session_id)
        _require_status(payment, ("authorized", "pending"), 409)
        payment["status"] = "expired"
        _save("payment", payment)
        return payment


def capture_payment(payment_id: str) -> Record:
    """Capture a card payment that was authorized with `capture: manual`."""
    session_id = require_payment(payment_id)["session"]
    with locked(session_id):
        payment = require_payment(payment_id)
        if payment["payment_details"]["type"] != "credit_card":
            raise SandboxError(
                422, "invalid_state", "Konbini payments are captured by the store."
            )
        _require_status(payment, ("authorized",), 422)
        payment.update(status="captured", captured_at=iso(now()))
        _save("payment", payment)
        return payment


def refund_payment(payment_id: str, amount: int | None) -> tuple[Record, str]:
    """Refund all (default) or part of a captured payment.

    Returns the payment and the webhook to send: a full refund makes it
    `refunded`; a partial one keeps it `captured` with `amount_refunded` raised.
    """
    session_id = require_payment(payment_id)["session"]
    with locked(session_id):
        payment = require_payment(payment_id)
        _require_status(payment, ("captured",), 422)
        remaining = payment["total"] - payment["amount_refunded"]
        amount = remaining if amount is None else amount
        if not 0 < amount <= remaining:
            raise SandboxError(
                422,
                "invalid_parameter",
                f"The refund must be between 1 and {remaining}.",
                "amount",
            )
        payment["refunds"].append(_refund(payment, amount))
        payment["amount_refunded"] += amount
        full = payment["amount_refunded"] >= payment["total"]
        if full:
            payment["status"] = "refunded"
        _save("payment", payment)
        return payment, "payment.refunded" if full else "payment.refund.created"


def _refund(payment: Record, amount: int) -> Record:
    return {
        "id": new_id(),
        "resource": "refund",
        "amount": amount,
        "currency": payment["currency"],
        "payment": payment["id"],
        "description": None,
        "created_at": iso(now()),
        "chargeback": False,
    }


# --- webhooks and fault mode ----------------------------------------------------


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


def get_mode() -> str:
    raw = _redis().get(MODE_KEY)
    return raw.decode() if raw else "ok"


def set_mode(mode: str) -> None:
    if mode not in MODES:
        raise SandboxError(
            400, "bad_request", f"mode must be one of {', '.join(MODES)}.", "mode"
        )
    _redis().set(MODE_KEY, mode)
