"""Seed 002's Order and Payment structures, field by field.

Amounts are float64 in major units as the seed says (`299.99`); the database
keeps integers in minor units. Times are UTC ISO 8601 with a `Z`. The gateway's
own view of an attempt (bank reference, method details, error details) is taken
from the last authentic message it sent us about that attempt (status check or
webhook, stored in `payment_events` before use).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.digits import ascii_int
from app.extensions import db
from app.money import decimals
from app.orders.models import Order
from app.payments.models import Payment, PaymentEvent
from app.payments.states import CLOSED_PAYMENT_STATUSES, is_settled
from app.rpc.models import MerchantNotification

SERVICE_PATH = "/rpc/payment.v1.PaymentService"

# SPEC §5: seed 002's created/paid/failed are our payment_pending/paid/failed.
ORDER_STATUS = {
    "payment_pending": "created",
    "on_hold": "on_hold",
    "paid": "paid",
    "failed": "failed",
    "cancelled": "cancelled",
    "refunded": "refunded",
}
PAYMENT_STATUS = {
    "created": "pending",
    "pending": "pending",
    "authorized": "authorized",
    "captured": "paid",
    "failed": "failed",
    "cancelled": "cancelled",
    "expired": "expired",
    "refunded": "refunded",
}
# Refund statuses as the payment-session gateway spells them.
REFUND_STATUS = {
    "requested": "PENDING",
    "processing": "PENDING",
    "succeeded": "SUCCESS",
    "failed": "CANCELLED",
}
AUTH_STATUS = {
    "captured": "success",
    "refunded": "success",
    "failed": "failed",
    "cancelled": "failed",
    "expired": "failed",
}


def iso(value) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value else None


def major(minor: int | None, currency: str) -> float:
    return float(Decimal(int(minor or 0)).scaleb(-decimals(currency)))


def order_url(order: Order, tail: str = "") -> str:
    base = current_app.config["PUBLIC_BASE_URL"]
    return f"{base}{SERVICE_PATH}/orders/{order.public_id}{tail}"


def latest_session_payment(order: Order) -> Payment | None:
    sessions = [p for p in order.payments if p.gateway == "paysession"]
    return max(sessions, key=lambda p: p.id) if sessions else None


def customer_id(order: Order) -> int | str:
    """The merchant's id of the customer, as the merchant sent it: a number
    (seed 002's uint32) stays a number; 0 when the merchant sent none."""
    value = order.merchant_customer_id
    if value is None:
        return 0
    number = ascii_int(value, 10)
    return value if number is None else number


def order_message(order: Order) -> dict[str, Any]:
    session = latest_session_payment(order)
    return {
        "id": str(order.id),
        "order_id": order.public_id,
        "order_amount": major(order.total, order.currency),
        "order_currency": order.currency,
        "customer_details": {
            "customer_id": customer_id(order),
            "org_id": order.merchant_key_id or 0,
            "customer_name": order.customer_name,
            "customer_email": order.customer_email,
            "customer_phone": order.customer_phone,
        },
        "order_meta": {
            "return_url": order.return_url,
            "notify_url": order.notify_url,
            "payment_methods": order.allowed_methods or "",
        },
        "order_expiry_time": iso(order.expires_at),
        "order_note": order.note or "",
        "order_status": ORDER_STATUS.get(order.status, order.status),
        "order_tags": order.tags or {},
        "order_created": iso(order.created_at),
        "payment_session_id": session.gateway_reference if session else None,
        "payments": {"url": order_url(order, "/payments")},
        "refunds": {"url": order_url(order, "/refunds")},
        "settlements": {"url": order_url(order, "/settlements")},
        # Not in the seed: the webhooks sent to notify_url and how each went.
        "notifications": delivery_log(order),
    }


def gateway_view(payment: Payment) -> dict[str, Any]:
    """The gateway's payment entity for this attempt, from its last authentic
    message (a status check or a verified webhook), or {} if it sent none."""
    events = db.session.scalars(
        select(PaymentEvent)
        .where(
            PaymentEvent.payment_id == payment.id,
            PaymentEvent.kind.in_(("status_check", "webhook")),
            PaymentEvent.signature_valid.is_not(False),
        )
        .order_by(PaymentEvent.id.desc())
        .limit(10)
    )
    for event in events:
        try:
            body = json.loads(event.body or "null")
        except ValueError:
            continue
        if not isinstance(body, dict):
            continue
        data = body.get("data") if isinstance(body.get("data"), dict) else body
        found = data.get("payment")
        if isinstance(found, dict):
            if isinstance(data.get("error_details"), dict) and not found.get(
                "error_details"
            ):
                found = {**found, "error_details": data["error_details"]}
            return found
    return {}


def _error_details(payment: Payment, seen: dict) -> dict[str, list[str]]:
    """map[string]string[]: the gateway's error fields, then ours."""
    merged: dict[str, list[str]] = {}
    for source in (seen.get("error_details") or {}, payment.error_details or {}):
        if not isinstance(source, dict):
            continue
        for key, value in source.items():
            if value is None:
                continue
            values = value if isinstance(value, list) else [value]
            merged.setdefault(str(key), []).extend(str(v) for v in values)
    return merged


def payment_message(payment: Payment) -> dict[str, Any]:
    order = payment.order
    seen = gateway_view(payment)
    currency = payment.currency
    captured = is_settled(payment.status)
    finished = payment.completed_at or (
        payment.updated_at if payment.status in CLOSED_PAYMENT_STATUSES else None
    )
    method_data: dict[str, Any] = {"method": payment.method}
    if isinstance(seen.get("payment_method"), dict):
        method_data.update(seen["payment_method"])
    return {
        "id": str(payment.id),
        "order_id": order.public_id,
        "entity": payment.gateway,
        "payment_currency": currency,
        "error_details": _error_details(payment, seen),
        "order_amount": major(order.total, order.currency),
        "is_captured": captured,
        "payment_group": seen.get("payment_group") or payment.method,
        "authorization": {
            "action": payment.auth_action or "capture",
            "status": payment.auth_status or AUTH_STATUS.get(payment.status, "pending"),
            "captured_amount": major(payment.captured_amount, currency),
            "start_time": iso(payment.created_at),
            "end_time": iso(finished),
            "approve_by": iso(payment.approve_by),
            "action_reference": str(seen.get("cf_payment_id") or "")
            or payment.gateway_txn_id,
            "action_time": iso(payment.completed_at),
        },
        "payment_method": [method_data],
        "payment_amount": major(
            payment.captured_amount if captured else payment.amount, currency
        ),
        "payment_time": iso(payment.created_at),
        "payment_completion_time": iso(finished),
        "payment_status": PAYMENT_STATUS.get(payment.status, payment.status),
        "payment_message": payment.message or seen.get("payment_message") or "",
        "bank_reference": seen.get("bank_reference"),
        "auth_id": seen.get("auth_id"),
    }


def refund_messages(order: Order) -> list[dict[str, Any]]:
    """Every refund of the order (whole or part), with its own status."""
    return [
        {
            "refund_id": f"refund-{r.id}",
            "payment_id": str(r.payment_id),
            "order_id": order.public_id,
            "refund_amount": major(r.amount, r.currency),
            "refund_currency": r.currency,
            "refund_status": REFUND_STATUS.get(r.status, r.status),
            "refund_note": r.reason,
            "refund_reference": r.reference,
            "created_at": iso(r.created_at),
            "processed_at": iso(r.completed_at),
        }
        for r in order.refunds
    ]


def delivery_log(order: Order) -> list[dict]:
    """What the merchant sees in GetOrder: each webhook and its attempts."""
    notifications = db.session.scalars(
        select(MerchantNotification)
        .where(MerchantNotification.order_id == order.id)
        .order_by(MerchantNotification.id)
    )
    return [
        {
            "type": n.event_type,
            "payment_id": str(n.payment_id) if n.payment_id else None,
            "url": n.url,
            "status": n.status,
            "attempts": n.attempts,
            "next_attempt_time": iso(n.next_attempt_at),
            "delivered_time": iso(n.delivered_at),
            "deliveries": [
                {
                    "attempt": d.attempt,
                    "time": iso(d.created_at),
                    "status_code": d.status_code,
                    "error": d.error or None,
                    "duration_ms": d.duration_ms,
                }
                for d in n.deliveries
            ],
        }
        for n in notifications
    ]
