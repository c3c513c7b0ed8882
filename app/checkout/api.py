"""Checkout API (seed 001): `POST /api/orders/checkout` and the mobile variant."""

from __future__ import annotations

from flask import Blueprint

from app.checkout.services import checkout_cart, checkout_response
from app.extensions import limiter
from app.http.auth import api_user
from app.http.idempotency import respond_idempotent
from app.http.parsing import field, json_body

bp = Blueprint("checkout_api", __name__)


def _checkout(mobile: bool):
    user = api_user()
    body = json_body()
    gateway = field(body, "gateway", str)
    return_url = field(body, "returnUrl", str, required=False)
    promo = field(body, "promoCode", str, required=False)
    payment_type = field(body, "paymentType", str, required=False)
    extend = field(body, "extendAccess", bool, required=False, default=False)
    company = field(body, "companyName", str, required=False, default="")
    tax_number = field(body, "registrationNumber", str, required=False, default="")

    def work() -> dict:
        order, payment = checkout_cart(
            user,
            gateway,
            return_url,
            promo,
            payment_type,
            extend=bool(extend),
            company=company,
            tax_number=tax_number,
        )
        return checkout_response(order, payment, mobile)

    scope = "mobile.orders.checkout" if mobile else "orders.checkout"
    return respond_idempotent(f"user:{user.id}", scope, body, work)


@bp.post("/orders/checkout")
@limiter.limit("30/minute")
def checkout():
    return _checkout(mobile=False)


@bp.post("/mobile/orders/checkout")
@limiter.limit("30/minute")
def mobile_checkout():
    return _checkout(mobile=True)
