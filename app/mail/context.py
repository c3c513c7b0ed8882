"""Turn the ids stored in an `email.send` event into objects for the template."""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.extensions import db


def build_context(template: str, context: dict[str, Any]) -> dict[str, Any]:
    from app.orders.models import Order

    ctx = dict(context)
    ctx["base_url"] = current_app.config["PUBLIC_BASE_URL"]
    order_id = ctx.get("order_id")
    if order_id is not None:
        order = db.session.get(Order, order_id)
        ctx["order"] = order
        if order is not None:
            ctx["order_url"] = (
                f"{ctx['base_url']}/orders/{order.public_id}?key={order.order_key}"
            )
    payment_id = ctx.get("payment_id")
    if payment_id is not None:
        from app.payments.models import Payment

        ctx["payment"] = db.session.get(Payment, payment_id)
    extra = _EXTRA.get(template)
    if extra is not None:
        extra(ctx)
    return ctx


_EXTRA: dict[str, Any] = {}


def context_builder(template: str):
    """Register a function that adds template-specific objects (tickets, slips)."""

    def register(func):
        _EXTRA[template] = func
        return func

    return register
