"""What payment emails (the konbini slip) show: the attempt itself."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.payments.models import Payment


def add_payment(ctx: dict[str, Any]) -> None:
    """`payment_id` -> `payment`."""
    payment_id = ctx.get("payment_id")
    if payment_id is not None:
        ctx["payment"] = db.session.get(Payment, payment_id)
