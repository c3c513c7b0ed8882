"""How many times each purchase of a digital book has been downloaded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import created_at, intpk
from app.extensions import db


class DownloadCounter(db.Model):
    """One row per (order, product): the purchase's download allowance."""

    __tablename__ = "download_counters"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id"),
        CheckConstraint("used >= 0 AND used <= max_downloads", name="used"),
    )

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    used: Mapped[int] = mapped_column(default=0)
    max_downloads: Mapped[int] = mapped_column(default=5)
    last_download_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]
