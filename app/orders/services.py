"""Orders: creation with price snapshots, the auto-cancel booking, and lookup
with authorisation. Cancelling and paying are the payments side's work
(`app.payments.cancellation`, `app.payments.finalise`): orders never import it."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.i18n.preferences import order_preferences
from app.orders.models import Order, OrderItem, OrderTaxRate
from app.orders.states import OrderStatus
from app.outbox.services import emit
from app.services_errors import NotFound
from app.tax.orders import order_tax
from app.tax.sellers import SHOP


@dataclass(frozen=True)
class LineItem:
    title: str
    product_type: str
    unit_price: int
    quantity: int = 1
    product_id: int | None = None
    ticket_type_id: int | None = None
    cohort_id: int | None = None
    attendees: tuple = ()


def new_public_id() -> str:
    return "ord_" + secrets.token_hex(8)


def create_order(
    *,
    kind: str,
    user_id: int | None,
    currency: str,
    items: list[LineItem],
    customer_name: str = "",
    customer_email: str = "",
    customer_phone: str = "",
    discount: int = 0,
    promotion_id: int | None = None,
    return_url: str | None = None,
    timeout_minutes: int | None = None,
    expires_at: dt.datetime | None = None,
    seller: str = SHOP,
    **extra,
) -> Order:
    """Create an order with price snapshots and book its auto-cancel.

    It lapses at `expires_at` (the payment method's deadline, see
    `app.payments.deadlines`), else after `timeout_minutes`, else after
    `ORDER_TIMEOUT_MINUTES`.

    The seller's tax is computed here, once: per line and per rate. With
    tax-exclusive prices the tax is added to the total.
    """
    subtotal = sum(i.unit_price * i.quantity for i in items)
    discount = min(discount, subtotal)
    taxed = order_tax(
        seller,
        [i.product_type for i in items],
        [i.unit_price * i.quantity for i in items],
        discount,
    )
    tax = taxed.result
    minutes = timeout_minutes or current_app.config["ORDER_TIMEOUT_MINUTES"]
    order = Order(
        public_id=new_public_id(),
        order_key=secrets.token_urlsafe(32),
        user_id=user_id,
        kind=kind,
        status=OrderStatus.PAYMENT_PENDING,
        subtotal=subtotal,
        discount=discount,
        total=tax.gross,
        currency=currency,
        seller=seller,
        tax_total=tax.tax,
        prices_include_tax=taxed.inclusive,
        customer_name=customer_name,
        customer_email=customer_email,
        customer_phone=customer_phone,
        promotion_id=promotion_id,
        return_url=return_url,
        expires_at=expires_at or utcnow() + dt.timedelta(minutes=minutes),
        **order_preferences(),  # the buyer's language and zone, for emails
        # Through the relationship: one flush writes the order and its items,
        # and `order.items` is known afterwards without another query.
        items=[
            OrderItem(
                product_id=item.product_id,
                ticket_type_id=item.ticket_type_id,
                cohort_id=item.cohort_id,
                title=item.title,
                product_type=item.product_type,
                unit_price=item.unit_price,
                quantity=item.quantity,
                line_total=item.unit_price * item.quantity,
                attendees=list(item.attendees),
                tax_rate=line.rate,
                net_amount=line.net,
                tax_amount=line.tax,
            )
            for item, line in zip(items, tax.lines, strict=False)
        ],
        tax_rates=[
            OrderTaxRate(rate=r.rate, net=r.net, tax=r.tax)
            for r in tax.rates
            if taxed.registered
        ],
        **extra,
    )
    db.session.add(order)
    db.session.flush()
    schedule_auto_cancel(order)
    return order


def schedule_auto_cancel(order: Order) -> None:
    """Book `order.auto_cancel` for the order's current deadline (once per deadline)."""
    emit(
        "order.auto_cancel",
        {"order_id": order.id},
        available_at=order.expires_at,
        dedupe_key=f"auto-cancel-{order.id}-{order.expires_at:%Y%m%d%H%M%S}",
    )


def key_matches(order: Order, key: str | None) -> bool:
    if not key:
        return False
    # Bytes: compare_digest raises on non-ASCII str, and a key is user input.
    return hmac.compare_digest(
        order.order_key.encode(), str(key).encode("utf-8", "replace")
    )


def can_view(order: Order, user, key: str | None) -> bool:
    """Owner, the order key holder, or (for events) the organizer, or an admin."""
    if key_matches(order, key):
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return order.user_id == user.id or user.role == "admin"


def get_order_for(order_id: int | None, public_id: str | None, user, key: str | None):
    """Load an order the caller may see; anything else is the same 404."""
    if order_id is not None:
        order = db.session.get(Order, order_id)
    else:
        order = db.session.scalar(select(Order).where(Order.public_id == public_id))
    if order is None or not can_view(order, user, key):
        raise NotFound("ORDER_NOT_FOUND", _("No such order."))
    return order
