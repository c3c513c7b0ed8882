"""The contract every gateway adapter fulfils.

Adapters speak one gateway's protocol and know nothing about orders: they take
plain dataclasses and return plain dataclasses; only the payments services
around them touch the database. Every error an adapter raises is defined here,
so callers catch classes, never names. Inbound data (redirect parameters,
webhook bodies) is a hint; `fetch_status` is the truth used before money is
counted as received.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class ResultStatus(StrEnum):
    """Normalised statuses every adapter maps its provider's statuses onto."""

    CAPTURED = "captured"
    AUTHORIZED = "authorized"  # konbini slip issued, waiting for the customer to pay
    PENDING = "pending"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    NOT_FOUND = "not_found"


CAPTURED = ResultStatus.CAPTURED
AUTHORIZED = ResultStatus.AUTHORIZED
PENDING = ResultStatus.PENDING
FAILED = ResultStatus.FAILED
CANCELLED = ResultStatus.CANCELLED
EXPIRED = ResultStatus.EXPIRED
REFUNDED = ResultStatus.REFUNDED
NOT_FOUND = ResultStatus.NOT_FOUND
RESULT_STATUSES = tuple(ResultStatus)

# The gateway took the money or issued a slip: finalisation should follow soon.
ACCEPTED = frozenset({CAPTURED, AUTHORIZED})
# No money moved for this attempt (it may still complete late: seed 000).
UNSUCCESSFUL = frozenset({FAILED, CANCELLED, NOT_FOUND, EXPIRED})
# The attempt was closed at the gateway (a konbini slip lapsed or was withdrawn).
CLOSED = frozenset({CANCELLED, EXPIRED})


class GatewayError(Exception):
    """The gateway is down, timed out or answered garbage: try again later (503)."""


class InvalidSignature(Exception):
    """A redirect or webhook whose signature does not verify: reject, change nothing."""


class AmountMismatch(InvalidSignature):
    """Authentic message, but the amount or transaction is not what we asked for."""


class GatewayRejected(Exception):
    """The gateway refused the request (4xx): a problem with what we sent."""


@dataclass(frozen=True)
class PaymentRequest:
    """Everything an adapter needs to start one payment attempt."""

    payment_id: int
    amount: int  # minor units
    currency: str
    description: str
    method: str  # esewa | credit_card | konbini | paysession | ...
    success_url: str  # browser return after success (or the single return URL)
    failure_url: str  # browser return after failure or cancel
    notify_url: str | None = None  # server-to-server webhook target
    external_order_num: str = ""
    customer_name: str = ""
    customer_email: str = ""
    customer_phone: str = ""
    customer_id: str = ""
    expires_at: dt.datetime | None = None
    # The buyer's language for the gateway's own pages ("en", "ja", ...);
    # a gateway that does not speak it falls back to English.
    locale: str = "en"
    # Limit the gateway's page to these methods, in the gateway's own codes
    # (e.g. "cc", "upi"); empty means every method the gateway offers.
    payment_methods: tuple[str, ...] = ()
    # The tax held in `amount` (minor units): gateways that show tax apart
    # (eSewa's `tax_amount`) split it out; the rest charge `amount` as it is.
    tax_amount: int = 0


@dataclass(frozen=True)
class PaymentRef:
    """How an adapter finds an attempt again at the gateway."""

    payment_id: int
    amount: int
    currency: str
    gateway_txn_id: str | None
    gateway_reference: str | None


@dataclass(frozen=True)
class Handoff:
    """How the browser is sent to the gateway."""

    initiation_type: str  # "form_post" (auto-submitted form) or "redirect"
    redirect_url: str
    payload: dict[str, Any]  # form fields for form_post, empty for redirect
    gateway_txn_id: str
    gateway_reference: str | None = None
    expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class GatewayRefund:
    """One refund as the gateway lists it on a payment."""

    reference: str  # the gateway's id of the refund
    amount: int  # minor units


@dataclass(frozen=True)
class GatewayResult:
    """The gateway's answer about one attempt, mapped to our vocabulary."""

    status: str  # one of RESULT_STATUSES
    amount: int | None
    currency: str | None
    gateway_txn_id: str | None = None
    reference: str | None = None  # the gateway's own id for the money movement
    message: str = ""
    approve_by: dt.datetime | None = None  # e.g. konbini slip deadline
    instructions: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    # Money given back so far at the gateway (minor units), when it reports it.
    # A partial refund leaves the status CAPTURED with this above zero.
    amount_refunded: int | None = None
    # The gateway's id for the newest refund, e.g. after `refund()`.
    refund_reference: str | None = None
    # Every refund of the payment, oldest first, when the gateway lists them.
    refunds: tuple[GatewayRefund, ...] = ()


@dataclass(frozen=True)
class WebhookMessage:
    """A verified webhook: who it is about and what it claims."""

    event_id: str
    event_type: str
    gateway_txn_id: str | None
    gateway_reference: str | None
    result: GatewayResult


class PaymentGateway(Protocol):
    name: str
    # None when `refund` calls the gateway's refund API; otherwise what staff
    # do instead (eSewa: its merchant portal), shown when they try the API.
    manual_refund_note: str | None

    def create_handoff(self, request: PaymentRequest) -> Handoff:
        """Start an attempt. May call the gateway (raises GatewayError on outage)."""
        ...

    def fetch_status(self, ref: PaymentRef) -> GatewayResult:
        """Ask the gateway for the truth about an attempt (GatewayError on outage)."""
        ...

    def verify_redirect(self, ref: PaymentRef, params: dict[str, str]) -> GatewayResult:
        """Check a browser return's signature and fields (InvalidSignature if not
        authentic). The result is a hint: finalisation fetches the status again."""
        ...

    def verify_webhook(self, headers: dict[str, str], body: bytes) -> WebhookMessage:
        """Check a webhook's signature over the raw body (InvalidSignature)."""
        ...

    def refund(
        self, ref: PaymentRef, amount: int, idempotency_key: str | None = None
    ) -> GatewayResult:
        """Give `amount` (minor units, all or part of what is left) back.

        `idempotency_key` (at most 40 characters of `[A-Za-z0-9_-]`) names this
        refund at the gateway: a call repeated with the same key - after a
        timeout, or by a job resuming an interrupted refund - answers the
        refund already made instead of making a second one. Without a key
        every call is a new refund.

        Returns the payment's state afterwards: REFUNDED once nothing is left;
        a gateway that reports partial refunds (KOMOJU) answers CAPTURED with
        `amount_refunded` after a partial one; `refund_reference` is the
        refund's id. Any other status means the gateway did not confirm the
        refund. GatewayRejected if the gateway has no refund API or refuses the
        amount; GatewayError if it could not be asked.
        """
        ...
