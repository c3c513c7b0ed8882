"""Orders and their items (prices are snapshots taken when the order is made)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import created_at, currency, intpk, money, updated_at
from app.extensions import db
from app.orders.states import FINAL_ORDER_STATUSES, OrderStatus

ORDER_KINDS = ("cart", "training", "event", "service", "booklet")


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_status_expires_at", "status", "expires_at"),)

    id: Mapped[intpk]
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.PAYMENT_PENDING)
    subtotal: Mapped[money]
    discount: Mapped[money]
    total: Mapped[money]
    currency: Mapped[currency]
    customer_name: Mapped[str] = mapped_column(String(120), default="")
    customer_email: Mapped[str] = mapped_column(String(254), default="")
    customer_phone: Mapped[str] = mapped_column(String(32), default="")
    return_url: Mapped[str | None] = mapped_column(String(500))
    notify_url: Mapped[str | None] = mapped_column(String(500))
    allowed_methods: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("promotions.id"))
    merchant_key_id: Mapped[int | None] = mapped_column(ForeignKey("merchant_keys.id"))
    merchant_order_id: Mapped[str | None] = mapped_column(String(45), unique=True)
    # Seed 002's customer_details.customer_id: the merchant's own customer id.
    merchant_customer_id: Mapped[str | None] = mapped_column(String(50))
    expires_at: Mapped[dt.datetime]
    # Unguessable token that opens the order without logging in (seed 003).
    order_key: Mapped[str] = mapped_column(String(64), unique=True)
    needs_refund: Mapped[bool] = mapped_column(default=False, index=True)
    # Paid with a promo code after the code's limits were reached (a late
    # capture): the discount was honoured; staff may want to know.
    promotion_past_limit: Mapped[bool] = mapped_column(
        default=False, server_default="0", index=True
    )
    refund_by: Mapped[dt.datetime | None]
    paid_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    # Physical goods (booklets): the shipping lifecycle after payment
    # (processing -> shipped -> delivered -> completed); None for digital orders.
    fulfilment_status: Mapped[str | None] = mapped_column(String(20), index=True)
    shipping_address: Mapped[dict[str, Any] | None]
    carrier: Mapped[str | None] = mapped_column(String(60))
    tracking_number: Mapped[str | None] = mapped_column(String(80))
    shipped_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    # The buyer's language and zone at checkout: emails about the order use them.
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Who issues the invoice (`app.tax.sellers`) and the tax computed once,
    # when the order was made: `total` is what the buyer pays, tax included.
    seller: Mapped[str] = mapped_column(
        String(40), default="shop", server_default="shop"
    )
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    prices_include_tax: Mapped[bool] = mapped_column(
        default=True, server_default=true()
    )
    # A business buyer's name and registration number for its invoice.
    buyer_company: Mapped[str] = mapped_column(
        String(200), default="", server_default=""
    )
    buyer_tax_number: Mapped[str] = mapped_column(
        String(20), default="", server_default=""
    )
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.id"
    )
    tax_rates: Mapped[list[OrderTaxRate]] = relationship(
        back_populates="order", order_by="OrderTaxRate.rate"
    )
    # `order.payments` (its attempts, oldest first) is declared by
    # `app.payments.models.Payment.order`: orders know nothing of payments.

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_ORDER_STATUSES


class OrderItem(db.Model):
    __tablename__ = "order_items"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    ticket_type_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_types.id"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("training_cohorts.id"))
    title: Mapped[str] = mapped_column(String(200))
    product_type: Mapped[str] = mapped_column(String(20))
    unit_price: Mapped[money]
    quantity: Mapped[int] = mapped_column(default=1)
    line_total: Mapped[money]
    attendees: Mapped[list[Any]] = mapped_column(default=list)
    # How many of `quantity` were refunded (or are being refunded): the rest
    # is what the buyer still has.
    refunded_quantity: Mapped[int] = mapped_column(default=0, server_default="0")

    # This line's share of the order's tax (basis points; the taxable value
    # and tax after its share of the discount).
    tax_rate: Mapped[int] = mapped_column(default=0, server_default="0")
    net_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="items")

    @property
    def kept_quantity(self) -> int:
        return self.quantity - self.refunded_quantity


class OrderTaxRate(db.Model):
    """The order's totals at one tax rate, as its invoice shows them."""

    __tablename__ = "order_tax_rates"
    __table_args__ = (UniqueConstraint("order_id", "rate"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    rate: Mapped[int]  # basis points
    net: Mapped[money]
    tax: Mapped[money]

    order: Mapped[Order] = relationship(back_populates="tax_rates")

    @property
    def gross(self) -> int:
        return self.net + self.tax
