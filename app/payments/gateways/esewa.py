"""eSewa ePay v2: signed form post out, signed base64 `data` back, status API.

Protocol facts are in ../shared/gateways.md §1. eSewa has no webhooks and no
refund API; the browser return is only a hint and the status check is the truth.

Real eSewa is loose about formats (§1.5): `total_amount` comes back as "1000.0"
although "1000.00" was posted, sometimes with a thousands separator ("2,700.0")
that its signature was not computed over, or as a JSON number; `?data=` is
appended with a `?` even to a URL that already has a query. The verifier accepts
every spelling of the same amount and finds `data` wherever it landed, while the
fields that matter (status, amount, uuid, product code) must be signed and must
match the attempt. The status API may answer anything but its documented JSON;
that is "no answer yet" (GatewayError), never a crash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
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
    AmountMismatch,
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
# A callback is trusted only if these are all covered by its signature.
RESPONSE_REQUIRED = (
    "transaction_code",
    "status",
    "total_amount",
    "transaction_uuid",
    "product_code",
)
MAX_DATA_CHARS = 4096
# "2,700.0" or "1,234,567.0": separators exactly where thousands are grouped.
THOUSANDS_RE = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
MAX_AMOUNT_CHARS = 32

STATUS_MAP = {
    "COMPLETE": CAPTURED,
    "PENDING": PENDING,
    "AMBIGUOUS": PENDING,  # halted at eSewa: keep asking, never count it as paid
    "FULL_REFUND": REFUNDED,
    "PARTIAL_REFUND": CAPTURED,
    "NOT_FOUND": NOT_FOUND,
    "CANCELED": CANCELLED,
}


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
    if not value.is_finite():
        raise InvalidSignature(f"bad amount {text!r}")
    return int((value * 100).to_integral_value())


def amount_spellings(text: str) -> list[str]:
    """The ways eSewa may have written one `total_amount` when it signed it.

    The literal comes first; then without thousands separators (the real
    callback "2,700.0" was signed over "2700.0"; only well-placed separators
    count), then the "N.0", "N" and "N.00" forms of the same number.
    Accepting any of them is safe: each denotes the same amount, and that
    amount is compared with the attempt afterwards.
    """
    plain = text.replace(",", "") if THOUSANDS_RE.fullmatch(text) else text
    spellings = [text, plain]
    if len(text) <= MAX_AMOUNT_CHARS:
        try:
            value = Decimal(plain)
            if value.is_finite() and value == value.to_integral_value():
                whole = value.quantize(Decimal(1))
                spellings += [f"{whole}.0", f"{whole}", f"{whole}.00"]
            elif value.is_finite():
                spellings += [format(value.normalize(), "f"), f"{value:.2f}"]
        except InvalidOperation:
            pass
    return list(dict.fromkeys(spellings))


def find_data(params: dict[str, str]) -> str:
    """The `data` value of a success return, wherever eSewa put it.

    eSewa appends `?data=` even to a success_url that already has a query, so
    `/success?lang=en` comes back as `/success?lang=en?data=...` and `data`
    arrives inside the previous parameter's value.
    """
    raw = params.get("data")
    if isinstance(raw, str) and raw:
        return raw
    for value in params.values():
        if isinstance(value, str) and "?data=" in value:
            return value.split("?data=", 1)[1]
    raise InvalidSignature("missing data parameter")


def decode_base64(raw: str) -> bytes:
    """Standard base64 as eSewa sends it, repaired for what URLs do to it: an
    unescaped `+` reads as a space, and padding or the alphabet may be altered."""
    text = raw.replace(" ", "+").replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    return base64.b64decode(text, validate=True)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def status_body(resp: requests.Response) -> dict:
    """The status API's JSON object, or GatewayError for anything else.

    Proxies answer HTML, outages answer `{"code": 0, "error_message": ...}`
    (sometimes with 200), and broken answers may be `null`, a bare number or
    nothing at all: none of them says anything about the payment yet.
    """
    code = resp.status_code
    if code >= 500:
        raise GatewayError(f"eSewa unavailable ({code})")
    try:
        body = json.loads(resp.content or b"", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise GatewayError(f"eSewa answered {code} without JSON") from exc
    if not isinstance(body, dict):
        kind = type(body).__name__
        raise GatewayError(f"eSewa answered {code} with a JSON {kind}, not an object")
    if "error_message" in body:
        raise GatewayError(f"eSewa unavailable ({code}): {body['error_message']}")
    if code >= 400:
        raise GatewayError(f"eSewa refused the status check ({code})")
    if not isinstance(body.get("status"), str) or not body["status"]:
        raise GatewayError("eSewa's status answer has no status")
    return body


def _minor_or_none(value: object) -> int | None:
    """The status API's amount (a JSON number, or text) in paisa, if readable."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return _to_minor(str(value))
    except InvalidSignature:
        return None


class EsewaGateway:
    name = "esewa"
    manual_refund_note = (
        "eSewa has no refund API: refund the payment in the eSewa merchant "
        "portal, then record the portal's refund reference here."
    )

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
        total = format_amount(request.amount, request.currency)
        zero = format_amount(0, request.currency)
        # The order's VAT rides in `tax_amount`; `amount` is the taxable value,
        # so `total_amount` = amount + tax_amount exactly (charges are 0).
        tax = min(max(request.tax_amount, 0), request.amount)
        payload = {
            "amount": format_amount(request.amount - tax, request.currency),
            "tax_amount": format_amount(tax, request.currency),
            "total_amount": total,
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
        """The callback's fields as the literal text eSewa signed.

        Numbers keep their JSON spelling (`2700.0` stays "2700.0"), since the
        signature is over text, not over values.
        """
        raw = find_data(params)
        if len(raw) > MAX_DATA_CHARS:
            raise InvalidSignature("data parameter is too long")
        try:
            data = json.loads(
                decode_base64(raw),
                parse_float=str,
                parse_int=str,
                parse_constant=_reject_constant,
            )
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
        given = data.get("signature", "").encode("utf-8", "replace")
        for spelling in amount_spellings(data["total_amount"]):
            expected = sign(self.secret, {**data, "total_amount": spelling}, names)
            if hmac.compare_digest(expected.encode(), given):
                break
        else:
            raise InvalidSignature("signature does not verify")
        if data["product_code"] != self.product_code:
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
        body = status_body(resp)
        raw_status = body["status"]
        status = STATUS_MAP.get(raw_status, PENDING)
        uuid = body.get("transaction_uuid")
        if uuid is not None and uuid != ref.gateway_txn_id:
            raise GatewayError("eSewa answered about another transaction")
        amount = _minor_or_none(body.get("total_amount"))
        if status == CAPTURED and amount is None:
            raise GatewayError("eSewa reported COMPLETE without a readable amount")
        reference = body.get("ref_id")
        return GatewayResult(
            status=status,
            amount=amount,
            currency=ref.currency,
            gateway_txn_id=uuid,
            reference=reference if isinstance(reference, str) else None,
            message=raw_status,
            raw=body,
        )

    def verify_webhook(self, headers: dict[str, str], body: bytes) -> WebhookMessage:
        raise InvalidSignature("eSewa ePay v2 sends no webhooks")

    def refund(
        self, ref: PaymentRef, amount: int, idempotency_key: str | None = None
    ) -> GatewayResult:
        raise GatewayRejected(self.manual_refund_note)
