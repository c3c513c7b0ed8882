"""One row per email that must go out once, keyed by (order, transition)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import created_at, intpk
from app.extensions import db
from app.mail.states import EmailStatus


class EmailLog(db.Model):
    __tablename__ = "email_log"

    id: Mapped[intpk]
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default=EmailStatus.SENDING)
    sent_at: Mapped[dt.datetime | None]
    created_at: Mapped[created_at]
