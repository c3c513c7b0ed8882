"""Back-office operations: each one records who did it in the audit log, in the
same transaction as the change (so a refused action leaves no audit row and an
accepted one always has one)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import inspect, select, update

from app.accounts.models import User
from app.admin.models import AuditLog
from app.booklets import services as booklets
from app.catalog.models import Product
from app.db import utcnow
from app.extensions import db
from app.i18n.labels import label
from app.orders import fulfilment
from app.orders.models import Order
from app.orders.services import LineItem, create_order
from app.orders.shipping_states import is_unshipped
from app.orders.states import is_paid
from app.outbox.models import OutboxEvent
from app.outbox.services import redrive
from app.payments.attempts import captured_payments
from app.payments.audit import log_event
from app.payments.refunds import record_refund, refund_order
from app.services_errors import Conflict, NotFound, ServiceError

SECRET_FIELDS = frozenset(
    {"password_hash", "key_hash", "key_salt", "token_hash", "order_key"}
)


def _actor_id() -> int | None:
    try:
        if current_user and current_user.is_authenticated:
            return current_user.id
    except RuntimeError:  # outside a request (CLI, jobs)
        return None
    return None


def record(action: str, target: str, detail: dict[str, Any] | None = None) -> AuditLog:
    """Append one audit entry for the current user (flushed, not committed)."""
    entry = AuditLog(
        user_id=_actor_id(),
        action=action[:60],
        target=target[:120],
        detail=detail or {},
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def target_of(obj: Any) -> str:
    identity = inspect(obj).identity
    pk = identity[0] if identity else getattr(obj, "id", None)
    return f"{type(obj).__name__}#{pk}"


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value if not isinstance(value, str) else value[:500]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return value
    return str(value)[:500]


def changes_of(obj: Any) -> dict[str, list[Any]]:
    """{column: [old, new]} for the columns changed on `obj` in this session."""
    state = inspect(obj)
    changed: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        if attr.key in SECRET_FIELDS:
            changed[attr.key] = ["***", "***"]
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            changed[attr.key] = [_plain(old), _plain(new)]
    return changed


def snapshot_of(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    return {
        attr.key: (
            "***" if attr.key in SECRET_FIELDS else _plain(getattr(obj, attr.key))
        )
        for attr in state.mapper.column_attrs
    }


# --- outbox ----------------------------------------------------------------------


def redrive_event(event_id: int) -> None:
    """Put a failed outbox event back to pending; relayed after the commit."""
    row = db.session.get(OutboxEvent, event_id)
    if row is None:
        raise NotFound("EVENT_NOT_FOUND", _("No such outbox event."))
    if not redrive(event_id):
        raise Conflict(
            "EVENT_NOT_FAILED",
            _(
                "Outbox event %(id)s is %(status)s; only failed events are re-driven.",
                id=event_id,
                status=row.status,
            ),
        )
    record(
        "outbox.redrive",
        f"OutboxEvent#{event_id}",
        {"topic": row.topic, "last_error": (row.last_error or "")[:300]},
    )


# --- orders flagged needs_refund -------------------------------------------------


def _flagged(order_id: int, flagged: bool = True) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("ORDER_NOT_FOUND", _("No such order."))
    if flagged and not order.needs_refund:
        raise Conflict(
            "NOT_FLAGGED",
            _("Order %(order)s is not waiting for a refund.", order=order.public_id),
        )
    return order


def refund_via_gateway(order_id: int, reason: str, flagged: bool = True) -> None:
    """Refund the whole order through its gateway (`refund_order`)."""

    _flagged(order_id, flagged)
    refund_order(order_id, reason or "needs_refund resolved by staff")
    record("order.refund_gateway", f"Order#{order_id}", {"reason": reason})


def mark_refunded_by_hand(order_id: int, reason: str, flagged: bool = True) -> None:
    """The money went back outside the gateway API (bank transfer, dashboard).

    With one captured payment the order becomes refunded (its goods are taken
    back: access revoked, unshipped stock returned). With several (a duplicate
    capture) only the extra, latest captures are marked refunded and the order
    stays paid. `reason` says how, and serves as the refund's reference.
    """
    if not reason.strip():
        raise ServiceError("REASON_REQUIRED", _("Say how the money was returned."), 422)
    order = _flagged(order_id, flagged)
    captured = sorted(captured_payments(order), key=lambda p: p.id)
    if not captured:
        raise Conflict("NOTHING_CAPTURED", _("This order has no captured payment."))
    refunds = [
        record_refund(
            order.id,
            reference=reason[:120],
            reason=reason,
            actor_id=_actor_id(),
            payment_id=payment.id,
        )
        for payment in (captured[1:] if len(captured) > 1 else captured)
    ]
    if len(captured) > 1:
        _clear_flag(order)
    record(
        "order.refund_by_hand",
        f"Order#{order.id}",
        {"reason": reason, "payments": [r.payment_id for r in refunds]},
    )


def _clear_flag(order: Order) -> None:
    db.session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(needs_refund=False, refund_by=None, updated_at=utcnow())
    )
    db.session.refresh(order)


def deliver_after_all(order_id: int, reason: str) -> None:
    """Booklets restocked: take the copies now, start shipping, clear the flag."""
    order = _flagged(order_id)
    if order.kind != "booklet" or not is_paid(order.status) or order.fulfilment_status:
        raise Conflict(
            "CANNOT_DELIVER",
            _(
                "Only a paid booklet order that took no stock can be delivered "
                "after all."
            ),
        )
    if not fulfilment.paid(order, late=True):
        raise Conflict(
            "OUT_OF_STOCK", _("There is still not enough stock for this order.")
        )
    _clear_flag(order)
    log_event(
        gateway="storefront",
        kind="note",
        order_id=order.id,
        outcome="delivered_after_all",
        detail=reason[:2000],
    )
    record("order.deliver_after_all", f"Order#{order.id}", {"reason": reason})


def dismiss_flag(order_id: int, reason: str) -> None:
    """No refund is owed after all (e.g. the customer accepted a substitute)."""
    if not reason.strip():
        raise ServiceError("REASON_REQUIRED", _("Say why no refund is needed."), 422)
    order = _flagged(order_id)
    _clear_flag(order)
    log_event(
        gateway="storefront",
        kind="note",
        order_id=order.id,
        outcome="refund_flag_cleared",
        detail=reason[:2000],
    )
    record("order.dismiss_refund", f"Order#{order.id}", {"reason": reason})


RESOLUTIONS = {
    "gateway": refund_via_gateway,
    "by_hand": mark_refunded_by_hand,
    "deliver": deliver_after_all,
    "dismiss": dismiss_flag,
}


def resolve_refund(order_id: int, how: str, reason: str) -> None:
    action = RESOLUTIONS.get(how)
    if action is None:
        raise ServiceError(
            "VALIDATION_ERROR", _("Choose how to resolve this order."), 400
        )
    action(order_id, reason.strip()[:500])


# --- shipping ---------------------------------------------------------------------


def shipping_step(order_id: int, step: str, carrier: str = "", tracking: str = ""):
    if step == "ship":
        order = booklets.ship_order(order_id, carrier, tracking)
        detail = {"carrier": order.carrier, "tracking_number": order.tracking_number}
    elif step == "deliver":
        order = booklets.mark_delivered(order_id)
        detail = {}
    elif step == "complete":
        order = booklets.mark_completed(order_id)
        detail = {}
    else:
        raise ServiceError("VALIDATION_ERROR", _("Unknown shipping step."), 400)
    record(f"order.{step}", f"Order#{order_id}", detail)
    return order


def cancel_booklet_order(order_id: int, how: str, reason: str) -> None:
    """Cancel a paid booklet order before it ships: refund it (through the
    gateway, or recorded as refunded by hand); its copies go back to stock."""
    order = db.session.get(Order, order_id)
    if order is None or order.kind != "booklet":
        raise NotFound("ORDER_NOT_FOUND", _("No such booklet order."))
    if not is_paid(order.status) or not is_unshipped(order.fulfilment_status):
        state = (
            label(order.fulfilment_status, "fulfilment")
            if order.fulfilment_status
            else label(order.status)
        )
        raise Conflict(
            "CANNOT_CANCEL",
            _(
                "Order %(order)s cannot be cancelled here: it is %(state)s. Unpaid "
                "orders are cancelled by the customer or expire; shipped orders "
                "must come back first.",
                order=order.public_id,
                state=state,
            ),
        )
    if how == "gateway":
        refund_via_gateway(order_id, reason, flagged=False)
    elif how == "by_hand":
        mark_refunded_by_hand(order_id, reason, flagged=False)
    else:
        raise ServiceError(
            "VALIDATION_ERROR", _("Choose how the money goes back."), 400
        )
    record("order.cancel", f"Order#{order_id}", {"how": how, "reason": reason})


# --- orders created by staff ------------------------------------------------------


def create_order_for_customer(
    product_id: int,
    quantity: int,
    name: str,
    email: str,
    address: dict[str, Any] | None = None,
    note: str = "",
) -> Order:
    """An order staff prepare for a customer, who pays it with its order key.

    Digital goods are granted to an account, so they need the customer's
    existing account; a booklet can go to anyone, with a shipping address.
    """

    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        raise NotFound("PRODUCT_NOT_FOUND", _("No such product."))
    if product.type not in ("course", "digital_book", "booklet"):
        raise ServiceError(
            "PRODUCT_NOT_ORDERABLE",
            _("Trainings and events are ordered through their own forms."),
            400,
        )
    if not 1 <= quantity <= booklets.MAX_QUANTITY or (
        product.type != "booklet" and quantity != 1
    ):
        raise ServiceError("VALIDATION_ERROR", _("That quantity is not allowed."), 400)
    email = email.strip().lower()
    if "@" not in email:
        raise ServiceError("VALIDATION_ERROR", _("Enter the customer's email."), 400)
    customer = db.session.scalar(select(User).where(User.email == email))
    extra: dict[str, Any] = {}
    if product.type == "booklet":
        extra["shipping_address"] = booklets.clean_address(address)
        booklets.check_stock(product, quantity)
    elif customer is None:
        raise ServiceError(
            "CUSTOMER_NOT_FOUND",
            _("Digital goods need the customer's account; ask them to register first."),
            400,
        )
    order = create_order(
        kind="booklet" if product.type == "booklet" else "cart",
        user_id=customer.id if customer else None,
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
        customer_name=name.strip()[:120] or (customer.name if customer else ""),
        customer_email=email,
        timeout_minutes=60 * 24 * 7,
        note=note[:1000],
        **extra,
    )
    record(
        "order.create_for_customer",
        f"Order#{order.id}",
        {"product": product.id, "quantity": quantity, "email": email},
    )
    return order
