"""The audit log: who did what in the back office, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import created_at, intpk
from app.extensions import db


class AuditLog(db.Model):
    """Append-only; written in the same transaction as the change it records."""

    __tablename__ = "audit_log"

    id: Mapped[intpk]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # e.g. "create", "update", "delete", "outbox.redrive", "order.ship"
    action: Mapped[str] = mapped_column(String(60))
    # e.g. "Product#5"
    target: Mapped[str] = mapped_column(String(120), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[created_at]

    user: Mapped[User | None] = relationship()
