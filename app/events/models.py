"""Issued tickets: one per attendee, with a unique random code."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import created_at, intpk
from app.extensions import db


class Ticket(db.Model):
    __tablename__ = "tickets"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id"))
    ticket_type_id: Mapped[int] = mapped_column(ForeignKey("ticket_types.id"))
    attendee_name: Mapped[str] = mapped_column(String(120))
    attendee_email: Mapped[str] = mapped_column(String(254))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[created_at]
    # Set when the ticket was refunded: it no longer admits anyone.
    voided_at: Mapped[dt.datetime | None]
    # The first admission at the door (app.checkin): set once, by a conditional
    # UPDATE, so two gates scanning at the same moment cannot both admit.
    checked_in_at: Mapped[dt.datetime | None]
    checked_in_gate: Mapped[str | None] = mapped_column(String(64))


class WaitlistEntry(db.Model):
    """One buyer waiting for one sold-out ticket type (see app.events.waitlist)."""

    __tablename__ = "waitlist_entries"

    id: Mapped[intpk]
    ticket_type_id: Mapped[int] = mapped_column(
        ForeignKey("ticket_types.id"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    # The emailed link's token (hashed); the ticket it reserves is held until
    # offer_expires_at.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    offered_at: Mapped[dt.datetime | None]
    offer_expires_at: Mapped[dt.datetime | None]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    created_at: Mapped[created_at]
