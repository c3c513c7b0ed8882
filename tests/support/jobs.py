"""Run RQ jobs in-process with a SimpleWorker against the test's real Redis."""

from __future__ import annotations

import datetime as dt

from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry

from app.jobs import QUEUE_NAMES


class JobRunner:
    def __init__(self, app, connection):
        self.app = app
        self.connection = connection

    def queues(self) -> list[Queue]:
        return [Queue(name, connection=self.connection) for name in QUEUE_NAMES]

    def _fresh_session(self) -> None:
        # End the test's own read transaction so jobs and later reads see the
        # latest committed data (SQLite keeps a snapshot per transaction).
        from app.extensions import db

        db.session.rollback()

    def run(self, rounds: int = 5) -> None:
        """Drain the queues (jobs may enqueue more jobs, hence a few rounds)."""
        self._fresh_session()
        for _ in range(rounds):
            queues = self.queues()
            if not any(q.count for q in queues):
                break
            SimpleWorker(queues, connection=self.connection).work(
                burst=True, with_scheduler=False
            )
        self._fresh_session()

    def scheduled(self, queue: str = "payments") -> list[str]:
        return ScheduledJobRegistry(queue, connection=self.connection).get_job_ids()

    def run_scheduled(self, rounds: int = 5) -> None:
        """Treat every scheduled job as due now, then drain (skips the waiting)."""
        from sqlalchemy import update

        from app.db import utcnow
        from app.extensions import db
        from app.outbox.models import OutboxEvent

        self._fresh_session()
        for _ in range(rounds):
            db.session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.status == "pending")
                .values(available_at=utcnow())
            )
            db.session.commit()
            moved = 0
            past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            for q in self.queues():
                registry = ScheduledJobRegistry(q.name, connection=self.connection)
                for job_id in registry.get_job_ids():
                    job = q.fetch_job(job_id)
                    if job is None:
                        registry.remove(job_id)
                        continue
                    registry.schedule(job, past)
                    moved += 1
            if moved:
                SimpleWorker(self.queues(), connection=self.connection).work(
                    burst=True, with_scheduler=True
                )
            self.run()
            if not moved:
                break
