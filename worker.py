"""RQ worker with RQ's scheduler, every job inside an app context.

`python worker.py` listens on all of the app's queues. The app is built once in
the parent; each forked work horse drops the inherited database connections
before it runs a job (connections must not cross a fork).
"""

from __future__ import annotations

import gc
import logging
import sys

from rq import Worker
from sqlalchemy.orm import configure_mappers

from app import create_app
from app.extensions import db
from app.jobs import QUEUE_NAMES, get_queue
from app.outbox.relay import schedule_maintenance


class AppWorker(Worker):
    """Runs each job inside the app context of the app built in `main`."""

    flask_app = None

    def perform_job(self, job, queue):
        with self.flask_app.app_context():
            return super().perform_job(job, queue)

    def main_work_horse(self, job, queue):
        with self.flask_app.app_context():
            db.engine.dispose(close=False)
        return super().main_work_horse(job, queue)


def warm_up(app) -> None:
    """Start-up work every forked horse would otherwise repeat for each job.

    Configure the mappers and compile the mail templates once in the parent (the
    topic handlers are imported with the app, by `app.composition`); then freeze
    the heap so the garbage collector of each horse leaves the inherited objects
    alone (a full collection in a fresh fork walks - and copies - the whole
    parent heap; `make bench` measured it at about half the CPU of an
    `order.payment_success` job).
    """
    configure_mappers()
    loader = app.jinja_env.loader
    for name in loader.list_templates() if loader else []:
        if name.startswith("mail/"):
            app.jinja_env.get_template(name)
    gc.collect()
    gc.freeze()


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app()
    AppWorker.flask_app = app
    burst = "--burst" in argv
    with app.app_context():
        queues = [get_queue(name) for name in QUEUE_NAMES]
        connection = app.extensions["redis"]
        if not burst:
            schedule_maintenance()
        warm_up(app)
        # RQ's maintenance (which finds jobs abandoned by a killed worker and
        # takes over a dead worker's scheduler lock) runs only between dequeues,
        # and an idle worker blocks for worker_ttl - 15 s: keep both short.
        worker = AppWorker(
            queues,
            connection=connection,
            maintenance_interval=app.config["WORKER_MAINTENANCE_SECONDS"],
            worker_ttl=app.config["WORKER_TTL_SECONDS"],
        )
        worker.work(with_scheduler=True, burst=burst, logging_level="INFO")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
