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
