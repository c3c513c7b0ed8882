"""Merchant notifications and their delivery log (seed 002's notify_url)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import created_at, intpk
from app.extensions import db
from app.rpc.states import NotificationStatus


class MerchantNotification(db.Model):
    """One webhook owed to a merchant: its body is fixed when the order reaches
    the state it reports, so every retry sends the same bytes (re-signed with a
    fresh timestamp)."""

    __tablename__ = "merchant_notifications"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    # One notification per (order, attempt, type): a replayed transition adds none.
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(20), default=NotificationStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]

    deliveries: Mapped[list[NotificationAttempt]] = relationship(
        back_populates="notification", order_by="NotificationAttempt.id"
    )


class NotificationAttempt(db.Model):
    """One POST to the merchant: when, what came back, how long it took."""

    __tablename__ = "merchant_notification_attempts"

    id: Mapped[intpk]
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("merchant_notifications.id"), index=True
    )
    attempt: Mapped[int]
    status_code: Mapped[int | None]
    error: Mapped[str] = mapped_column(String(300), default="")
    response_excerpt: Mapped[str] = mapped_column(String(500), default="")
    duration_ms: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_at]

    notification: Mapped[MerchantNotification] = relationship(
        back_populates="deliveries"
    )
