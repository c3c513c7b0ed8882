"""The refund form staff and organizers share: lines and/or an amount.

The page draws one quantity input per line the buyer still has (`qty-<item
id>`, 0 to what is left), an optional amount in the currency's major units, a
reason, and a `key` minted when the page is drawn: submitting the same form
twice refunds once (the key names the refund). A gateway without a refund API
(eSewa, a bank transfer) also asks for the reference of the refund made
elsewhere.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.digits import ascii_int
from app.money import parse_amount
from app.orders.models import Order
from app.orders.states import is_paid
from app.payments.gateways.registry import get_gateway
from app.payments.refund_plan import left_to_refund, refundable_payment
from app.payments.refunds import record_refund, refund_now
from app.services_errors import ServiceError

KEY_RE = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class RefundChoice:
    lines: dict[int, int] | None  # None: the form chose no line
    amount: int | None  # minor units; None: what the lines cost, or everything
    reason: str
    reference: str
    key: str | None  # None: a form without one (each submit is a new refund)


def _whole(text: str, name: str) -> int:
    text = (text or "").strip()
    if not text:
        return 0
    number = ascii_int(text, 6)
    if number is None:
        raise ServiceError(
            "VALIDATION_ERROR",
            _("%(item)s: enter a whole number of items.", item=name),
            400,
        )
    return number


def parse_refund_form(form: Mapping[str, Any], order: Order) -> RefundChoice:
    """Plain values for `refund_now` / `record_refund`; 400 for bad input."""
    key = (form.get("key") or "").strip() or None
    if key is not None and not KEY_RE.fullmatch(key):
        raise ServiceError(
            "VALIDATION_ERROR", _("This form is out of date; reload the page."), 400
        )
    lines: dict[int, int] = {}
    for item in order.items:
        n = _whole(form.get(f"qty-{item.id}", ""), item.title)
        if n:
            lines[item.id] = n
    amount_text = (form.get("amount") or "").strip()
    amount = None
    if amount_text:
        try:
            amount = parse_amount(amount_text, order.currency)
        except ValueError as exc:
            raise ServiceError(
                "VALIDATION_ERROR",
                _("The amount is not valid: %(problem)s.", problem=exc),
                400,
            ) from exc
    return RefundChoice(
        lines=lines or None,
        amount=amount,
        reason=(form.get("reason") or "").strip()[:200],
        reference=(form.get("reference") or "").strip()[:120],
        key=f"form-{key}" if key else None,
    )


def carry_out(order: Order, choice: RefundChoice, actor_id: int | None):
    """Refund through the gateway, or record the refund made elsewhere when the
    form carries its reference. Returns the Refund."""
    if choice.reference:
        return record_refund(
            order.id,
            reference=choice.reference,
            lines=choice.lines,
            amount=choice.amount,
            reason=choice.reason,
            actor_id=actor_id,
            key=choice.key,
        )
    return refund_now(
        order.id,
        choice.reason,
        lines=choice.lines,
        amount=choice.amount,
        actor_id=actor_id,
        key=choice.key,
    )


@dataclass(frozen=True)
class RefundFormView:
    """What the refund form shows for an order that can be refunded."""

    key: str
    left: int  # minor units still refundable
    by_api: bool  # False: record a refund made elsewhere (with its reference)
    manual_note: str | None
    lines: list  # OrderItem with something left to refund


def refund_form_view(order: Order) -> RefundFormView | None:
    """None when nothing can be refunded (unpaid, refunded, paid twice)."""
    try:
        payment = refundable_payment(order)
    except ServiceError:
        return None
    left = left_to_refund(payment)
    if left <= 0 or not is_paid(order.status):
        return None
    note = getattr(get_gateway(payment.gateway), "manual_refund_note", None)
    return RefundFormView(
        key=secrets.token_hex(16),
        left=left,
        by_api=not note,
        manual_note=note,
        lines=[i for i in order.items if i.kept_quantity > 0],
    )
