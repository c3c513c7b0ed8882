"""Printed booklets: checkout with a shipping address, stock, and shipping steps.

Stock is *checked* at checkout (a clear 409 when too few copies are left) and
*taken* only when the order is paid, with a conditional UPDATE that can never
drive it below zero (`take_stock`). A paid order that finds no stock left keeps
its money and is flagged `needs_refund` by the payment core. A paid order that is
refunded before it ships gives its copies back (`restore_stock`).

After payment the order follows seed 003's shipping steps (PROCESSING ->
SHIPPED -> DELIVERED -> COMPLETED), moved by staff with `advance_shipping`;
illegal jumps are refused with a 409 that says what is missing.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.accounts.models import User
from app.booklets.states import SEED_STEPS, shipping_label
from app.booklets.states import seed_status as seed_label
from app.catalog.models import Product
from app.conditional import guarded_update
from app.extensions import db
from app.i18n import labels
from app.mail.services import queue_email
from app.orders.models import Order
from app.orders.services import LineItem, create_order
from app.orders.shipping_states import (
    SHIPPING_PROGRESS,
    IllegalTransition,
    ShippingStatus,
    next_fulfilment_status,
)
from app.orders.states import OrderStatus, is_paid
from app.orders.transitions import shipping_transition
from app.payments import methods
from app.payments.deadlines import payment_deadline
from app.payments.handoff import initiate_payment
from app.payments.models import Payment
from app.services_errors import Conflict, NotFound, ServiceError

MAX_QUANTITY = 20

# field -> (label, required, max length)
ADDRESS_FIELDS: dict[str, tuple[Any, bool, int]] = {
    "name": (_l("Recipient name"), True, 120),
    "line1": (_l("Address line 1"), True, 200),
    "line2": (_l("Address line 2"), False, 200),
    "city": (_l("City"), True, 100),
    "postcode": (_l("Postcode"), True, 20),
    "country": (_l("Country"), True, 60),
    "phone": (_l("Phone"), False, 32),
}


# --- checkout ------------------------------------------------------------------


def clean_address(raw: dict[str, Any] | None) -> dict[str, str]:
    """A shipping address with every field trimmed; 422 naming each bad field."""
    raw = raw if isinstance(raw, dict) else {}
    address: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name, (label, required, limit) in ADDRESS_FIELDS.items():
        value = raw.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            problems[name] = _("%(field)s must be text.", field=label)
            continue
        value = " ".join(value.split())
        if required and not value:
            problems[name] = _("%(field)s is required.", field=label)
        elif len(value) > limit:
            problems[name] = _(
                "%(field)s is longer than %(limit)s characters.",
                field=label,
                limit=limit,
            )
        address[name] = value
    if problems:
        raise ServiceError(
            "INVALID_ADDRESS",
            _(
                "Please complete the shipping address: %(problems)s",
                problems=" ".join(problems.values()),
            ),
            422,
            problems,
        )
    return address


def get_booklet(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None or product.type != "booklet" or not product.active:
        raise NotFound("PRODUCT_NOT_FOUND", _("No such booklet."))
    return product


def check_stock(product: Product, quantity: int) -> None:
    """Seed 003's stock validation at checkout (the copies are taken when paid)."""
    if product.stock is not None and product.stock < quantity:
        left = product.stock
        message = (
            _("“%(title)s” is sold out.", title=product.title)
            if left == 0
            else ngettext(
                "Only %(num)d copy of “%(title)s” left.",
                "Only %(num)d copies of “%(title)s” left.",
                left,
                title=product.title,
            )
        )
        raise Conflict("OUT_OF_STOCK", message, details={"available": left})


def checkout_booklet(
    user: User,
    product_id: int,
    quantity: int,
    address: dict[str, Any] | None,
    gateway: str,
    payment_type: str | None = None,
) -> tuple[Order, Payment]:
    """Create a booklet order with its shipping address and its first payment."""
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise ServiceError(
            "VALIDATION_ERROR",
            _("Quantity must be between 1 and %(max)s.", max=MAX_QUANTITY),
            400,
            {"quantity": quantity},
        )
    method = methods.resolve_method(gateway, payment_type)
    product = get_booklet(product_id)
    shipping = clean_address(address)
    check_stock(product, quantity)
    order = create_order(
        kind="booklet",
        user_id=user.id,
        currency=product.currency,
        items=[
            LineItem(
                title=product.title,
                product_type=product.type,
                unit_price=product.price,
                quantity=quantity,
                product_id=product.id,
            )
        ],
        customer_name=user.name,
        customer_email=user.email,
        customer_phone=shipping.get("phone") or user.phone,
        shipping_address=shipping,
        expires_at=payment_deadline(method, product.currency),
    )
    payment = initiate_payment(order, method)
    return order, payment


# --- stock ---------------------------------------------------------------------


def take_stock(product_id: int, quantity: int) -> bool:
    """Take copies if there are enough: `... WHERE stock >= n`; never below zero.

    A product without a stock count (None) is not limited.
    """
    return guarded_update(
        Product,
        product_id,
        (Product.stock.is_(None)) | (Product.stock >= quantity),
        stock=Product.stock - quantity,
    )


