"""What the storefront sells: products, training cohorts and sessions, events."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import created_at, currency, intpk, money
from app.extensions import db

PRODUCT_TYPES = ("course", "digital_book", "training", "booklet")
CART_TYPES = ("course", "digital_book")


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("stock IS NULL OR stock >= 0", name="stock"),)

    id: Mapped[intpk]
    type: Mapped[str] = mapped_column(String(20), index=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[money]
    currency: Mapped[currency]
    active: Mapped[bool] = mapped_column(default=True)
    # Days of access after purchase; None means lifetime access.
    validity_days: Mapped[int | None]
    # Printed booklets: copies left (None = not counted). Taken when paid.
    stock: Mapped[int | None]
    # Digital books: stored file name under instance/books/ (never public).
    file_path: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[created_at]

    cohorts: Mapped[list[TrainingCohort]] = relationship(
        back_populates="product", order_by="TrainingCohort.starts_on"
    )

    @property
    def cart_eligible(self) -> bool:
        return self.type in CART_TYPES


class TrainingCohort(db.Model):
    __tablename__ = "training_cohorts"
    __table_args__ = (
        CheckConstraint(
            "seats_taken >= 0 AND seats_held >= 0 "
            "AND seats_taken + seats_held <= capacity",
            name="seats",
        ),
    )

    id: Mapped[intpk]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int]
    seats_taken: Mapped[int] = mapped_column(default=0)
    # Seats held by pending enrollments until they are paid or cancelled.
    seats_held: Mapped[int] = mapped_column(default=0)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    # IANA zone where the cohort meets; its sessions are shown in this zone.
    timezone: Mapped[str] = mapped_column(
        String(64), default="UTC", server_default="UTC"
    )

    product: Mapped[Product] = relationship(back_populates="cohorts")
    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="cohort", order_by="TrainingSession.starts_at"
    )

    @property
    def seats_left(self) -> int:
        return self.capacity - self.seats_taken - self.seats_held


class TrainingSession(db.Model):
    __tablename__ = "training_sessions"

    id: Mapped[intpk]
    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("training_cohorts.id"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime]
    content: Mapped[str] = mapped_column(Text, default="")

    cohort: Mapped[TrainingCohort] = relationship(back_populates="sessions")


class Event(db.Model):
    __tablename__ = "events"

    id: Mapped[intpk]
    # Who created the event; the organization owns it (access goes by membership).
    organizer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    # IANA zone of the venue (e.g. Asia/Tokyo); the event's times are shown in it.
    timezone: Mapped[str] = mapped_column(
        String(64), default="UTC", server_default="UTC"
    )
    currency: Mapped[currency]
    # Published: listed and on sale (an organizer's new event starts unpublished).
    active: Mapped[bool] = mapped_column(default=True)
    # The organizer paused sales: the page stays up, checkout answers 409.
    sales_paused: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Set when the organizer cancelled the event (its paid orders are refunded).
    cancelled_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]
    # Buyers may correct attendee names until then (UTC); None = until it starts.
    attendee_edit_until: Mapped[dt.datetime | None]

    ticket_types: Mapped[list[TicketType]] = relationship(
        back_populates="event", order_by="TicketType.id"
    )


class TicketType(db.Model):
    """Capacity is counted one way: sold + reserved (unexpired holds) <= total."""

    __tablename__ = "ticket_types"
    __table_args__ = (
        CheckConstraint(
            "quantity_sold >= 0 AND reserved >= 0 "
            "AND quantity_sold + reserved <= quantity_total",
            name="capacity",
        ),
    )

    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    price: Mapped[money]
    quantity_total: Mapped[int]
    quantity_sold: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    # Sales window (naive UTC); None = open since publication / until the end.
    sales_start_at: Mapped[dt.datetime | None]
    sales_end_at: Mapped[dt.datetime | None]
    # At most this many per order (None: the shop's default, MAX_PER_TYPE).
    max_per_order: Mapped[int | None]
    # Hidden types are not listed; the unlock code shows them on the event page.
    hidden: Mapped[bool] = mapped_column(default=False, server_default="0")
    unlock_code: Mapped[str | None] = mapped_column(String(40))

    event: Mapped[Event] = relationship(back_populates="ticket_types")

    @property
    def seats_left(self) -> int:
        return self.quantity_total - self.quantity_sold - self.reserved
