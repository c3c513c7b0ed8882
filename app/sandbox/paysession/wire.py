"""What the merchant sees on the wire: JSON with exact amounts, entities, signatures.

The entity builders are the single place that decides the shape of API answers
and webhook bodies (gateways.md 3.4, 3.5, 3.7), so the two cannot drift apart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

from app.sandbox.paysession import methods
from app.sandbox.paysession.store import iso, money, now_ist, status_of
from app.sandbox.states import PaysessionPaymentStatus

WEBHOOK_TYPES = {
    PaysessionPaymentStatus.SUCCESS: "PAYMENT_SUCCESS_WEBHOOK",
    PaysessionPaymentStatus.FAILED: "PAYMENT_FAILED_WEBHOOK",
    PaysessionPaymentStatus.USER_DROPPED: "PAYMENT_USER_DROPPED_WEBHOOK",
}


def dumps(value: Any) -> str:
    """Compact JSON where every Decimal is written as a number with two decimals.

    The stdlib would print `170.0` (float) or refuse Decimal. The gateway sends
    `170.00`, and merchants that re-serialize before verifying a signature break
    on exactly that, so the sandbox must reproduce it byte for byte.
    """
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


# --- webhook signature --------------------------------------------------------


def sign(secret: str, timestamp: str, body: str | bytes) -> str:
    """base64(HMAC-SHA256(secret, timestamp + raw body)), no separator (§3.7)."""
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), timestamp.encode() + raw, hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def verify(secret: str, timestamp: str, body: str | bytes, signature: str) -> bool:
    """Constant-time check, so the sandbox never leaks how much of a guess matched."""
    return hmac.compare_digest(
        sign(secret, timestamp, body).encode(), signature.encode("utf-8", "replace")
    )


# --- entities -----------------------------------------------------------------


def order_entity(order: dict) -> dict:
    """OrderEntity as `GET /orders/{id}` answers it (§3.4)."""
    return {
        "cf_order_id": order["cf_order_id"],
        "order_id": order["order_id"],
        "entity": "order",
        "order_currency": order["order_currency"],
        "order_amount": money(order["order_amount"]),
        "order_status": status_of(order),
        "payment_session_id": order["payment_session_id"],
        "order_expiry_time": order["order_expiry_time"],
        "order_note": order["order_note"],
        "created_at": order["created_at"],
        "order_splits": [],
        "customer_details": {**order["customer_details"], "customer_uid": None},
        "order_meta": order["order_meta"],
        "order_tags": order["order_tags"],
        "cart_details": None,
        "terminal_data": None,
    }


def _method_code(payment: dict) -> str:
    return payment.get("method") or methods.DEFAULT_METHOD


def payment_method(payment: dict) -> dict:
    success = payment["status"] == PaysessionPaymentStatus.SUCCESS
    return methods.details(_method_code(payment), success)


def payment_group(payment: dict) -> str:
    return methods.METHODS[_method_code(payment)].group


def payment_entity(order: dict, payment: dict) -> dict:
    """PaymentEntity for one attempt (§3.5)."""
    return {
        "cf_payment_id": payment["cf_payment_id"],
        "order_id": order["order_id"],
        "entity": "payment",
        "payment_status": payment["status"],
        "payment_amount": money(payment["amount"]),
        "payment_currency": order["order_currency"],
        "order_amount": money(order["order_amount"]),
        "payment_group": payment_group(payment),
        "payment_method": payment_method(payment),
        "payment_message": payment["message"],
        "payment_time": payment["time"],
        "payment_completion_time": payment["time"],
        "bank_reference": payment["bank_reference"],
        "auth_id": None,
        "is_captured": payment["status"] == PaysessionPaymentStatus.SUCCESS,
        "error_details": payment["error_details"],
        "authorization": None,
    }


def refund_entity(order: dict, refund: dict) -> dict:
    return {
        "cf_refund_id": refund["cf_refund_id"],
        "refund_id": refund["refund_id"],
        "order_id": order["order_id"],
        "entity": "refund",
        "refund_amount": money(refund["amount"]),
        "refund_currency": order["order_currency"],
        "refund_note": refund["note"],
        "refund_status": "SUCCESS",
        "created_at": refund["created_at"],
    }


def webhook_body(order: dict, payment: dict) -> str:
    """The exact webhook text (§3.7); signed and sent byte for byte on every try."""
    customer = order["customer_details"]
    data: dict[str, Any] = {
        "order": {
            "order_id": order["order_id"],
            "order_amount": money(order["order_amount"]),
            "order_currency": order["order_currency"],
            "order_tags": order["order_tags"],
        },
        "payment": {
            "cf_payment_id": payment["cf_payment_id"],
            "payment_status": payment["status"],
            "payment_amount": money(payment["amount"]),
            "payment_currency": order["order_currency"],
            "payment_message": payment["message"],
            "payment_time": payment["time"],
            "bank_reference": payment["bank_reference"],
            "auth_id": None,
            "payment_method": payment_method(payment),
            "payment_group": payment_group(payment),
        },
        "customer_details": {
            "customer_name": customer["customer_name"],
            "customer_id": customer["customer_id"],
            "customer_email": customer["customer_email"],
            "customer_phone": customer["customer_phone"],
        },
        "payment_gateway_details": {
            "gateway_name": "CASHFREE",
            "gateway_order_id": order["cf_order_id"],
            "gateway_payment_id": payment["cf_payment_id"],
            "gateway_order_reference_id": None,
            "gateway_settlement": "CASHFREE",
            "gateway_status_code": None,
        },
    }
    if payment["error_details"] is not None:
        data["error_details"] = payment["error_details"]
    event = {
        "data": data,
        "event_time": iso(now_ist()),
        "type": WEBHOOK_TYPES[payment["status"]],
    }
    return dumps(event)