def restore_stock(product_id: int, quantity: int) -> None:
    guarded_update(
        Product, product_id, Product.stock.is_not(None), stock=Product.stock + quantity
    )


# --- shipping ------------------------------------------------------------------

_MISSING_STEP = {
    "ship": _l(
        "it is %(current)s; only an order that is paid and being processed "
        "can be shipped"
    ),
    "deliver": _l(
        "it has not been shipped yet (it is %(current)s); mark it shipped "
        "with a tracking number first"
    ),
    "complete": _l(
        "it has not been delivered yet (it is %(current)s); mark it delivered first"
    ),
}


def _describe(order: Order) -> str:
    if order.fulfilment_status:
        return labels.label(order.fulfilment_status, "fulfilment")
    return _("paid, but no stock was taken") if is_paid(order.status) else _("unpaid")


def advance_shipping(order_id: int, event: str, **values: Any) -> Order:
    """Move a booklet order one shipping step; 409 with the reason otherwise."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("ORDER_NOT_FOUND", _("No such order."))
    reached = {
        "ship": ShippingStatus.SHIPPED,
        "deliver": ShippingStatus.DELIVERED,
        "complete": ShippingStatus.COMPLETED,
    }[event]
    verb = labels.label(reached, "fulfilment")
    if order.kind != "booklet":
        raise Conflict(
            "NOTHING_TO_SHIP",
            _(
                "Order %(order)s has no printed goods; there is nothing to ship.",
                order=order.public_id,
            ),
        )
    if not is_paid(order.status):
        state = labels.label(order.status)
        raise Conflict(
            "ORDER_NOT_PAID",
            _(
                "Order %(order)s cannot be %(step)s: it is %(state)s, and only "
                "paid orders are shipped.",
                order=order.public_id,
                step=verb,
                state=state,
            ),
            details={"status": order.status},
        )
    try:
        next_fulfilment_status(order.fulfilment_status, event)
    except IllegalTransition:
        current = _describe(order)
        progress = SHIPPING_PROGRESS.get(order.fulfilment_status, 0)
        if progress >= SHIPPING_PROGRESS[reached]:
            reason = _("it is already %(current)s", current=current)
        else:
            reason = _MISSING_STEP[event] % {"current": current}
        raise Conflict(
            "ILLEGAL_SHIPPING_STEP",
            _(
                "Order %(order)s cannot be %(step)s: %(reason)s.",
                order=order.public_id,
                step=verb,
                reason=reason,
            ),
            details={"fulfilmentStatus": order.fulfilment_status},
        ) from None
    if not shipping_transition(order.id, event, **values):
        raise Conflict(
            "ORDER_CHANGED",
            _("Order %(order)s changed meanwhile; reload it.", order=order.public_id),
        )
    db.session.refresh(order)
    return order


def ship_order(order_id: int, carrier: str, tracking_number: str) -> Order:
    """PROCESSING -> SHIPPED with a carrier and tracking number; emails the buyer."""
    carrier = " ".join((carrier or "").split())[:60]
    tracking_number = "".join((tracking_number or "").split())[:80]
    if not carrier or not tracking_number:
        raise ServiceError(
            "TRACKING_REQUIRED",
            _("Enter the carrier and the tracking number to ship an order."),
            422,
        )
    order = advance_shipping(
        order_id, "ship", carrier=carrier, tracking_number=tracking_number
    )
    if order.customer_email:
        queue_email(
            f"shipped-order-{order.id}",
            order.customer_email,
            "order_shipped",
            {"order_id": order.id},
        )
    return order


def mark_delivered(order_id: int) -> Order:
    return advance_shipping(order_id, "deliver")


def mark_completed(order_id: int) -> Order:
    return advance_shipping(order_id, "complete")


# --- seed 003's steps, for the order page ----------------------------------------


def seed_status(order: Order) -> str:
    """The order's seed 003 status label."""
    return seed_label(order.status, order.fulfilment_status)


def seed_steps(order: Order) -> list[dict[str, Any]]:
    """Each step of NEW -> HOLD -> PROCESSING -> SHIPPED -> DELIVERED -> COMPLETED
    as done / current / todo / skipped, with its time where known."""
    current = seed_status(order)
    held = order.status == OrderStatus.ON_HOLD or any(
        p.gateway == "manual" or p.approve_by is not None for p in order.payments
    )
    times = {
        "NEW": order.created_at,
        "PROCESSING": order.paid_at,
        "SHIPPED": order.shipped_at,
        "DELIVERED": order.delivered_at,
        "COMPLETED": order.completed_at,
    }
    if current in SEED_STEPS:
        reached = SEED_STEPS.index(current)
    elif current == "FAILED":
        reached = 0
    elif order.paid_at is not None:
        reached = SEED_STEPS.index(shipping_label(order.fulfilment_status))
    else:
        reached = 0
    steps = []
    for index, label in enumerate(SEED_STEPS):
        if label == current:
            state = "current"
        elif index < reached or (index == reached and current not in SEED_STEPS):
            state = "done"
        else:
            state = "todo"
        if label == "HOLD" and not held and state == "done":
            state = "skipped"
        steps.append({"label": label, "state": state, "at": times.get(label)})
    return steps
