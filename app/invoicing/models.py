"""Issued invoices and credit notes, and the counters that number them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import currency, intpk, money, utcnow
from app.extensions import db
from app.invoicing.states import DocumentStatus
from app.orders.models import Order


class InvoiceCounter(db.Model):
    """The last number used in one series (seller, kind, fiscal year).

    Numbers are taken with `UPDATE … SET last_number = last_number + 1
    RETURNING`: the row stays locked until the paying transaction ends, so
    concurrent payments queue on it and a rolled-back one gives its number
    back - no gaps, no duplicates."""

    __tablename__ = "invoice_counters"
    __table_args__ = (UniqueConstraint("seller", "kind", "fiscal_year"),)

    id: Mapped[intpk]
    seller: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    fiscal_year: Mapped[str] = mapped_column(String(10))
    last_number: Mapped[int] = mapped_column(default=0)


class Invoice(db.Model):
    """One issued document. `data` is the snapshot it was issued with (seller,
    buyer, lines, per-rate totals), so it reads the same forever."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("seller", "kind", "fiscal_year", "number"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    seller: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=DocumentStatus.ISSUED)
    fiscal_year: Mapped[str] = mapped_column(String(10))
    number: Mapped[int]
    display_number: Mapped[str] = mapped_column(String(40), index=True)
    # A credit note's invoice; a corrected invoice's predecessor.
    original_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), unique=True)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    currency: Mapped[currency]
    net: Mapped[money]
    tax: Mapped[money]
    total: Mapped[money]
    buyer_name: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    order: Mapped[Order] = relationship()
    original: Mapped[Invoice | None] = relationship(remote_side="Invoice.id")
