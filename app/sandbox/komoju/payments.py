"""Payments of the KOMOJU simulator: created on the hosted page, moved later.

Statuses and their meanings follow gateways.md 2.4/2.5: a card is `captured` at
once (or `authorized` with `capture: manual`); a konbini slip is `authorized`
until the customer pays it at the store (`captured`), it lapses (`expired`) or
it is cancelled. Every change runs under the session's lock and asks the
transition table in `app.sandbox.states`; each returns the changed payment and
the webhook event that announces it, which the caller sends.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string

from flask import current_app

from app.sandbox.komoju import store
from app.sandbox.komoju.store import Record, SandboxError
from app.sandbox.states import (
    KOMOJU_EVENT_FOR_STATUS,
    KOMOJU_PAYMENT_MOVES,
    IllegalMove,
    KomojuPaymentStatus,
    KomojuSessionStatus,
    next_status,
)

JST = dt.timezone(dt.timedelta(hours=9), "JST")
KONBINI_STORE = "lawson"
# The card the sandbox "charges"; declines use a published decline test card.
CARD_OK_LAST4 = "1111"
CARD_DECLINED_LAST4 = "1000"
Outcome = tuple[Record, str]


def _digits(count: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(count))


def _card_details(last_four: str) -> Record:
    return {
        "type": "credit_card",
        "brand": "visa",
        "last_four_digits": last_four,
        "month": 12,
        "year": store.now().year + 3,
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


def _new_payment(session: Record, status: KomojuPaymentStatus, details: Record):
    """A Payment resource for this session, before tax or method fees."""
    return {
        "id": store.new_id(),
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
        "created_at": store.iso(store.now()),
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
        return _new_payment(session, KomojuPaymentStatus.FAILED, details)
    if payment_type == "konbini":
        payment = _new_payment(
            session, KomojuPaymentStatus.AUTHORIZED, _konbini_details(instructions_url)
        )
        days = int(current_app.config.get("SANDBOX_KONBINI_EXPIRY_DAYS", 3))
        payment["payment_deadline"] = store.iso(konbini_deadline(store.now(), days))
        return payment
    manual = session["payment_data"].get("capture") == "manual"
    status = KomojuPaymentStatus.AUTHORIZED if manual else KomojuPaymentStatus.CAPTURED
    payment = _new_payment(session, status, _card_details(CARD_OK_LAST4))
    if not manual:
        payment["captured_at"] = payment["created_at"]
    return payment


def complete(
    session_id: str, payment_type: str, outcome: str, instructions_url: str
) -> Outcome | None:
    """Apply the customer's choice on the hosted page.

    A declined attempt leaves the session pending so the customer can retry;
    abandoning (`cancel`) creates no payment at all. Returns the new payment and
    its webhook event, or None.
    """
    with store.locked(session_id):
        session = store.require_session(session_id)
        store.ensure_open(session)
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
        if payment["status"] != KomojuPaymentStatus.FAILED:
            store.move_session(session, "complete", 409)
            session.update(completed_at=payment["created_at"], payment_id=payment["id"])
        store.save("payment", payment)
        store.save("session", session)
        return payment, KOMOJU_EVENT_FOR_STATUS[payment["status"]]


# --- later moves -----------------------------------------------------------------


def _move(payment: Record, event: str, refusal: int) -> KomojuPaymentStatus:
    """The status `event` leads to, or a SandboxError with HTTP `refusal`."""
    try:
        return next_status(KOMOJU_PAYMENT_MOVES, payment["status"], event)
    except IllegalMove as exc:
        raise SandboxError(
            refusal,
            "invalid_state",
            f"The payment is {exc.current}; {event.replace('_', ' ')} is not "
            "possible now.",
        ) from None


def _completed_payment(session_id: str, konbini_only: bool = True) -> Record:
    """The payment that completed a session (the store actions' target)."""
    session = store.require_session(session_id)
    payment = store.session_payment(session)
    if payment is None or session["status"] != KomojuSessionStatus.COMPLETED:
        raise SandboxError(409, "invalid_state", "The session has no payment yet.")
    if konbini_only and payment["payment_details"]["type"] != "konbini":
        raise SandboxError(409, "invalid_state", "Only konbini slips are handled here.")
    return payment


def _announce(payment: Record) -> Outcome:
    store.save("payment", payment)
    return payment, KOMOJU_EVENT_FOR_STATUS[payment["status"]]


def pay_at_store(session_id: str) -> Outcome:
    """The customer pays the konbini slip: KOMOJU captures it, not the merchant."""
    with store.locked(session_id):
        payment = _completed_payment(session_id)
        payment["status"] = _move(payment, "pay_at_store", 409)
        payment["captured_at"] = store.iso(store.now())
        return _announce(payment)


def expire_payment(session_id: str) -> Outcome:
    """Nobody paid before the deadline: the slip (or authorisation) lapses."""
    with store.locked(session_id):
        payment = _completed_payment(session_id, konbini_only=False)
        payment["status"] = _move(payment, "expire", 409)
        return _announce(payment)


def cancel_slip(session_id: str) -> Outcome:
    """KOMOJU cancels an unpaid konbini slip (e.g. the customer cancelled it)."""
    with store.locked(session_id):
        payment = _completed_payment(session_id)
        payment["status"] = _move(payment, "cancel", 409)
        return _announce(payment)


def cancel_payment(payment_id: str) -> Outcome:
    """The merchant's cancel: only money that has not moved (pending or
    authorized) can be cancelled; a captured payment must be refunded."""
    session_id = store.require_payment(payment_id)["session"]
    with store.locked(session_id):
        payment = store.require_payment(payment_id)
        payment["status"] = _move(payment, "cancel", 422)
        return _announce(payment)


def capture_payment(payment_id: str) -> Outcome:
    """Capture a card payment that was authorized with `capture: manual`."""
    session_id = store.require_payment(payment_id)["session"]
    with store.locked(session_id):
        payment = store.require_payment(payment_id)
        if payment["payment_details"]["type"] != "credit_card":
            raise SandboxError(
                422, "invalid_state", "Konbini payments are captured by the store."
            )
        payment["status"] = _move(payment, "capture", 422)
        payment["captured_at"] = store.iso(store.now())
        return _announce(payment)


def refund_payment(payment_id: str, amount: int | None) -> Outcome:
    """Refund all (default) or part of a captured payment.

    A partial refund keeps the payment `captured` with `amount_refunded` raised
    and is announced as `payment.refund.created`; the refund that leaves nothing
    makes it `refunded` (`payment.refunded`). Each refund is listed in `refunds`.
    """
    session_id = store.require_payment(payment_id)["session"]
    with store.locked(session_id):
        payment = store.require_payment(payment_id)
        _move(payment, "refund_part", 422)
        remaining = payment["total"] - payment["amount_refunded"]
        amount = remaining if amount is None else amount
        if not 0 < amount <= remaining:
            raise SandboxError(
                422,
                "invalid_parameter",
                f"The refund must be between 1 and {remaining}.",
                "amount",
            )
        full = amount == remaining
        payment["status"] = _move(
            payment, "refund_rest" if full else "refund_part", 422
        )
        payment["refunds"].append(_refund(payment, amount))
        payment["amount_refunded"] += amount
        store.save("payment", payment)
        event = "payment.refunded" if full else "payment.refund.created"
        return payment, event


def _refund(payment: Record, amount: int) -> Record:
    return {
        "id": store.new_id(),
        "resource": "refund",
        "amount": amount,
        "currency": payment["currency"],
        "payment": payment["id"],
        "description": None,
        "created_at": store.iso(store.now()),
        "chargeback": False,
    }
