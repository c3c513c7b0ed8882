"""What a user may open: one access row per user and product."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Product
from app.db import created_at, intpk, updated_at
from app.extensions import db


class ProductAccess(db.Model):
    __tablename__ = "product_access"
    __table_args__ = (UniqueConstraint("user_id", "product_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    access_type: Mapped[str] = mapped_column(default="lifetime")
    valid_until: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    product: Mapped[Product] = relationship()
