"""KOMOJU's merchant API under `/api/v1`: sessions and payments (gateways.md 2.1-2.4).

Every call passes the fault mode first (a gateway that is down checks nothing),
then HTTP Basic with the secret key as the username. Answers are KOMOJU's JSON
resources; refusals are its `{"error": {...}}` body.
"""

from __future__ import annotations

import hmac

from flask import current_app, jsonify, request, url_for

from app.sandbox import faults
from app.sandbox.faults import FaultMode
from app.sandbox.komoju import payments, store
from app.sandbox.komoju.http import error_json, is_api_call
from app.sandbox.komoju.idempotency import idempotent
from app.sandbox.komoju.params import (
    optional_amount,
    parse_session_params,
    request_body,
)
from app.sandbox.komoju.webhooks import send_event


def gate():
    """Before every API call: simulate outages first, then check the key."""
    if not is_api_call():
        return None
    mode = store.get_mode()
    if mode == FaultMode.FAIL:
        return error_json(503, "service_unavailable", "KOMOJU sandbox is in fail mode.")
    if mode == FaultMode.HANG:
        faults.hang()
    if not _authorized():
        response, status = error_json(
            401, "unauthorized", "Authenticate with your secret key as the username."
        )
        response.headers["WWW-Authenticate"] = 'Basic realm="KOMOJU sandbox"'
        return response, status
    return None


def _authorized() -> bool:
    """HTTP Basic with the secret key as username (the password is empty)."""
    expected = current_app.config.get("KOMOJU_SECRET_KEY") or ""
    auth = request.authorization
    if not expected or auth is None or auth.type != "basic":
        return False
    given = (auth.username or "").encode()
    return hmac.compare_digest(given, expected.encode())


def _announced(outcome: payments.Outcome):
    payment, event_type = outcome
    send_event(event_type, payment)
    return jsonify(payment)


def api_create_session():
    params = parse_session_params(request_body())
    base = url_for(".index", _external=True) + "sessions"
    session = store.create_session(params, base)
    return jsonify(store.session_object(session)), 200


def api_get_session(session_id: str):
    return jsonify(store.session_object(store.require_session(session_id)))


def api_cancel_session(session_id: str):
    return jsonify(store.session_object(store.cancel_session(session_id)))


def api_get_payment(payment_id: str):
    return jsonify(store.require_payment(payment_id))


@idempotent
def api_capture_payment(payment_id: str):
    """Only for card payments made with `payment_data[capture]=manual`."""
    return _announced(payments.capture_payment(payment_id))


@idempotent
def api_cancel_payment(payment_id: str):
    """Cancel a payment whose money has not moved (a konbini slip not yet paid,
    a card not yet captured); `payment.cancelled` follows."""
    return _announced(payments.cancel_payment(payment_id))


@idempotent
def api_refund_payment(payment_id: str):
    """Refund `amount` (minor units) or, without it, everything that is left."""
    amount = optional_amount(request_body())
    return _announced(payments.refund_payment(payment_id, amount))


def api_not_found(rest: str):
    """Unknown API paths answer in the API's JSON shape, not with an HTML page."""
    return error_json(404, "not_found", f"No such endpoint: /api/v1/{rest}")
