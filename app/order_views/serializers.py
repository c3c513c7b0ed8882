"""Order and payment bodies for the JSON API."""

from __future__ import annotations

from app.money import format_amount
from app.orders.models import Order
from app.orders.states import FINAL_ORDER_STATUSES
from app.payments.models import Payment


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def payment_dict(payment: Payment) -> dict:
    return {
        "paymentId": payment.id,
        "gateway": payment.gateway,
        "method": payment.method,
        "status": payment.status,
        "amount": format_amount(payment.amount, payment.currency),
        "currency": payment.currency,
        "gatewayTransactionId": payment.gateway_txn_id,
        "verified": payment.verified,
        "verifyAttempts": payment.verify_attempts,
        "nextVerifyAt": _iso(payment.next_verify_at),
        "createdAt": _iso(payment.created_at),
        "completedAt": _iso(payment.completed_at),
    }


def order_dict(order: Order) -> dict:
    return {
        "orderId": order.id,
        "publicId": order.public_id,
        "kind": order.kind,
        "status": order.status,
        "final": order.status in FINAL_ORDER_STATUSES,
        "needsRefund": order.needs_refund,
        "promotionPastLimit": order.promotion_past_limit,
        "currency": order.currency,
        "subtotal": format_amount(order.subtotal, order.currency),
        "discount": format_amount(order.discount, order.currency),
        "tax": format_amount(order.tax_total, order.currency),
        "pricesIncludeTax": order.prices_include_tax,
        "total": format_amount(order.total, order.currency),
        "expiresAt": _iso(order.expires_at),
        "paidAt": _iso(order.paid_at),
        "createdAt": _iso(order.created_at),
        "items": [
            {
                "title": i.title,
                "type": i.product_type,
                "productId": i.product_id,
                "ticketTypeId": i.ticket_type_id,
                "quantity": i.quantity,
                "unitPrice": format_amount(i.unit_price, order.currency),
                "lineTotal": format_amount(i.line_total, order.currency),
            }
            for i in order.items
        ],
        "payments": [payment_dict(p) for p in order.payments],
    }
