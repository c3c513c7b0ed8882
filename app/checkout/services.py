"""Cart checkout (seed 001): validate the cart, price it, create order + payment."""

from __future__ import annotations

from collections.abc import Collection

from flask_babel import gettext as _

from app.accounts.models import User
from app.cart.pricing import check_ownership, lines_for
from app.cart.services import get_cart
from app.catalog.models import CART_TYPES
from app.invoicing.services import set_business_details
from app.money import format_amount
from app.orders.models import Order
from app.orders.services import LineItem, create_order
from app.payments import methods
from app.payments.deadlines import payment_deadline
from app.payments.handoff import init_response, initiate_payment
from app.payments.models import Payment
from app.promotions.services import PricedLine, apply_promotion
from app.services_errors import ServiceError
from app.urls import return_url_allowed


def check_return_url(return_url: str | None) -> None:
    if not return_url_allowed(return_url):
        raise ServiceError(
            "RETURN_URL_NOT_ALLOWED",
            _("returnUrl must be an http(s) URL on an allowed host."),
            400,
            {"returnUrl": return_url},
        )


def checkout_cart(
    user: User,
    gateway: str,
    return_url: str | None = None,
    promo_code: str | None = None,
    payment_type: str | None = None,
    extend: Collection[int] | bool = False,
    company: str = "",
    tax_number: str = "",
) -> tuple[Order, Payment]:
    """Create a cart order and its first payment attempt (nothing on failure).

    `extend` names the owned limited-validity products the shopper chose to
    extend (True: all of them); anything else already owned is refused."""
    check_return_url(return_url)
    method = methods.resolve_method(gateway, payment_type)
    cart = get_cart(user.id)
    items = list(cart.items) if cart else []
    if not items:
        raise ServiceError("EMPTY_CART", _("Your cart is empty."), 400)
    bad = [i.product for i in items if i.product.type not in CART_TYPES]
    if bad:
        raise ServiceError(
            "CART_NOT_ELIGIBLE",
            _("The cart may hold only courses and digital books."),
            400,
            {"productIds": [p.id for p in bad]},
        )
    inactive = [i.product for i in items if not i.product.active]
    if inactive:
        raise ServiceError(
            "PRODUCT_UNAVAILABLE",
            _("Some items are no longer sold; remove them to continue."),
            400,
            {"productIds": [p.id for p in inactive]},
        )
    check_ownership(lines_for([i.product for i in items], user.id), extend)
    currency = items[0].product.currency
    lines = [
        LineItem(
            title=i.product.title,
            product_type=i.product.type,
            unit_price=i.product.price,
            quantity=i.quantity,
            product_id=i.product.id,
        )
        for i in items
    ]
    promo, discount = apply_promotion(
        promo_code,
        [
            PricedLine(li.product_id, li.product_type, li.unit_price * li.quantity)
            for li in lines
        ],
        currency,
        user.id,
    )
    order = create_order(
        kind="cart",
        user_id=user.id,
        currency=currency,
        items=lines,
        customer_name=user.name,
        customer_email=user.email,
        customer_phone=user.phone,
        discount=discount,
        promotion_id=promo.id if promo else None,
        return_url=return_url,
        expires_at=payment_deadline(method, currency),
    )
    if company or tax_number:
        set_business_details(order, company, tax_number)
    payment = initiate_payment(order, method)
    return order, payment


def order_totals(order: Order) -> dict:
    """The mobile endpoint's extra: the order's items and totals."""
    return {
        "items": [
            {
                "productId": i.product_id,
                "type": i.product_type,
                "title": i.title,
                "quantity": i.quantity,
                "unitPrice": format_amount(i.unit_price, order.currency),
                "lineTotal": format_amount(i.line_total, order.currency),
            }
            for i in order.items
        ],
        "subtotal": format_amount(order.subtotal, order.currency),
        "discount": format_amount(order.discount, order.currency),
        "tax": format_amount(order.tax_total, order.currency),
        "pricesIncludeTax": order.prices_include_tax,
        "total": format_amount(order.total, order.currency),
        "currency": order.currency,
    }


def checkout_response(order: Order, payment: Payment, mobile: bool) -> dict:
    data = init_response(order, payment)
    if mobile:
        data.update(order_totals(order))
    return data
