"""What payment emails show: the attempt (a konbini slip, bank details) and the
refund (how much came back, for which goods)."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.orders.models import OrderItem
from app.payments.models import Payment, Refund
from app.payments.refund_states import RefundStatus


def add_payment(ctx: dict[str, Any]) -> None:
    """`payment_id` -> `payment`."""
    payment_id = ctx.get("payment_id")
    if payment_id is not None:
        ctx["payment"] = db.session.get(Payment, payment_id)


def add_refund(ctx: dict[str, Any]) -> None:
    """`refund_id` -> `refund`, its lines as (title, quantity) and whether the
    order kept anything."""
    refund_id = ctx.get("refund_id")
    if refund_id is None:
        return
    refund = db.session.get(Refund, refund_id)
    ctx["refund"] = refund
    if refund is None:
        return
    lines = []
    for line in refund.lines or []:
        item = db.session.get(OrderItem, line["item_id"])
        if item is not None:
            lines.append((item.title, line["quantity"]))
    ctx["refund_lines"] = lines
    # As of this refund (the email may go out after a later one).
    payment = refund.payment
    so_far = sum(
        r.amount
        for r in payment.refunds
        if r.status == RefundStatus.SUCCEEDED and r.id <= refund.id
    )
    ctx["refunded_so_far"] = so_far
    ctx["fully_refunded"] = so_far >= (payment.captured_amount or payment.amount)
