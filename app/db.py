"""Declarative base, constraint naming and column aliases shared by every model.

Times are stored as naive UTC (`utcnow()`), the same on SQLite and PostgreSQL, and
rendered with an explicit "UTC" label. Money is an integer in the minor unit.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Current time as naive UTC, the storage convention of this app."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            dict[str, Any]: JSON,
            list[Any]: JSON,
            dt.datetime: DateTime(),
        },
    )


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
money = Annotated[int, mapped_column(BigInteger, default=0, nullable=False)]
currency = Annotated[str, mapped_column(String(3), nullable=False)]
created_at = Annotated[dt.datetime, mapped_column(default=utcnow, nullable=False)]
updated_at = Annotated[
    dt.datetime, mapped_column(default=utcnow, onupdate=utcnow, nullable=False)
]
