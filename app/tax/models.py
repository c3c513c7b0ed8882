"""One tax configuration per seller (the shop, each organization)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import intpk, updated_at
from app.extensions import db


class TaxConfig(db.Model):
    """How one seller charges tax and numbers its invoices.

    `seller` is a seller key (`app.tax.sellers`): "shop", "organization:<id>".
    No row, or `registered` False, means the seller charges no tax (the prices
    are what is paid, eSewa's `tax_amount` stays "0.00")."""

    __tablename__ = "tax_configs"

    id: Mapped[intpk]
    seller: Mapped[str] = mapped_column(String(40), unique=True)
    country: Mapped[str] = mapped_column(String(2), default="NP")
    registered: Mapped[bool] = mapped_column(default=False)
    legal_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    registration_number: Mapped[str] = mapped_column(String(20), default="")
    prices_include_tax: Mapped[bool] = mapped_column(default=True)
    # Basis points (1300 = 13 %): the rate of every kind not named in `rates`.
    standard_rate: Mapped[int] = mapped_column(default=0)
    # Per product kind ("course", "ticket", ...): basis points.
    rates: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rounding: Mapped[str] = mapped_column(String(10), default="half_up")
    # Japan: the month the fiscal year starts (1 = calendar year). Nepal's
    # fiscal year always starts on Shrawan 1 and ignores it.
    fiscal_year_start_month: Mapped[int] = mapped_column(default=1)
    invoice_prefix: Mapped[str] = mapped_column(String(12), default="INV")
    updated_at: Mapped[updated_at]

    def rate_for(self, product_type: str) -> int:
        if not self.registered:
            return 0
        return int((self.rates or {}).get(product_type, self.standard_rate))
