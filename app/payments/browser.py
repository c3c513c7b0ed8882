"""Which orders this browser placed, remembered in the signed session cookie.

Gateway return URLs carry only a payment id, and anyone can call them; the order
key is added to the onward redirect only for the browser that placed the order
(or its logged-in owner), so enumerating payment ids reveals nothing.
"""

from __future__ import annotations

from flask import session
from flask_login import current_user

from app.orders.models import Order

_KEY = "placed_orders"
_KEEP = 20


def remember_order(order: Order) -> None:
    placed = [p for p in session.get(_KEY, []) if p != order.public_id]
    session[_KEY] = [*placed, order.public_id][-_KEEP:]


def placed_here(order: Order) -> bool:
    if order.public_id in session.get(_KEY, []):
        return True
    user = current_user
    return bool(
        getattr(user, "is_authenticated", False)
        and (order.user_id == user.id or user.role == "admin")
    )
