"""Admissions at the door, one row per gate that let a ticket in.

The ticket's own `checked_in_at` / `checked_in_gate` hold the admission that
counts (the earliest); these rows keep every admission, so two offline gates
that both let the same ticket in show up as a conflict for the organizer.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import created_at, intpk
from app.extensions import db


class CheckinScan(db.Model):
    __tablename__ = "checkin_scans"
    __table_args__ = (UniqueConstraint("ticket_id", "gate", "scanned_at"),)

    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    gate: Mapped[str] = mapped_column(String(64))
    scanned_at: Mapped[dt.datetime]
    source: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[created_at]
