"""Engine tuning that depends on the database in use."""

from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

_local = threading.local()


def use_deferred_sqlite_transactions(enabled: bool = True) -> None:
    """Let this thread's SQLite transactions start deferred (shared read lock).

    Tests read the database from the main thread while a live server and workers
    write from others; an IMMEDIATE read would hold the write lock and stall them.
    """
    _local.deferred = enabled


def configure_engine(engine: Engine) -> None:
    """Make SQLite behave like a real transactional database.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs; we take
    over: BEGIN IMMEDIATE takes the write lock at the start, so a read-then-write
    transaction cannot lose a race, and a busy timeout makes writers queue.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        deferred = getattr(_local, "deferred", False)
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def dialect_insert(engine: Engine, model):
    """An INSERT that supports ON CONFLICT on the database in use.

    Both PostgreSQL and SQLite (3.35+) speak `ON CONFLICT DO NOTHING RETURNING`,
    through their own dialect constructs.
    """
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    return insert(model)
