"""Booklet checkout for API clients: `POST /api/booklets/checkout`."""

from __future__ import annotations

from flask import Blueprint

from app.api.openapi_schemas import IDEMPOTENCY_HEADER, describe
from app.booklets.services import checkout_booklet
from app.checkout.order_key import payment_response
from app.extensions import limiter
from app.http.auth import api_user
from app.http.idempotency import respond_idempotent
from app.http.parsing import field, json_body, positive_id

bp = Blueprint("booklets_api", __name__)


@bp.post("/booklets/checkout")
@limiter.limit("30/minute")
def checkout():
    """Body: productId, quantity, shippingAddress {name, line1, line2, city,
    postcode, country, phone}, gateway, paymentType. Direct methods answer with
    the order key response (seed 003), redirect methods with the payment init."""
    user = api_user()
    body = json_body()
    product_id = positive_id(body, "productId")
    quantity = field(body, "quantity", int, required=False, default=1)
    address = field(body, "shippingAddress", dict)
    gateway = field(body, "gateway", str)
    payment_type = field(body, "paymentType", str, required=False)

    def work() -> dict:
        order, payment = checkout_booklet(
            user, product_id, quantity, address, gateway, payment_type
        )
        return payment_response(order, payment)

    return respond_idempotent(f"user:{user.id}", "booklets.checkout", body, work)


describe(
    "POST /api/booklets/checkout",
    summary="Order a printed booklet with a shipping address and start its payment",
    auth=True,
    parameters=[IDEMPOTENCY_HEADER],
    requestBody={
        "type": "object",
        "required": ["productId", "shippingAddress", "gateway"],
        "properties": {
            "productId": {"type": "integer", "minimum": 1},
            "quantity": {"type": "integer", "minimum": 1, "maximum": 20},
            "gateway": {"type": "string", "examples": ["esewa", "bank_transfer"]},
            "paymentType": {"type": ["string", "null"]},
            "shippingAddress": {
                "type": "object",
                "required": ["name", "line1", "city", "postcode", "country"],
                "properties": {
                    name: {"type": "string"}
                    for name in (
                        "name",
                        "line1",
                        "line2",
                        "city",
                        "postcode",
                        "country",
                        "phone",
                    )
                },
            },
        },
    },
)
