"""Paid cart orders: access to each course and book, and the cart emptied of them."""

from __future__ import annotations

from sqlalchemy import select

from app.cart.services import remove_products
from app.catalog.models import Product
from app.extensions import db
from app.library.services import grant_access, revoke_for_order
from app.orders.fulfilment import RefundedLines
from app.orders.models import Order


def paid(order: Order, late: bool) -> bool:
    # Digital goods never run out, so a late capture can always be delivered.
    product_ids = []
    wanted = sorted({item.product_id for item in order.items})
    products = {  # every line's product in one query, not one per line
        p.id: p
        for p in db.session.scalars(select(Product).where(Product.id.in_(wanted)))
    }
    for item in order.items:
        product = products[item.product_id]
        if order.user_id is not None:
            grant_access(order.user_id, product.id, order.id, product.validity_days)
        product_ids.append(product.id)
    if order.user_id is not None:
        remove_products(order.user_id, product_ids)
    return True


def refunded(order: Order, lines: RefundedLines = None) -> None:
    """Access ends for the refunded courses and books (each line is one)."""
    if lines is None:
        revoke_for_order(order.id)
        return
    products = {i.product_id for i in order.items if lines.get(i.id) and i.product_id}
    if products:
        revoke_for_order(order.id, products)
