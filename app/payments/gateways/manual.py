"""Manual methods (bank transfer): no gateway; a person confirms receipt.

The buyer writes a short reference on the transfer. It is made from the
payment's id (Crockford base32, so no I/L/O/U to misread) plus a check
character, which lets a statement line with a mistyped reference be told from
one that names another order.
"""

from __future__ import annotations

import re

from app.payments.gateways.base import (
    AUTHORIZED,
    GatewayRejected,
    GatewayResult,
    Handoff,
    InvalidSignature,
    PaymentRef,
    PaymentRequest,
    WebhookMessage,
)

PREFIX = "BT"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
BODY_LENGTH = 5  # up to 33 million payments before references grow a character
# Crockford's reading rules: letters people confuse with digits.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_FOUND = re.compile(r"\bBT[\s-]?([0-9A-Z]{6,13})\b")


def _check(body: str) -> str:
    """A weighted sum modulo 31 (a prime): catches one wrong character and
    two swapped neighbours."""
    total = sum((i + 1) * ALPHABET.index(c) for i, c in enumerate(body))
    return ALPHABET[total % 31]


def transfer_reference(payment_id: int) -> str:
    """`BT` + the payment id in base32 (at least five characters) + a check."""
    digits = ""
    n = payment_id
    while n:
        n, r = divmod(n, 32)
        digits = ALPHABET[r] + digits
    body = digits.rjust(BODY_LENGTH, "0")
    return f"{PREFIX}{body}{_check(body)}"


def find_reference(text: str) -> str | None:
    """The first valid transfer reference written in `text` (a statement's
    description, what staff typed), normalised; None if there is none."""
    for match in _FOUND.finditer((text or "").upper()):
        code = match.group(1).translate(_READ_AS)
        body, check = code[:-1], code[-1]
        if all(c in ALPHABET for c in code) and _check(body) == check:
            return f"{PREFIX}{body}{check}"
    return None


class ManualGateway:
    name = "manual"
    manual_refund_note = (
        "A bank transfer is refunded by a transfer back to the buyer: make it, "
        "then record its reference."
    )

    def create_handoff(self, request: PaymentRequest) -> Handoff:
        return Handoff(
            initiation_type="direct",
            redirect_url=request.success_url,
            payload={},
            gateway_txn_id=transfer_reference(request.payment_id),
        )

    def fetch_status(self, ref: PaymentRef) -> GatewayResult:
        # Money arrives outside any API; until staff confirm it, it is on hold.
        return GatewayResult(
            status=AUTHORIZED, amount=ref.amount, currency=ref.currency
        )

    def verify_redirect(self, ref: PaymentRef, params: dict[str, str]) -> GatewayResult:
        return self.fetch_status(ref)

    def verify_webhook(self, headers: dict[str, str], body: bytes) -> WebhookMessage:
        raise InvalidSignature("manual payments have no webhooks")

    def refund(
        self, ref: PaymentRef, amount: int, idempotency_key: str | None = None
    ) -> GatewayResult:
        raise GatewayRejected(self.manual_refund_note)
