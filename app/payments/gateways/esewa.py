"""eSewa ePay v2: signed form post out, signed base64 `data` back, status API.

Protocol facts are in ../shared/gateways.md §1. eSewa has no webhooks and no
refund API; the browser return is only a hint and the status check is the truth.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from decimal import Decimal, InvalidOperation

import requests

from app.money import format_amount
from app.payments.gateways.base import (
    CANCELLED,
    CAPTURED,
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

REQUEST_SIGNED_FIELDS = "total_amount,transaction_uuid,product_code"
RESPONSE_REQUIRED = ("transaction_code", "status", "total_amount", "transaction_uuid")

STATUS_MAP = {
    "COMPLETE": CAPTURED,
    "PENDING": PENDING,
    "AMBIGUOUS": PENDING,  # halted at eSewa: keep asking, never count it as paid
    "FULL_REFUND": REFUNDED,
    "PARTIAL_REFUND": CAPTURED,
    "NOT_FOUND": NOT_FOUND,
    "CANCELED": CANCELLED,
}


class AmountMismatch(InvalidSignature):
    """Authentic message, but the amount or transaction is not what we asked for."""


def sign(secret: str, fields: dict[str, str], signed_field_names: str) -> str:
    """base64(HMAC-SHA256) over `name=value` pairs joined by commas, in order."""
    message = ",".join(
        f"{name}={fields[name]}" for name in signed_field_names.split(",")
    )
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _to_minor(text: str | float | int, currency: str = "NPR") -> int:
    try:
        value = Decimal(str(text).replace(",", "").strip())
    except InvalidOperation as exc:
        raise InvalidSignature(f"bad amount {text!r}") from exc
    return int((value * 100).to_integral_value())


class EsewaGateway:
    name = "esewa"

    def __init__(
        self,
        product_code: str,
        secret: str,
        form_url: str,
        status_url: str,
        timeout: float = 8.0,
    ):
        self.product_code = product_code
        self.secret = secret
        self.form_url = form_url
        self.status_url = status_url
        self.timeout = timeout

    def create_handoff(self, request: PaymentRequest) -> Handoff:
        uuid = f"{request.payment_id}-{int(time.time() * 1000)}"
        amount = format_amount(request.amount, request.currency)
        zero = format_amount(0, request.currency)
        payload = {
            "amount": amount,
            "tax_amount": zero,
            "total_amount": amount,
            "transaction_uuid": uuid,
            "product_code": self.product_code,
            "product_service_charge": zero,
            "product_delivery_charge": zero,
            "success_url": request.success_url,
            "failure_url": request.failure_url,
            "signed_field_names": REQUEST_SIGNED_FIELDS,
        }
        payload["signature"] = sign(self.secret, payload, REQUEST_SIGNED_FIELDS)
        return Handoff(
            initiation_type="form_post",
            redirect_url=self.form_url,
            payload=payload,
            gateway_txn_id=uuid,
        )

    def decode_redirect(self, params: dict[str, str]) -> dict[str, str]:
        raw = params.get("data")
        if not raw or not isinstance(raw, str) or len(raw) > 4096:
            raise InvalidSignature("missing data parameter")
        try:
            decoded = base64.b64decode(raw.replace(" ", "+"), validate=True)
            data = json.loads(decoded)
        except (binascii.Error, ValueError) as exc:
            raise InvalidSignature("data is not base64 JSON") from exc
        if not isinstance(data, dict):
            raise InvalidSignature("data is not a JSON object")
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}

    def verify_redirect(self, ref: PaymentRef, params: dict[str, str]) -> GatewayResult:
        data = self.decode_redirect(params)
        names = data.get("signed_field_names", "")
        signed = names.split(",") if names else []
        if any(f not in signed for f in RESPONSE_REQUIRED) or any(
            n not in data for n in signed
        ):
            raise InvalidSignature("signed_field_names does not cover the response")
        expected = sign(self.secret, data, names)
        given = data.get("signature", "")
        if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
            raise InvalidSignature("signature does not verify")
        if data.get("product_code", self.product_code) != self.product_code:
            raise AmountMismatch("product code differs")
        if data["transaction_uuid"] != ref.gateway_txn_id:
            raise AmountMismatch("transaction_uuid is not this payment's")
        amount = _to_minor(data["total_amount"], ref.currency)
        if amount != ref.amount:
            raise AmountMismatch(
                f"total_amount {data['total_amount']} differs from the order"
            )
        return GatewayResult(
            status=STATUS_MAP.get(data["status"], PENDING),
            amount=amount,
            currency=ref.currency,
            gateway_txn_id=data["transaction_uuid"],
            reference=data["transaction_code"],
            raw=data,
        )

    def fetch_status(self, ref: PaymentRef) -> GatewayResult:
        params = {
            "product_code": self.product_code,
            "total_amount": format_amount(ref.amount, ref.currency),
            "transaction_uuid": ref.gateway_txn_id,
        }
        try:
            resp = requests.get(self.status_url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise GatewayError(f"eSewa status check failed: {exc}") from exc
        try:
            body = resp.json()
        except ValueError as exc:
            raise GatewayError(
                f"eSewa answered {resp.status_code} without JSON"
            ) from exc
        if resp.status_code >= 500 or "error_message" in body:
            raise GatewayError(
                f"eSewa unavailable ({resp.status_code}): {body.get('error_message')}"
            )
        if resp.status_code >= 400 or not isinstance(body, dict):
            raise GatewayError(f"eSewa refused the status check ({resp.status_code})")
        status = STATUS_MAP.get(str(body.get("status")), PENDING)
        amount = body.get("total_amount")
        return GatewayResult(
            status=status,
            amount=_to_minor(amount, ref.currency) if amount is not None else None,
            currency=ref.currency,
            gateway_txn_id=body.get("transaction_uuid"),
            reference=body.get("ref_id"),
            message=str(body.get("status")),
            raw=body,
        )

    def verify_webhook(self, headers: dict[str, str], body: bytes) -> WebhookMessage:
        raise InvalidSignature("eSewa ePay v2 sends no webhooks")

    def refund(self, ref: PaymentRef, amount: int) -> GatewayResult:
        raise GatewayRejected(
            "eSewa has no refund API: refund from the merchant portal, then mark it"
        )
