"""Reference for figure 5 only: the app's jobs in RQ's non-forking SimpleWorker.

Same queues, same app context and the same start-up warm-up as `worker.py`, but
every job runs in this one process, so SQLAlchemy's compiled statements, the
database connection pool and imported modules stay warm from job to job. This is
not how production runs jobs (`worker.py` forks a work horse per job, which
isolates crashes and lets a stuck job be killed); it measures what the fork costs.

    python -m bench.simple_worker      # burst: run what is queued, then exit
"""

from __future__ import annotations

import logging
import sys

from rq import SimpleWorker

import worker
from app import create_app
from app.jobs import QUEUE_NAMES, get_queue


class AppSimpleWorker(SimpleWorker):
    flask_app = None

    def perform_job(self, job, queue):
        with self.flask_app.app_context():
            return super().perform_job(job, queue)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app()
    AppSimpleWorker.flask_app = app
    with app.app_context():
        queues = [get_queue(name) for name in QUEUE_NAMES]
        worker.warm_up(app)
        AppSimpleWorker(queues, connection=app.extensions["redis"]).work(
            burst=True, logging_level="INFO"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
