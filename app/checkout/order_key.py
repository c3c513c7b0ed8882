"""Order checkout by order key (seed 003): pay an order without logging in.

Anyone holding an order's key may start a payment for it: the customer paying
again after a failure, or a guest paying an order staff created for them. The
key is compared in constant time (`app.orders.services.get_order_for`); a wrong
key gets the same 404 as a missing order.

Direct payment methods (manual bank transfer) have no gateway page to send the
client to, so they answer with seed 003's *order key response* instead of the
payment-init body: the order's id, key, status and page.
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

from app.api.openapi_schemas import IDEMPOTENCY_HEADER, describe
from app.extensions import limiter
from app.http.auth import api_user
from app.http.idempotency import respond_idempotent
from app.http.parsing import field, json_body
from app.orders.models import Order
from app.orders.services import get_order_for
from app.payments import methods
from app.payments.handoff import init_response, initiate_payment
from app.payments.models import Payment

bp = Blueprint("order_key_api", __name__)


def order_url(order: Order) -> str:
    base = current_app.config["PUBLIC_BASE_URL"]
    return f"{base}/orders/{order.public_id}?key={order.order_key}"


def order_key_response(order: Order, payment: Payment) -> dict:
    """Seed 003's answer for a direct payment: where the order stands, and its
    key; a bank transfer adds its `instructions`."""
    body = {
        "orderId": order.id,
        "publicId": order.public_id,
        "orderKey": order.order_key,
        "status": order.status,
        "paymentId": payment.id,
        "initiationType": payment.initiation_type,
        "orderUrl": order_url(order),
    }
    instructions = (payment.payload or {}).get("bank_transfer")
    if instructions:
        body["instructions"] = instructions
    return body


def payment_response(order: Order, payment: Payment) -> dict:
    """Direct methods (a bank transfer): the order key response; redirect
    methods: seeds 000/001's payment-init body, plus the order key so the
    client can follow the order."""
    if payment.initiation_type in ("direct", "instructions"):
        return order_key_response(order, payment)
    return {**init_response(order, payment), "orderKey": order.order_key}


@bp.post("/orders/<public_id>/checkout")
@limiter.limit("30/minute")
def checkout_by_key(public_id: str):
    """`POST /api/orders/<publicId>/checkout` with `{"key", "gateway"}`."""
    body = json_body()
    key = field(body, "key", str, required=False) or request.args.get("key")
    gateway = field(body, "gateway", str)
    payment_type = field(body, "paymentType", str, required=False)
    user = api_user(optional=True)
    order = get_order_for(None, public_id, user, key)

    def work() -> dict:
        method = methods.resolve_method(gateway, payment_type)
        payment = initiate_payment(order, method)
        return payment_response(order, payment)

    return respond_idempotent(f"order:{order.id}", "orders.checkout_by_key", body, work)


describe(
    "POST /api/orders/{public_id}/checkout",
    summary="Pay an order with its order key, without logging in (seed 003); "
    "direct methods answer with the order key response",
    parameters=[IDEMPOTENCY_HEADER],
    requestBody={
        "type": "object",
        "required": ["key", "gateway"],
        "properties": {
            "key": {"type": "string"},
            "gateway": {"type": "string", "examples": ["esewa", "bank_transfer"]},
            "paymentType": {"type": ["string", "null"]},
        },
    },
)
