"""Promo codes and their recorded uses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import created_at, intpk
from app.extensions import db


class Promotion(db.Model):
    __tablename__ = "promotions"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # percent | fixed
    # Percent (0-100) or a fixed amount in the minor unit of `currency`.
    value: Mapped[int]
    currency: Mapped[str | None] = mapped_column(String(3))
    scope: Mapped[str] = mapped_column(String(16), default="all")  # all|types|products
    product_types: Mapped[list[Any]] = mapped_column(default=list)
    product_ids: Mapped[list[Any]] = mapped_column(default=list)
    starts_at: Mapped[dt.datetime | None]
    ends_at: Mapped[dt.datetime | None]
    max_uses: Mapped[int | None]
    per_user_limit: Mapped[int | None]
    uses_count: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # An organizer's promotion for one event's tickets; NULL: a shop promotion
    # (carts, trainings). Neither is accepted at the other's checkout.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    created_at: Mapped[created_at]


class PromotionUsage(db.Model):
    """Written on payment success only, once per order (unique order_id)."""

    __tablename__ = "promotion_usages"

    id: Mapped[intpk]
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    discount: Mapped[int]
    created_at: Mapped[created_at]
