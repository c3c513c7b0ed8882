"""Seed 003's status label of a booklet order: one word for where it stands,
read from the order's payment status and its shipping status."""

from __future__ import annotations

from app.orders.shipping_states import ShippingStatus
from app.orders.states import OrderStatus

SEED_STEPS = ("NEW", "HOLD", "PROCESSING", "SHIPPED", "DELIVERED", "COMPLETED")

# Before payment (or after a refund or cancellation) the order status speaks...
_BY_ORDER_STATUS = {
    OrderStatus.PAYMENT_PENDING: "NEW",
    OrderStatus.ON_HOLD: "HOLD",
    OrderStatus.FAILED: "FAILED",
    OrderStatus.CANCELLED: "CANCELLED",
    OrderStatus.REFUNDED: "REFUNDED",
}
# ...once paid, the shipping status does (PROCESSING until it ships).
_BY_SHIPPING_STATUS = {
    ShippingStatus.SHIPPED: "SHIPPED",
    ShippingStatus.DELIVERED: "DELIVERED",
    ShippingStatus.COMPLETED: "COMPLETED",
}


def shipping_label(fulfilment_status: str | None) -> str:
    """The seed label a paid order has reached on its way to the customer."""
    return _BY_SHIPPING_STATUS.get(fulfilment_status or "", "PROCESSING")


def seed_status(order_status: str, fulfilment_status: str | None) -> str:
    return _BY_ORDER_STATUS.get(order_status) or shipping_label(fulfilment_status)
