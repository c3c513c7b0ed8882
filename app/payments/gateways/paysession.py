"""Payment-session gateway (Cashfree PG, API version 2023-08-01).

Create an order → `payment_session_id` → hosted checkout → browser return → ask
the order and payment status. Webhooks are signed with
base64(HMAC-SHA256(client secret, x-webhook-timestamp + raw body)) and delivered
at least once. Protocol facts are in ../shared/gateways.md §3.

Amounts go out as numbers in major units with two decimals and come back the
same way; inbound amounts are parsed from the raw text (Decimal), never floats.
The browser return carries nothing we trust: `verify_redirect` asks the gateway.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import time
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from app.digits import ascii_int
from app.money import decimals
from app.payments.gateways.base import (
    CANCELLED,
    CAPTURED,
    EXPIRED,
    FAILED,
    NOT_FOUND,
    PENDING,
    REFUNDED,
    GatewayError,
    GatewayRejected,
    GatewayResult,
    Handoff,
    InvalidSignature,
    PaymentRef,
    PaymentRequest,
    WebhookMessage,
)

API_VERSION = "2023-08-01"
ORDER_ID_RE = re.compile(r"[A-Za-z0-9_-]{3,45}")
CUSTOMER_ID_RE = re.compile(r"[^A-Za-z0-9_-]")
REFUND_ID_RE = re.compile(r"[^A-Za-z0-9_-]")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+")
DEFAULT_PHONE = "9999999999"
DEFAULT_TOLERANCE_SECONDS = 300

ORDER_STATUS = {
    "PAID": CAPTURED,
    "ACTIVE": PENDING,
    "EXPIRED": EXPIRED,
    "TERMINATED": CANCELLED,
    "TERMINATION_REQUESTED": CANCELLED,
}
# Per-attempt statuses (§3.5). Only SUCCESS is final at the gateway; a failed or
# dropped attempt leaves the order ACTIVE, so the shopper may still pay.
PAYMENT_STATUS = {
    "SUCCESS": CAPTURED,
    "FAILED": FAILED,
    "USER_DROPPED": FAILED,
    "CANCELLED": FAILED,
    "VOID": FAILED,
    "PENDING": PENDING,
    "NOT_ATTEMPTED": PENDING,
}


class Refused(GatewayRejected):
    """A 4xx answer, with the gateway's error `code` (e.g. order_already_exists)."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, timestamp + raw body)), no separator (§3.7)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def to_minor(value: Any, currency: str) -> int | None:
    """A gateway amount (number or text, major units) in minor units, exactly."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    return int((amount.scaleb(decimals(currency))).to_integral_value())


def to_major(minor: int, currency: str) -> float:
    """Minor units as the JSON number the gateway wants (`29999` → `299.99`).

    A float's shortest repr round-trips every amount with two decimals, so the
    gateway reads exactly the value we mean.
    """
    return float(Decimal(int(minor)).scaleb(-decimals(currency)))


def normalise_phone(phone: str) -> str:
    """The gateway takes exactly 10 digits: keep the last ten, or a placeholder."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:] if len(digits) >= 10 else DEFAULT_PHONE


def gateway_order_id(request: PaymentRequest) -> str:
    """A unique id per attempt, 3-45 characters of `[A-Za-z0-9_-]`.

    The random suffix keeps an id unique even when a rolled-back attempt's
    payment id is reused and the gateway had already stored the first order.
    """
    suffix = secrets.token_hex(3)
    base = re.sub(r"[^A-Za-z0-9_-]", "", request.external_order_num or "")
    candidate = f"{base}-{suffix}" if base else ""
    if not ORDER_ID_RE.fullmatch(candidate):
        candidate = f"pay_{request.payment_id}-{suffix}"
    return candidate[-45:]


