"""Training enrollments: at most one active (pending or enrolled) per user/product."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Product, TrainingCohort, TrainingSession
from app.db import created_at, intpk, updated_at
from app.extensions import db
from app.training.states import ACTIVE_ENROLLMENT_STATUSES, EnrollmentStatus

# The partial unique index's predicate: "status IN ('pending', 'enrolled')".
ACTIVE_ENROLLMENT = "status IN ({})".format(
    ", ".join(f"'{status}'" for status in ACTIVE_ENROLLMENT_STATUSES)
)


class Enrollment(db.Model):
    __tablename__ = "enrollments"
    __table_args__ = (
        Index(
            "uq_enrollments_active_user_product",
            "user_id",
            "product_id",
            unique=True,
            sqlite_where=text(ACTIVE_ENROLLMENT),
            postgresql_where=text(ACTIVE_ENROLLMENT),
        ),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("training_cohorts.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id"))
    status: Mapped[str] = mapped_column(String(16), default=EnrollmentStatus.PENDING)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    form_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    access_type: Mapped[str | None] = mapped_column(String(16))
    access_valid_until: Mapped[dt.datetime | None]
    # True while this enrollment holds one of the cohort's seats_held.
    holds_seat: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    product: Mapped[Product] = relationship()
    cohort: Mapped[TrainingCohort] = relationship()
    session: Mapped[TrainingSession | None] = relationship()
