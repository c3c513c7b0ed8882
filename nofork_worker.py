"""The non-forking worker class `worker.py` runs when `WORKER_CLASS=simple`.

Why: RQ's default worker forks a work horse per job, and each horse opens a new
PostgreSQL connection and compiles every SQL statement afresh (issue #19
measured 101 ms per `order.payment_success` in a horse, 25 ms without the fork).
This class runs every job in the worker's own long-lived process, so the
connection pool, SQLAlchemy's compiled statements and the imported modules stay
warm from job to job.

What the fork gave, kept without it:
- job timeouts: RQ's `UnixSignalDeathPenalty` (SIGALRM in the main thread, where
  the job runs) raises `JobTimeoutException` inside a job past its timeout;
- a killed worker's jobs: while a job runs, a heartbeat thread keeps its entry
  in the started-job registry alive for `WORKER_JOB_HEARTBEAT_SECONDS` × 3 only.
  When the process dies (SIGKILL, OOM), the entry expires within that time and
  any other worker's maintenance finds the job abandoned and retries it (RQ's
  `StartedJobRegistry.cleanup`). A forking worker's parent heartbeats its horse
  the same way; a plain `SimpleWorker` would leave the job hidden for its whole
  timeout + 60 s.

What is lost: a job that corrupts the process (a C extension crash) takes the
worker with it, and the supervisor (systemd, the Procfile runner) restarts it.
"""

from __future__ import annotations

import threading

from rq import SimpleWorker


class AppSimpleWorker(SimpleWorker):
    """Runs each job inside the app context of the app built by `worker.py`."""

    flask_app = None
    heartbeat_seconds = 10

    def get_heartbeat_ttl(self, job) -> int:
        return self.heartbeat_seconds * 3

    def perform_job(self, job, queue):
        stop = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(job, stop), name="job-heartbeat", daemon=True
        )
        beat.start()
        try:
            with self.flask_app.app_context():
                return super().perform_job(job, queue)
        finally:
            stop.set()
            beat.join(timeout=5)

    def _beat(self, job, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat_seconds):
            try:
                self.maintain_heartbeats(job)
            except Exception:  # noqa: BLE001 - a missed beat is retried next time
                self.log.warning("heartbeat for job %s failed", job.id, exc_info=True)


def worker_class(app, forking_class: type, mixin: type) -> type:
    """The RQ worker class `worker.py` runs: `WORKER_CLASS` = `simple` (default:
    this module's class, with `worker.py`'s Redis-outage `mixin` in front) or
    `fork` (`forking_class`, RQ's horse per job)."""
    if app.config.get("WORKER_CLASS", "simple") == "fork":
        return forking_class
    return type(
        "AppSimpleWorker",
        (mixin, AppSimpleWorker),
        {"heartbeat_seconds": app.config["WORKER_JOB_HEARTBEAT_SECONDS"]},
    )
