"""A merchant notification (seed 002's webhook to `order_meta.notify_url`).

Pending until the merchant's endpoint answers 2xx (delivered), or until the
retry schedule runs out (exhausted: an admin may send it again).
"""

from __future__ import annotations

from enum import StrEnum

from app.lifecycle import Lifecycle


class NotificationStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    EXHAUSTED = "exhausted"


class NotificationType(StrEnum):
    """The payment-session gateway's own webhook types (gateways.md 3.7)."""

    SUCCESS = "PAYMENT_SUCCESS_WEBHOOK"
    FAILED = "PAYMENT_FAILED_WEBHOOK"


NOTIFICATION_LIFECYCLE: Lifecycle[NotificationStatus] = Lifecycle(
    "merchant notification",
    {
        "deliver": ({NotificationStatus.PENDING}, NotificationStatus.DELIVERED),
        "give_up": ({NotificationStatus.PENDING}, NotificationStatus.EXHAUSTED),
        "resend": ({NotificationStatus.EXHAUSTED}, NotificationStatus.PENDING),
    },
)
