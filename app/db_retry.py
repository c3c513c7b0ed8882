"""Run a transaction again, once, when the database gave up on it for a race.

PostgreSQL aborts one side of a deadlock (SQLSTATE 40P01) and, at SERIALIZABLE,
a transaction that cannot be ordered (40001). Neither is the caller's fault and a
second run usually succeeds, so the edges - every view (`app.__init__`) and every
job (`app.jobs.in_app_context`) - roll back and run the work once more before
answering 503. The lock order of docs/architecture.md keeps deadlocks rare; this
is the backstop. Services stay unaware: they only flush, so a second run starts
from a clean session.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError

from app.extensions import db

log = logging.getLogger(__name__)

# deadlock_detected, serialization_failure
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and sqlstate(exc) in RETRYABLE_SQLSTATES


def retry_once(func: Callable) -> Callable:
    """Call `func`; on a deadlock or serialization failure roll back and call it
    once more (a second failure propagates: the error handler answers 503)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DBAPIError as exc:
            if not is_retryable(exc):
                raise
            db.session.rollback()
            log.warning(
                "%s: %s, running the transaction again",
                func.__qualname__,
                sqlstate(exc),
            )
            return func(*args, **kwargs)

    wrapper.retries_once = True
    return wrapper
