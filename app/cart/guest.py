"""A cart for shoppers who have not logged in yet.

It lives in the signed session cookie as a short list of product ids, checked
with the same rules as a user's cart (`services.addable_product`). Nothing is
written to the database for a visitor, so browsing leaves no rows behind. When
the shopper logs in or registers, `adopt` moves every line into their own cart
(skipping, with the reason, what no longer fits), and the shopper lands back on
the page they came from with the items in their cart: the add itself stays a
POST and never has to be replayed after login.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import session
from flask_babel import gettext
from sqlalchemy import select

from app.cart import services
from app.catalog.models import Product
from app.extensions import db
from app.services_errors import ServiceError

SESSION_KEY = "guest_cart"
MAX_LINES = 20


@dataclass(frozen=True)
class Adopted:
    added: list[str]
    skipped: list[tuple[str, str]]  # (title, why)


def product_ids() -> list[int]:
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, list):
        return []
    return [i for i in raw if isinstance(i, int) and not isinstance(i, bool)][
        :MAX_LINES
    ]


def products() -> list[Product]:
    """The guest's products in the order they were added (inactive ones too,
    so the page can say they are gone)."""
    ids = product_ids()
    if not ids:
        return []
    found = {
        p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids)))
    }
    return [found[i] for i in ids if i in found]


def add(product_id: int) -> Product:
    ids = product_ids()
    current = products()
    currency = current[0].currency if current else None
    product = services.addable_product(product_id, 1, currency)
    if product_id not in ids:
        if len(ids) >= MAX_LINES:
            raise ServiceError(
                "CART_FULL",
                gettext("Your cart is full (%(n)d items at most).", n=MAX_LINES),
                400,
                {"max": MAX_LINES},
            )
        session[SESSION_KEY] = [*ids, product_id]
    return product


def remove(product_id: int) -> bool:
    ids = product_ids()
    if product_id not in ids:
        return False
    session[SESSION_KEY] = [i for i in ids if i != product_id]
    return True


def count() -> int:
    return len(product_ids())


def adopt(user_id: int) -> Adopted:
    """Move the guest cart into the user's cart (caller commits) and forget it.

    Each line is added on its own savepoint, so one that no longer fits (sold
    out of the catalog, another currency than the user's cart) is reported and
    the rest still arrive."""
    added: list[str] = []
    skipped: list[tuple[str, str]] = []
    for product in products():
        try:
            with db.session.begin_nested():
                services.add_item(user_id, product.id, 1)
        except ServiceError as exc:
            skipped.append((product.title, str(exc.message)))
        else:
            added.append(product.title)
    session.pop(SESSION_KEY, None)
    return Adopted(added, skipped)
