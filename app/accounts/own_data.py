"""The owner's data: a JSON export of everything the shop keeps about them,
and deleting the account.

Deleting keeps what the law requires: a paid (or refunded) order is a sale,
and its buyer, items and amounts stay on record for the tax authorities (Nepal
and Japan keep books for years), as do its tickets and enrollments. Everything
else goes: the account's name, address, phone, password, saved preferences,
API tokens, cart and library access; orders that never took money lose the
buyer's details. The account row stays, anonymised, because those sales point
at it. An account with an order still waiting for payment is not deleted until
that order is paid or cancelled, so no payment can arrive for a deleted buyer.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import User
from app.accounts.recovery import end_all_sessions, send_verification, set_password
from app.accounts.services import normalise_email
from app.cart.models import Cart
from app.catalog.models import Product
from app.db import utcnow
from app.events.models import Ticket
from app.extensions import db
from app.library.models import ProductAccess
from app.order_views.serializers import order_dict
from app.orders.models import Order
from app.orders.states import OPEN_ORDER_STATUSES, SETTLED_ORDER_STATUSES
from app.services_errors import Conflict, ServiceError
from app.training.models import Enrollment


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def check_password(user: User, password: object) -> None:
    """Re-authentication before a change that matters (email, password,
    deletion): the password of the account, or a 400 that changes nothing."""
    if not isinstance(password, str) or not check_password_hash(
        user.password_hash, password
    ):
        raise ServiceError(
            "WRONG_PASSWORD",
            _l("Your current password is wrong."),
            400,
            {"current_password": "wrong"},
        )


def export(user: User) -> dict[str, Any]:
    orders = db.session.scalars(
        select(Order).where(Order.user_id == user.id).order_by(Order.id)
    ).all()
    tickets = db.session.execute(
        select(Ticket, Order.public_id)
        .join(Order, Order.id == Ticket.order_id)
        .where(Order.user_id == user.id)
        .order_by(Ticket.id)
    ).all()
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == user.id).order_by(Enrollment.id)
    ).all()
    library = db.session.execute(
        select(ProductAccess, Product.title)
        .join(Product, Product.id == ProductAccess.product_id)
        .where(ProductAccess.user_id == user.id)
        .order_by(ProductAccess.id)
    ).all()
    return {
        "exportedAt": _iso(utcnow()),
        "account": {
            "id": user.id,
            "email": user.email,
            "emailVerifiedAt": _iso(user.email_verified_at),
            "name": user.name,
            "phone": user.phone,
            "role": user.role,
            "locale": user.locale,
            "timezone": user.timezone,
            "createdAt": _iso(user.created_at),
        },
        "orders": [
            {
                **order_dict(o),
                "customer": {
                    "name": o.customer_name,
                    "email": o.customer_email,
                    "phone": o.customer_phone,
                },
                "shippingAddress": o.shipping_address,
            }
            for o in orders
        ],
        "tickets": [
            {
                "code": t.code,
                "order": public_id,
                "attendeeName": t.attendee_name,
                "attendeeEmail": t.attendee_email,
                "issuedAt": _iso(t.created_at),
            }
            for t, public_id in tickets
        ],
        "enrollments": [
            {
                "productId": e.product_id,
                "cohortId": e.cohort_id,
                "sessionId": e.session_id,
                "status": e.status,
                "orderId": e.order_id,
                "formData": e.form_data,
                "accessValidUntil": _iso(e.access_valid_until),
                "createdAt": _iso(e.created_at),
            }
            for e in enrollments
        ],
        "library": [
            {
                "productId": a.product_id,
                "title": title,
                "validUntil": _iso(a.valid_until),
                "revokedAt": _iso(a.revoked_at),
            }
            for a, title in library
        ],
    }


def delete_account(user: User, password: object) -> None:
    """Anonymise the account (see the module docstring); caller commits."""
    check_password(user, password)
    waiting = db.session.scalar(
        select(Order.public_id).where(
            Order.user_id == user.id, Order.status.in_(OPEN_ORDER_STATUSES)
        )
    )
    if waiting:
        raise Conflict(
            "ORDER_OPEN",
            _l(
                "Order %(id)s is still waiting for payment: pay or cancel it, "
                "then delete the account.",
                id=waiting,
            ),
            details={"order": waiting},
        )
    now = utcnow()
    db.session.execute(
        update(Order)
        .where(Order.user_id == user.id, Order.status.not_in(SETTLED_ORDER_STATUSES))
        .values(
            customer_name="",
            customer_email="",
            customer_phone="",
            shipping_address=None,
        )
    )
    db.session.execute(
        update(ProductAccess)
        .where(ProductAccess.user_id == user.id, ProductAccess.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.execute(delete(Cart).where(Cart.user_id == user.id))
    end_all_sessions(user)
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.name = ""
    user.phone = ""
    user.locale = None
    user.timezone = None
    user.email_verified_at = None
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32))
    user.deleted_at = now
    db.session.flush()


def change_email(user: User, password: object, new_email: str) -> str:
    """Re-authenticate, then send a confirmation link to the new address; the
    address changes when that link is opened. Returns the normalised address."""
    check_password(user, password)
    address = normalise_email(new_email)
    taken = db.session.scalar(select(User.id).where(User.email == address))
    if taken and taken != user.id:
        raise Conflict(
            "EMAIL_TAKEN", _l("An account with this email already exists."), 409
        )
    if address == user.email:
        raise ServiceError(
            "VALIDATION_ERROR",
            _l("That is already your address."),
            400,
            {"email": "same"},
        )
    send_verification(user, address)
    return address


def change_password(user: User, current: object, new: object) -> None:
    check_password(user, current)
    set_password(user, new)