def _iso_utc(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.replace(microsecond=0).isoformat()


def _text(value: str, low: int, high: int) -> str | None:
    value = (value or "").strip()
    if len(value) < low:
        return None
    return value[:high]


class PaysessionGateway:
    name = "paysession"
    manual_refund_note = None

    def __init__(
        self,
        api_base: str,
        checkout_url: str,
        client_id: str,
        client_secret: str,
        timeout: float = 8.0,
        webhook_tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    ):
        self.api_base = api_base.rstrip("/")
        self.checkout_url = checkout_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self.webhook_tolerance = webhook_tolerance

    # --- HTTP ----------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {
            "x-client-id": self.client_id,
            "x-client-secret": self.client_secret,
            "x-api-version": API_VERSION,
            "content-type": "application/json",
            "accept": "application/json",
        }

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        """One API call. Outages (timeouts, connection errors, 5xx, garbage) are
        GatewayError; a refusal of what we sent (4xx) is GatewayRejected, with
        404 answered as None so callers can tell "unknown" from "down"."""
        url = f"{self.api_base}{path}"
        try:
            resp = requests.request(
                method,
                url,
                data=json.dumps(body) if body is not None else None,
                headers=self._headers(),
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise GatewayError(
                f"payment session gateway unreachable: {exc.__class__.__name__}"
            ) from exc
        if resp.status_code >= 500:
            raise GatewayError(f"payment session gateway answered {resp.status_code}")
        try:
            data = json.loads(resp.content or b"null", parse_float=Decimal)
        except ValueError as exc:
            raise GatewayError(
                f"payment session gateway answered {resp.status_code} without JSON"
            ) from exc
        if resp.status_code == 404:
            return None
        if resp.status_code in (401, 403):
            raise GatewayError("payment session gateway refused our credentials")
        if resp.status_code >= 300:
            message = data.get("message") if isinstance(data, dict) else None
            code = data.get("code") if isinstance(data, dict) else None
            raise Refused(
                f"payment session gateway refused the request ({resp.status_code}): "
                f"{message or 'no message'}",
                str(code or ""),
            )
        return data

    # --- starting a payment --------------------------------------------------

    def create_handoff(self, request: PaymentRequest) -> Handoff:
        order_id = gateway_order_id(request)
        customer: dict[str, Any] = {
            "customer_id": (
                CUSTOMER_ID_RE.sub("", request.customer_id or "") or "guest"
            ).ljust(3, "0")[:50],
            "customer_phone": normalise_phone(request.customer_phone),
        }
        name = _text(request.customer_name, 3, 100)
        if name:
            customer["customer_name"] = name
        email = _text(request.customer_email, 3, 100)
        if email and EMAIL_RE.fullmatch(email):
            customer["customer_email"] = email
        meta = {"return_url": request.success_url}
        if request.notify_url:
            meta["notify_url"] = request.notify_url
        if request.payment_methods:
            meta["payment_methods"] = ",".join(request.payment_methods)
        body: dict[str, Any] = {
            "order_id": order_id,
            "order_amount": to_major(request.amount, request.currency),
            "order_currency": request.currency,
            "customer_details": customer,
            "order_meta": meta,
        }
        note = _text(request.description, 3, 200)
        if note:
            body["order_note"] = note
        if request.expires_at is not None:
            body["order_expiry_time"] = _iso_utc(request.expires_at)
        data = self._call("POST", "/orders", body)
        if not isinstance(data, dict) or not data.get("payment_session_id"):
            raise GatewayError("payment session gateway sent no payment_session_id")
        session_id = str(data["payment_session_id"])
        return Handoff(
            initiation_type="redirect",
            redirect_url=f"{self.checkout_url}/{session_id}",
            payload={},
            gateway_txn_id=str(data.get("order_id") or order_id),
            gateway_reference=session_id,
        )

    # --- the truth -----------------------------------------------------------

    def fetch_status(self, ref: PaymentRef) -> GatewayResult:
        if not ref.gateway_txn_id:
            return GatewayResult(status=NOT_FOUND, amount=None, currency=ref.currency)
        order_path = f"/orders/{ref.gateway_txn_id}"
        order = self._call("GET", order_path)
        if order is None:
            return GatewayResult(
                status=NOT_FOUND,
                amount=None,
                currency=ref.currency,
                gateway_txn_id=ref.gateway_txn_id,
                message="order not found at the gateway",
            )
        if not isinstance(order, dict):
            raise GatewayError("payment session gateway sent a malformed order")
        order_status = str(order.get("order_status"))
        status = ORDER_STATUS.get(order_status, PENDING)
        currency = str(order.get("order_currency") or ref.currency)
        payments: list[dict] = []
        if order_status in ("PAID", "ACTIVE"):
            listed = self._call("GET", f"{order_path}/payments")
            payments = [p for p in listed or [] if isinstance(p, dict)]
        latest = payments[-1] if payments else None
        successful = next(
            (p for p in payments if p.get("payment_status") == "SUCCESS"), None
        )
        amount = to_minor(order.get("order_amount"), currency)
        message = f"order {order_status}"
        if status == CAPTURED:
            chosen = successful or latest
            if chosen is not None:
                amount = to_minor(chosen.get("payment_amount"), currency) or amount
                message = str(chosen.get("payment_message") or message)
            latest = chosen
        elif status == PENDING and latest is not None:
            attempt = str(latest.get("payment_status"))
            status = PAYMENT_STATUS.get(attempt, PENDING)
            if status == CAPTURED:
                status = PENDING  # the order is not PAID yet: keep asking
            message = str(latest.get("payment_message") or attempt)
        return GatewayResult(
            status=status,
            amount=amount,
            currency=currency,
            gateway_txn_id=str(order.get("order_id") or ref.gateway_txn_id),
            # Keep the session id as our reference; the attempt's own ids and
            # bank reference travel in `raw` (and the status-check log).
            reference=ref.gateway_reference,
            message=message[:300],
            raw=_plain({"order": order, "payment": latest}),
        )

    def verify_redirect(self, ref: PaymentRef, params: dict[str, str]) -> GatewayResult:
        """The return URL is unsigned: check it names this attempt, then ask."""
        claimed = params.get("order_id")
        if not isinstance(claimed, str) or not ref.gateway_txn_id:
            raise InvalidSignature("order_id missing from the return URL")
        if not hmac.compare_digest(
            claimed.encode("utf-8", "replace"), ref.gateway_txn_id.encode()
        ):
            raise InvalidSignature("order_id in the return URL is not this payment's")
        return self.fetch_status(ref)

    # --- webhooks ------------------------------------------------------------

    def verify_webhook(self, headers: dict[str, str], body: bytes) -> WebhookMessage:
        headers = {k.lower(): v for k, v in headers.items()}
        signature = headers.get("x-webhook-signature", "")
        timestamp = headers.get("x-webhook-timestamp", "")
        if not signature or not timestamp:
            raise InvalidSignature("x-webhook-signature or x-webhook-timestamp missing")
        sent_ms = ascii_int(timestamp, 16)
        if sent_ms is None:
            raise InvalidSignature("x-webhook-timestamp is not epoch milliseconds")
        expected = sign(self.client_secret, timestamp, body)
        if not hmac.compare_digest(
            expected.encode(), signature.encode("utf-8", "replace")
        ):
            raise InvalidSignature("webhook signature does not verify")
        age = time.time() - sent_ms / 1000
        if abs(age) > self.webhook_tolerance:
            raise InvalidSignature(
                f"webhook timestamp is {int(age)}s away from now "
                f"(tolerance {self.webhook_tolerance}s): replay refused"
            )
        try:
            event = json.loads(body, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidSignature("webhook body is not JSON") from exc
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            raise InvalidSignature("webhook body has no data object")
        data = event["data"]
        event_type = str(event.get("type") or "UNKNOWN")
        order = data.get("order") if isinstance(data.get("order"), dict) else {}
        payment = data.get("payment") if isinstance(data.get("payment"), dict) else {}
        order_id = order.get("order_id")
        currency = str(payment.get("payment_currency") or order.get("order_currency"))
        cf_payment_id = payment.get("cf_payment_id")
        event_id = headers.get("x-idempotency-key") or (
            f"{cf_payment_id}:{event_type}"
            if cf_payment_id is not None
            else f"{order_id}:{event_type}:{event.get('event_time')}"
        )
        attempt = str(payment.get("payment_status") or "")
        result = GatewayResult(
            status=PAYMENT_STATUS.get(attempt, PENDING),
            amount=to_minor(payment.get("payment_amount"), currency),
            currency=currency if currency != "None" else None,
            gateway_txn_id=str(order_id) if order_id is not None else None,
            message=str(payment.get("payment_message") or attempt)[:300],
            raw=_plain(event),
        )
        return WebhookMessage(
            event_id=str(event_id)[:120],
            event_type=event_type,
            gateway_txn_id=result.gateway_txn_id,
            gateway_reference=None,
            result=result,
        )

    # --- refunds -------------------------------------------------------------

    def refund(
        self, ref: PaymentRef, amount: int, idempotency_key: str | None = None
    ) -> GatewayResult:
        """Refund `amount` as refund `idempotency_key` (the gateway's refund_id).

        The gateway refuses a second refund with the same refund_id (409); that
        answer means the refund exists already, so it is fetched and reported
        instead of being made twice. The gateway does not report the payment's
        remaining amount here: the result is REFUNDED for the refund made.
        """
        if not ref.gateway_txn_id:
            raise GatewayRejected("this payment never reached the gateway")
        refund_id = REFUND_ID_RE.sub("", idempotency_key or "")[:40] or (
            f"rf-{ref.payment_id}-{secrets.token_hex(6)}"
        )
        if len(refund_id) < 3:
            raise GatewayRejected("the refund id must be 3 to 40 characters")
        path = f"/orders/{ref.gateway_txn_id}/refunds"
        try:
            data = self._call(
                "POST",
                path,
                {
                    "refund_amount": to_major(amount, ref.currency),
                    "refund_id": refund_id,
                    "refund_note": f"refund of payment {ref.payment_id}",
                },
            )
        except Refused as exc:
            if exc.code != "refund_already_exists":
                raise
            data = self._call("GET", f"{path}/{refund_id}")
        if not isinstance(data, dict):
            raise GatewayRejected("the gateway does not know this order")
        state = str(data.get("refund_status") or "")
        return GatewayResult(
            # SUCCESS and PENDING (being paid out) are both a refund the gateway
            # accepted; CANCELLED is not.
            status=REFUNDED if state in ("SUCCESS", "PENDING", "ONHOLD") else FAILED,
            amount=to_minor(data.get("refund_amount"), ref.currency),
            currency=ref.currency,
            gateway_txn_id=ref.gateway_txn_id,
            reference=str(data.get("cf_refund_id") or refund_id),
            refund_reference=str(data.get("cf_refund_id") or refund_id),
            message=state or "refund requested",
            raw=_plain(data),
        )


def _plain(value: Any) -> Any:
    """JSON-safe copy: Decimals become strings so they keep their cents."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
