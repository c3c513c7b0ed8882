"""The shipping lifecycle of physical goods (printed booklets).

Seed 003's PROCESSING -> SHIPPED -> DELIVERED -> COMPLETED, kept apart from the
order's payment states: it starts only once the order is paid (stock taken) and
is applied by `app.orders.transitions.shipping_transition`, on paid orders only.
`Order.fulfilment_status` is None for digital orders and before payment.
"""

from __future__ import annotations

from enum import StrEnum

from app.lifecycle import IllegalTransition, Lifecycle


class ShippingStatus(StrEnum):
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


FULFILMENT_STATUSES = tuple(ShippingStatus)

# How far along the way each status is (0: not started).
SHIPPING_PROGRESS = {
    ShippingStatus.PROCESSING: 1,
    ShippingStatus.SHIPPED: 2,
    ShippingStatus.DELIVERED: 3,
    ShippingStatus.COMPLETED: 4,
}

# Paid and on its way: staff still have a step to take.
OPEN_SHIPPING_STATUSES = frozenset(
    {ShippingStatus.PROCESSING, ShippingStatus.SHIPPED, ShippingStatus.DELIVERED}
)

# Still in the warehouse: an admin may refund it and put the stock back.
UNSHIPPED_STATUSES = frozenset({None, ShippingStatus.PROCESSING})

SHIPPING_LIFECYCLE: Lifecycle[ShippingStatus] = Lifecycle(
    "shipment",
    {
        # paid and the stock taken
        "start": ({None}, ShippingStatus.PROCESSING),
        "ship": ({ShippingStatus.PROCESSING}, ShippingStatus.SHIPPED),
        "deliver": ({ShippingStatus.SHIPPED}, ShippingStatus.DELIVERED),
        "complete": ({ShippingStatus.DELIVERED}, ShippingStatus.COMPLETED),
        # refunded before it left the warehouse (the stock goes back)
        "cancel": ({ShippingStatus.PROCESSING}, ShippingStatus.CANCELLED),
    },
)

# The timestamp column each move stamps.
SHIPPING_STAMPS = {
    ShippingStatus.SHIPPED: "shipped_at",
    ShippingStatus.DELIVERED: "delivered_at",
    ShippingStatus.COMPLETED: "completed_at",
}


def next_fulfilment_status(current: str | None, event: str) -> ShippingStatus:
    return SHIPPING_LIFECYCLE.next(current, event)


def is_unshipped(status: str | None) -> bool:
    return status in UNSHIPPED_STATUSES


__all__ = [
    "FULFILMENT_STATUSES",
    "IllegalTransition",
    "OPEN_SHIPPING_STATUSES",
    "SHIPPING_LIFECYCLE",
    "SHIPPING_PROGRESS",
    "SHIPPING_STAMPS",
    "ShippingStatus",
    "UNSHIPPED_STATUSES",
    "is_unshipped",
    "next_fulfilment_status",
]
