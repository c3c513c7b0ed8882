"""Payment attempts, the gateway message log, and configurable payment methods."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.db import created_at, currency, intpk, money, updated_at
from app.extensions import db
from app.orders.models import Order
from app.payments.receipt_states import ReceiptStatus
from app.payments.refund_states import RefundStatus
from app.payments.states import PaymentStatus


class Payment(db.Model):
    """One attempt to pay an order (seed 003's bill, seed 002's payment)."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("gateway", "gateway_txn_id"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    gateway: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(30))
    amount: Mapped[money]
    currency: Mapped[currency]
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.CREATED)
    gateway_txn_id: Mapped[str | None] = mapped_column(String(80))
    gateway_reference: Mapped[str | None] = mapped_column(String(120))
    next_step: Mapped[str | None] = mapped_column(String(500))
    initiation_type: Mapped[str] = mapped_column(String(20), default="redirect")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error_details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str] = mapped_column(String(300), default="")
    auth_action: Mapped[str | None] = mapped_column(String(20))
    auth_status: Mapped[str | None] = mapped_column(String(20))
    captured_amount: Mapped[int | None]
    # Refunds: `refund_reserved` counts every refund not failed (open ones
    # included), so two refunds can never together exceed what was captured;
    # `amount_refunded` counts only the money confirmed given back.
    refund_reserved: Mapped[money] = mapped_column(server_default="0")
    amount_refunded: Mapped[money] = mapped_column(server_default="0")
    approve_by: Mapped[dt.datetime | None]
    verified: Mapped[bool] = mapped_column(default=False)
    verify_attempts: Mapped[int] = mapped_column(default=0)
    next_verify_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    # Declared here, so the orders package never imports payments: this also
    # gives every Order its `payments` list (oldest attempt first).
    order: Mapped[Order] = relationship(
        backref=backref("payments", order_by="Payment.id")
    )
    events: Mapped[list[PaymentEvent]] = relationship(
        back_populates="payment", order_by="PaymentEvent.id"
    )


class PaymentEvent(db.Model):
    """Append-only log of every message from or to a gateway, stored before use."""

    __tablename__ = "payment_events"
    __table_args__ = (UniqueConstraint("gateway", "event_id"),)

    id: Mapped[intpk]
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id"), index=True
    )
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    gateway: Mapped[str] = mapped_column(String(20))
    # redirect | webhook | status_check | outbound | note
    kind: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str | None] = mapped_column(String(120))
    signature_valid: Mapped[bool | None]
    outcome: Mapped[str] = mapped_column(String(40), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]

    payment: Mapped[Payment | None] = relationship(back_populates="events")


class PaymentMethod(db.Model):
    """A way to pay (seed 003): backend, auto-approval, JSON settings, active flag."""

    __tablename__ = "payment_methods"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    backend: Mapped[str] = mapped_column(String(20))
    auto_approve: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    description: Mapped[str] = mapped_column(Text, default="")


class Refund(db.Model):
    """Money given back for (part of) a captured payment: one row per refund.

    `key` makes a request idempotent: pressing the same button twice, or a job
    run twice, finds the refund it already made. `gateway_key` is sent to the
    gateway as its idempotency key, so even a retried call refunds once there.
    """

    __tablename__ = "refunds"
    __table_args__ = (Index("ix_refunds_status_claimed_at", "status", "claimed_at"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    gateway_key: Mapped[str] = mapped_column(String(40), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=RefundStatus.REQUESTED)
    amount: Mapped[money]
    currency: Mapped[currency]
    # [{"item_id": OrderItem.id, "quantity": n}]: the goods this refund takes
    # back; empty for a refund of an amount (a price adjustment).
    lines: Mapped[list[Any]] = mapped_column(default=list)
    reason: Mapped[str] = mapped_column(String(300), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The gateway's (or the merchant portal's, or the bank's) id of the refund.
    reference: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str] = mapped_column(String(300), default="")
    claimed_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    order: Mapped[Order] = relationship(
        backref=backref("refunds", order_by="Refund.id")
    )
    payment: Mapped[Payment] = relationship(
        backref=backref("refunds", order_by="Refund.id")
    )


class BankReceipt(db.Model):
    """Money that arrived by bank transfer, matched to a transfer reference."""

    __tablename__ = "bank_receipts"

    id: Mapped[intpk]
    # One row per statement line (or per staff confirmation form): importing
    # the same statement twice adds nothing.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    reference: Mapped[str] = mapped_column(String(200))  # as the bank printed it
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id"), index=True
    )
    amount: Mapped[money]
    currency: Mapped[currency]
    received_on: Mapped[dt.date]
    source: Mapped[str] = mapped_column(String(20))  # staff | statement
    status: Mapped[str] = mapped_column(String(20), index=True)
    problem: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(String(500), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]

    payment: Mapped[Payment | None] = relationship()

    @property
    def waiting(self) -> bool:
        return self.status == ReceiptStatus.REVIEW
