"""Gapless numbers: one counter row per (seller, kind, fiscal year)."""

from __future__ import annotations

from sqlalchemy import update

from app.db_setup import dialect_insert
from app.extensions import db
from app.invoicing.models import InvoiceCounter


def next_number(seller: str, kind: str, fiscal_year: str) -> int:
    """Take the next number of a series inside the caller's transaction.

    The UPDATE holds the counter's row lock until commit: a second payer waits
    and then reads the committed value, so numbers are consecutive and unique;
    a rollback returns the number with everything else."""
    key = {"seller": seller, "kind": kind, "fiscal_year": fiscal_year}
    insert = dialect_insert(db.session.get_bind(), InvoiceCounter)
    db.session.execute(
        insert.values(**key, last_number=0).on_conflict_do_nothing(
            index_elements=list(key)
        )
    )
    return db.session.execute(
        update(InvoiceCounter)
        .where(*(getattr(InvoiceCounter, k) == v for k, v in key.items()))
        .values(last_number=InvoiceCounter.last_number + 1)
        .returning(InvoiceCounter.last_number)
    ).scalar_one()
