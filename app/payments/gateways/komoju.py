"""KOMOJU hosted page: a session out, `session_id` back, signed webhooks.

Protocol facts are in ../shared/gateways.md §2. The browser return carries nothing
but `session_id`, so it is checked only against the attempt's own session and the
truth is always fetched with `GET /sessions/{id}`. Webhooks are HMAC-SHA256 (lower
case hex) over the raw body with the webhook secret; their content is a hint too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import replace
from typing import Any

import requests

from app.payments.gateways.base import (
    AUTHORIZED,
    CANCELLED,
    CAPTURED,
    EXPIRED,
    FAILED,
    NOT_FOUND,
    PENDING,
    REFUNDED,
    GatewayError,
    GatewayRefund,
    GatewayRejected,
    GatewayResult,
    Handoff,
    InvalidSignature,
    PaymentRef,
    PaymentRequest,
    WebhookMessage,
)

# KOMOJU payment status -> our vocabulary (gateways.md §2.4).
PAYMENT_STATUS = {
    "captured": CAPTURED,
    "authorized": AUTHORIZED,
    "pending": PENDING,
    "failed": FAILED,
    "expired": EXPIRED,
    "cancelled": CANCELLED,
    "refunded": REFUNDED,
}
# Konbini-like methods whose `authorized` (or legacy `pending`) means "slip issued".
SLIP_TYPES = frozenset({"konbini", "bank_transfer", "pay_easy"})
INSTRUCTION_FIELDS = ("store", "confirmation_code", "receipt", "instructions_url")
MAX_SESSION_SECONDS = 86400  # KOMOJU's maximum session lifetime
MIN_SESSION_SECONDS = 300
# The languages of KOMOJU's hosted page (gateways.md 2.2); others get English.
LOCALES = frozenset({"ja", "en", "ko"})


def sign(secret: str, body: bytes) -> str:
    """`X-Komoju-Signature`: lowercase hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def parse_time(value: Any) -> dt.datetime | None:
    """KOMOJU's ISO 8601 timestamps as naive UTC (the storage convention)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def payment_result(payment: dict[str, Any], session_id: str | None) -> GatewayResult:
    """Map one KOMOJU Payment object onto a GatewayResult."""
    raw_status = str(payment.get("status") or "")
    status = PAYMENT_STATUS.get(raw_status, PENDING)
    details = payment.get("payment_details")
    details = details if isinstance(details, dict) else {}
    kind = details.get("type")
    deadline = parse_time(payment.get("payment_deadline"))
    if raw_status == "pending" and kind in SLIP_TYPES and deadline is not None:
        # Older KOMOJU examples show a waiting konbini slip as `pending`
        # (gateways.md §2.5): it means the same as `authorized`.
        status = AUTHORIZED
    total = _int(payment.get("total"))
    fee = _int(payment.get("payment_method_fee")) or 0
    amount = total - fee if total is not None else _int(payment.get("amount"))
    instructions = {}
    if status == AUTHORIZED:
        instructions = {
            name: str(details[name])
            for name in INSTRUCTION_FIELDS
            if details.get(name) not in (None, "")
        }
    refunded = _int(payment.get("amount_refunded"))
    refunds = _refunds(payment)
    message = f"payment {raw_status}".strip()
    if status == CAPTURED and refunded:
        # A partial refund keeps the payment captured (gateways.md 2.4).
        message = f"payment captured, {refunded} refunded"
    return GatewayResult(
        status=status,
        amount=amount,
        currency=payment.get("currency"),
        gateway_txn_id=payment.get("session") or session_id,
        reference=payment.get("id"),
        message=message,
        approve_by=deadline if status == AUTHORIZED else None,
        instructions=instructions,
        raw=payment,
        amount_refunded=refunded,
        refund_reference=refunds[-1].reference if refunds else None,
        refunds=refunds,
    )


def _refunds(payment: dict[str, Any]) -> tuple[GatewayRefund, ...]:
    """The payment's `refunds[]` (id and amount of each), oldest first."""
    listed = payment.get("refunds")
    if not isinstance(listed, list):
        return ()
    found = []
    for refund in listed:
        if not isinstance(refund, dict):
            continue
        refund_id, amount = refund.get("id"), _int(refund.get("amount"))
        if isinstance(refund_id, str) and refund_id and amount is not None:
            found.append(GatewayRefund(reference=refund_id, amount=amount))
    return tuple(found)


