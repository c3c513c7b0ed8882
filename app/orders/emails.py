"""What every order email may show: the order and the link that opens it."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.orders.models import Order


def add_order(ctx: dict[str, Any]) -> None:
    """`order_id` -> `order` and `order_url` (the page, opened by its order key)."""
    order_id = ctx.get("order_id")
    if order_id is None:
        return
    order = db.session.get(Order, order_id)
    ctx["order"] = order
    if order is not None:
        ctx["order_url"] = (
            f"{ctx['base_url']}/orders/{order.public_id}?key={order.order_key}"
        )
