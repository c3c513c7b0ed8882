"""Conditional UPDATEs: the one way rows shared by concurrent requests change.

`UPDATE ... WHERE id = ? AND <still true>` lets the database decide a race: the
statement changes the row for exactly one caller, and that caller alone performs
the side effects. State transitions, cohort seats, ticket holds and booklet stock
all go through `guarded_update`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm.util import identity_key

from app.extensions import db


def guarded_update(
    model: type, pk: int, *conditions: ColumnElement[bool], **values: Any
) -> bool:
    """`UPDATE model SET values WHERE id = pk AND conditions`; True when it changed
    the row.

    The statement bypasses the ORM, so a copy of the row already loaded in this
    session is expired and re-reads the current values on its next use (whether
    or not this caller won).
    """
    result = db.session.execute(
        update(model)
        .where(model.id == pk, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    loaded = db.session.identity_map.get(identity_key(model, pk))
    if loaded is not None:
        db.session.expire(loaded)
    return result.rowcount == 1