def session_result(session: dict[str, Any]) -> GatewayResult:
    """The truth about an attempt, from a KOMOJU Session object (§2.3)."""
    session_id = session.get("id")
    payment = session.get("payment")
    state = session.get("status")
    if state == "completed" and isinstance(payment, dict):
        result = payment_result(payment, session_id)
        return replace(result, gateway_txn_id=session_id, raw=session)
    if state == "cancelled":
        status, message = CANCELLED, "session cancelled"
    elif session.get("expired"):
        status, message = EXPIRED, "session expired unpaid"
    else:
        # Still open, or the customer left the hosted page without paying.
        status, message = PENDING, f"session {state or 'unknown'}, no payment"
    return GatewayResult(
        status=status,
        amount=_int(session.get("amount")),
        currency=session.get("currency"),
        gateway_txn_id=session_id,
        message=message,
        raw=session,
    )


class KomojuGateway:
    name = "komoju"
    manual_refund_note = None

    def __init__(
        self,
        api_base: str,
        secret_key: str,
        webhook_secret: str,
        timeout: float = 8.0,
    ):
        self.api_base = api_base.rstrip("/")
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.timeout = timeout

    # --- HTTP ------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """One API call; outages raise GatewayError, the answer is returned.

        With `idempotency_key` KOMOJU performs the POST at most once per key
        (`X-KOMOJU-IDEMPOTENCY`, kept 24 hours): a repeat answers the first
        result, and 409 while the first is still running.
        """
        headers = {"Accept": "application/json"}
        if idempotency_key:
            headers["X-KOMOJU-IDEMPOTENCY"] = idempotency_key
        try:
            resp = requests.request(
                method,
                f"{self.api_base}{path}",
                json=body,
                auth=(self.secret_key, ""),
                headers=headers,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise GatewayError(f"KOMOJU {method} {path} failed: {exc}") from exc
        if resp.status_code >= 500:
            raise GatewayError(f"KOMOJU unavailable ({resp.status_code})")
        try:
            data = resp.json()
        except ValueError as exc:
            raise GatewayError(
                f"KOMOJU answered {resp.status_code} without JSON"
            ) from exc
        if not isinstance(data, dict):
            raise GatewayError(f"KOMOJU answered {resp.status_code} with non-object")
        return resp.status_code, data

    @staticmethod
    def _error_text(status: int, data: dict[str, Any]) -> str:
        error = data.get("error")
        if isinstance(error, dict):
            return (
                f"KOMOJU refused ({status} {error.get('code')}): {error.get('message')}"
            )
        return f"KOMOJU refused the request ({status})"

    # --- the adapter contract ---------------------------------------------------

    def create_handoff(self, request: PaymentRequest) -> Handoff:
        body: dict[str, Any] = {
            "amount": request.amount,
            "currency": request.currency,
            "return_url": request.success_url,
            "payment_types": list(request.payment_methods) or [request.method],
            "default_locale": request.locale if request.locale in LOCALES else "en",
            "payment_data": {"external_order_num": request.external_order_num},
        }
        if request.customer_email and "@" in request.customer_email:
            body["email"] = request.customer_email
        if request.expires_at is not None:
            left = (request.expires_at - _utcnow()).total_seconds()
            body["expires_in_seconds"] = int(
                min(MAX_SESSION_SECONDS, max(MIN_SESSION_SECONDS, left))
            )
        status, data = self._call("POST", "/sessions", body)
        if status >= 400:
            raise GatewayRejected(self._error_text(status, data))
        session_id, url = data.get("id"), data.get("session_url")
        if not isinstance(session_id, str) or not isinstance(url, str):
            raise GatewayError("KOMOJU session answer lacks id or session_url")
        return Handoff(
            initiation_type="redirect",
            redirect_url=url,
            payload={},
            gateway_txn_id=session_id,
            gateway_reference=None,
        )

    def fetch_session(self, session_id: str) -> dict[str, Any] | None:
        """The Session object, or None if KOMOJU does not know it."""
        status, data = self._call("GET", f"/sessions/{session_id}")
        if status == 404:
            return None
        if status >= 400:
            # A key problem is not the customer's: keep checking, then a person.
            raise GatewayError(self._error_text(status, data))
        return data

    def fetch_status(self, ref: PaymentRef) -> GatewayResult:
        if not ref.gateway_txn_id:
            return GatewayResult(NOT_FOUND, None, None, message="no session")
        session = self.fetch_session(ref.gateway_txn_id)
        if session is None:
            return GatewayResult(
                NOT_FOUND,
                None,
                None,
                gateway_txn_id=ref.gateway_txn_id,
                message="session not found",
            )
        if session.get("id") != ref.gateway_txn_id:
            raise GatewayError("KOMOJU answered with a different session")
        return session_result(session)

    def verify_redirect(self, ref: PaymentRef, params: dict[str, str]) -> GatewayResult:
        """Only `session_id` is read, and only to check it is this attempt's
        session; the status is fetched from KOMOJU, never taken from the URL."""
        given = params.get("session_id")
        if not isinstance(given, str) or not given or not ref.gateway_txn_id:
            raise InvalidSignature("missing session_id")
        if not hmac.compare_digest(
            given.encode("utf-8", "replace"), ref.gateway_txn_id.encode()
        ):
            raise InvalidSignature("session_id is not this payment's session")
        return self.fetch_status(ref)

    def verify_webhook(self, headers: dict[str, str], body: bytes) -> WebhookMessage:
        if not self.webhook_secret:
            raise InvalidSignature("no KOMOJU webhook secret is configured")
        given = (headers.get("x-komoju-signature") or "").strip().lower()
        if not given:
            raise InvalidSignature("missing X-Komoju-Signature")
        # Bytes, not str: compare_digest refuses non-ASCII text with a TypeError.
        expected = sign(self.webhook_secret, body).encode()
        if not hmac.compare_digest(expected, given.encode("utf-8", "replace")):
            raise InvalidSignature("X-Komoju-Signature does not verify")
        try:
            event = json.loads(body)
        except ValueError as exc:
            raise InvalidSignature("signed body is not JSON") from exc
        if not isinstance(event, dict):
            raise InvalidSignature("signed body is not a JSON object")
        event_type = str(event.get("type") or headers.get("x-komoju-event") or "")
        data = event.get("data")
        data = data if isinstance(data, dict) else {}
        event_id = str(event.get("id") or headers.get("x-komoju-id") or "")
        if not event_id:
            # The official plugin's replay guard: event type + payment + status.
            event_id = f"{event_type}:{data.get('id')}:{data.get('status')}"
        is_payment = data.get("resource") == "payment" or event_type.startswith(
            "payment."
        )
        if event_type == "ping" or not is_payment or not data.get("session"):
            return WebhookMessage(
                event_id=event_id[:120],
                event_type=event_type or "unknown",
                gateway_txn_id=None,
                gateway_reference=None,
                result=GatewayResult(PENDING, None, None, message=event_type),
            )
        result = payment_result(data, str(data["session"]))
        return WebhookMessage(
            event_id=event_id[:120],
            event_type=event_type,
            gateway_txn_id=str(data["session"]),
            gateway_reference=str(data["id"]) if data.get("id") else None,
            result=result,
        )

    def refund(
        self, ref: PaymentRef, amount: int, idempotency_key: str | None = None
    ) -> GatewayResult:
        """Refund all or part of a captured payment (`amount` in minor units).

        KOMOJU answers with the payment: `refunded` once nothing is left, else
        still `captured` with `amount_refunded` raised. `amount` in the result
        is what this call gave back; `refund_reference` is the new refund's id.
        """
        if not ref.gateway_reference:
            raise GatewayRejected("This attempt has no KOMOJU payment to refund.")
        status, data = self._call(
            "POST",
            f"/payments/{ref.gateway_reference}/refund",
            {"amount": amount},
            idempotency_key=idempotency_key,
        )
        if status == 409:
            # The same refund is still being made (a concurrent retry).
            raise GatewayError("KOMOJU is still processing this refund")
        if status >= 400:
            raise GatewayRejected(self._error_text(status, data))
        result = payment_result(data, ref.gateway_txn_id)
        return replace(
            result,
            amount=amount,
            gateway_txn_id=ref.gateway_txn_id,
            message=f"refunded {amount}; payment {data.get('status')}",
        )

    def cancel_payment(self, ref: PaymentRef) -> GatewayResult:
        """Cancel a payment whose money has not moved (a konbini slip not yet
        paid, a card not yet captured). GatewayRejected once it has moved."""
        if not ref.gateway_reference:
            raise GatewayRejected("This attempt has no KOMOJU payment to cancel.")
        status, data = self._call("POST", f"/payments/{ref.gateway_reference}/cancel")
        if status >= 400:
            raise GatewayRejected(self._error_text(status, data))
        return payment_result(data, ref.gateway_txn_id)

    # --- beyond the contract (used by the event checkout) -----------------------

    def cancel_session(self, session_id: str) -> bool:
        """Close a session nobody paid, so it can no longer be completed.

        True when it is cancelled now (or already was); False when it was
        completed meanwhile (KOMOJU refuses the cancel): then it is not abandoned.
        """
        status, data = self._call("POST", f"/sessions/{session_id}/cancel")
        if status < 400:
            return data.get("status") == "cancelled"
        if status == 404:
            return False
        session = self.fetch_session(session_id)
        return bool(session and session.get("status") == "cancelled")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
