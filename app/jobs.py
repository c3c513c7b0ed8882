"""RQ plumbing every job shares: the queues and the app-context job wrapper.

Jobs are enqueued with ids, run inside the app built by `worker.py` (one per
worker process), and commit once at the end. What runs on the queues is the
outbox's business (`app.outbox.jobs`) and the sandbox's; this module knows
neither.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import redis
from flask import current_app, has_app_context
from rq import Queue

from app.db_retry import retry_once
from app.extensions import db

# Queues are named by purpose; `worker.py` listens on all of them.
QUEUE_NAMES = ("payments", "default", "mail", "maintenance", "sandbox")


def in_app_context(func: Callable) -> Callable:
    """Run a job inside the current app context and commit once at the end (or
    roll back); a deadlock or serialization failure runs it once more.
    `worker.py` pushes the context around every job it performs."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if not has_app_context():
            raise RuntimeError(
                f"{func.__qualname__} needs the app: run jobs with worker.py"
            )

        def run():
            result = func(*args, **kwargs)
            db.session.commit()
            return result

        try:
            return retry_once(run)()  # once more after a deadlock (app.db_retry)
        except BaseException:
            db.session.rollback()
            raise

    return wrapper


def redis_connection() -> redis.Redis:
    return current_app.extensions["redis"]


def get_queue(name: str = "default") -> Queue:
    return Queue(
        name,
        connection=redis_connection(),
        is_async=current_app.config["RQ_ASYNC"],
    )
