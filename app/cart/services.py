"""The cart: digital items only, one line per product."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.cart.models import Cart, CartItem
from app.catalog.models import CART_TYPES, Product
from app.extensions import db
from app.money import format_amount
from app.services_errors import NotFound, ServiceError


def get_cart(user_id: int, create: bool = False) -> Cart | None:
    cart = db.session.scalar(select(Cart).where(Cart.user_id == user_id))
    if cart is None and create:
        cart = Cart(user_id=user_id)
        try:
            with db.session.begin_nested():
                db.session.add(cart)
                db.session.flush()
        except IntegrityError:
            cart = db.session.scalar(select(Cart).where(Cart.user_id == user_id))
    return cart


def addable_product(
    product_id: int, quantity: int = 1, cart_currency: str | None = None
) -> Product:
    """The product if it may go in a cart whose items are priced in
    `cart_currency` (None: empty cart); the same checks for a user's cart and a
    guest's, so the two cannot disagree."""
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        raise NotFound("PRODUCT_NOT_FOUND", _l("No such product."))
    if product.type not in CART_TYPES:
        raise ServiceError(
            "CART_ITEM_NOT_ELIGIBLE",
            _l(
                "Only courses and digital books can go in the cart; trainings "
                "are bought through enrollment."
            )
            if product.type == "training"
            else _l("Only courses and digital books can go in the cart."),
            400,
            {"productId": product_id, "type": product.type},
        )
    if quantity != 1:
        raise ServiceError(
            "INVALID_QUANTITY",
            _l("Digital items are sold one per customer (quantity 1)."),
            400,
            {"quantity": quantity},
        )
    if cart_currency and cart_currency != product.currency:
        raise ServiceError(
            "CURRENCY_MISMATCH",
            _l("Items in one cart must share a currency."),
            400,
            {"currency": product.currency},
        )
    return product


def add_item(user_id: int, product_id: int, quantity: int = 1) -> CartItem:
    cart = get_cart(user_id, create=True)
    currency = cart.items[0].product.currency if cart.items else None
    addable_product(product_id, quantity, currency)
    existing = next((i for i in cart.items if i.product_id == product_id), None)
    if existing:
        return existing
    item = CartItem(cart_id=cart.id, product_id=product_id, quantity=1)
    try:
        with db.session.begin_nested():
            db.session.add(item)
            db.session.flush()
    except IntegrityError:
        db.session.expire(cart)
        item = next(i for i in cart.items if i.product_id == product_id)
    return item


def remove_item(user_id: int, product_id: int) -> None:
    cart = get_cart(user_id)
    if cart is None or not any(i.product_id == product_id for i in cart.items):
        raise NotFound("CART_ITEM_NOT_FOUND", _l("That product is not in your cart."))
    db.session.execute(
        delete(CartItem).where(
            CartItem.cart_id == cart.id, CartItem.product_id == product_id
        )
    )
    db.session.expire(cart)


def remove_products(user_id: int, product_ids: list[int]) -> None:
    cart = get_cart(user_id)
    if cart is None or not product_ids:
        return
    db.session.execute(
        delete(CartItem).where(
            CartItem.cart_id == cart.id, CartItem.product_id.in_(product_ids)
        )
    )


def item_count(user_id: int) -> int:
    """Lines in the user's cart (for the navigation), in one query."""
    return (
        db.session.scalar(
            select(func.count(CartItem.id))
            .join(Cart, Cart.id == CartItem.cart_id)
            .where(Cart.user_id == user_id)
        )
        or 0
    )


def cart_dict(cart: Cart | None) -> dict:
    items = list(cart.items) if cart else []
    currency = items[0].product.currency if items else None
    total = sum(i.product.price * i.quantity for i in items)
    return {
        "items": [
            {
                "productId": i.product_id,
                "type": i.product.type,
                "title": i.product.title,
                "quantity": i.quantity,
                "unitPrice": format_amount(i.product.price, i.product.currency),
                "currency": i.product.currency,
            }
            for i in items
        ],
        "currency": currency,
        "subtotal": format_amount(total, currency) if currency else "0",
        "count": len(items),
    }
