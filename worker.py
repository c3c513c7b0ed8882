"""RQ worker with RQ's scheduler, every job inside an app context.

`python worker.py` listens on all of the app's queues. The app is built once in
the parent; each forked work horse drops the inherited database connections
before it runs a job (connections must not cross a fork).

A worker outlives Redis (`RidesOutRedisOutages`): a lost connection, while idle
or in the middle of a job, is waited out and the work loop starts again; and the
worker's own tick relays the outbox and books the maintenance job again, so an
empty Redis after a restart loses nothing the database still holds.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
import time

import redis
from rq import Worker
from rq.exceptions import StopRequested
from rq.worker.base import DequeueStrategy
from sqlalchemy.orm import configure_mappers

import nofork_worker
from app import create_app
from app.extensions import db
from app.jobs import QUEUE_NAMES, get_queue
from app.outbox.relay import worker_tick

log = logging.getLogger("worker")

_REDIS_DOWN = (redis.RedisError, OSError)


class RidesOutRedisOutages:
    """Mix into an RQ worker class (before it): survive Redis outages, own a tick.

    RQ retries a lost connection only while it waits for a job; anywhere else (a
    job finishing while Redis is down, the heartbeat after it, the suspension
    check, a Redis timeout) its work loop logs "found an unhandled exception,
    quitting" and returns. Here:

    - `work()` (not in burst mode) runs RQ's loop again after such an exit: it
      reaps a horse that was still running, waits for Redis (`ping`, back-off
      up to `tick_seconds`), marks the old registration dead and re-enters, so
      registration, pubsub and RQ's scheduler process start afresh. Only a stop
      request (SIGTERM/SIGINT) ends it. `teardown` and `unsubscribe` tolerate a
      dead Redis so the exit path itself cannot raise.
    - RQ's own reconnect back-off is capped at `tick_seconds` (RQ: 60 s), and an
      idle worker wakes at least every `tick_seconds` (`dequeue_timeout`).
    - The tick (`tick()`, from RQ's maintenance hook, every `tick_seconds`, also
      the first thing after a reconnect) restarts RQ's scheduler process if it
      died (it exits when Redis goes away), and runs `app.outbox.relay.worker_tick`:
      relay outbox events Redis does not hold and book `maintenance-tick` if it
      is missing. It is not a Redis job, so an empty Redis cannot lose it.

    It needs `flask_app` (the app the tick runs in). Nothing here forks or starts
    threads, so it fits a forking `Worker` and a non-forking `SimpleWorker` alike.
    """

    flask_app = None
    tick_seconds: float = 5.0
    _next_tick: float = 0.0
    _burst: bool = False

    @property
    def dequeue_timeout(self) -> int:
        return max(1, min(super().dequeue_timeout, int(self.tick_seconds)))

    @property
    def should_run_maintenance_tasks(self) -> bool:
        return self._tick_due() or super().should_run_maintenance_tasks

    def _tick_due(self) -> bool:
        return not self._burst and time.monotonic() >= self._next_tick

    def run_maintenance_tasks(self):
        if self._tick_due():
            self._next_tick = time.monotonic() + self.tick_seconds
            self.tick()
        if super().should_run_maintenance_tasks:
            super().run_maintenance_tasks()

    def tick(self) -> None:
        """Restart RQ's scheduler if it died, relay the outbox, restore the
        maintenance job. Never raises: a database or Redis outage waits for the
        next tick."""
        try:
            scheduler = self.scheduler
            if scheduler is not None and not (
                scheduler._process and scheduler._process.is_alive()
            ):
                scheduler.acquire_locks(auto_start=True)
        except _REDIS_DOWN as exc:
            log.warning("worker tick: scheduler not restarted: %s", exc)
        try:
            with self.flask_app.app_context():
                done = worker_tick()
            if done["relayed"] or done["maintenance_restored"]:
                log.info("worker tick: %s", done)
        except Exception:  # noqa: BLE001 - the next tick tries again
            log.exception("worker tick failed")

    def work(self, burst: bool = False, **kwargs) -> bool:
        self._burst = burst
        if burst or kwargs.get("max_jobs") or kwargs.get("max_idle_time"):
            return super().work(burst=burst, **kwargs)
        worked = False
        while not self._stopping():
            try:
                worked = super().work(burst=False, **kwargs) or worked
            except StopRequested:
                break
            except _REDIS_DOWN as exc:  # bootstrap found no Redis
                log.warning("worker: Redis unavailable: %s", exc)
            try:
                if not self._stopping():
                    self._recover()
            except StopRequested:  # SIGTERM while waiting for Redis
                break
            except _REDIS_DOWN as exc:  # the signal handler itself found no Redis
                log.warning("worker: Redis unavailable: %s", exc)
        return worked

    def _stopping(self) -> bool:
        return bool(self._stop_requested or self._shutdown_requested_date)

    def _recover(self) -> None:
        """After RQ's loop quit on an error: finish the horse, wait for Redis,
        and leave the worker ready for `work()` to run again."""
        if self.horse_pid:
            self.wait_for_horse()  # the job's own timeout bounds this
            self._horse_pid = 0
        wait_for_redis(self.connection, self.tick_seconds)
        with contextlib.suppress(*_REDIS_DOWN):
            self.register_death()  # so register_birth accepts our name again
        self._next_tick = 0.0  # relay what the outage left behind right away
        log.info("worker %s: Redis is back, working again", self.name)

    def teardown(self):
        if self.is_horse:
            return super().teardown()
        if self.scheduler:
            self.stop_scheduler()
        try:
            self.register_death()
        except _REDIS_DOWN as exc:
            log.warning("worker: death not registered: %s", exc)
        self.unsubscribe()

    def unsubscribe(self):
        try:
            super().unsubscribe()
        except _REDIS_DOWN:
            if self.pubsub_thread:
                self.pubsub_thread.stop()
            self.pubsub_thread = None


class AppWorker(RidesOutRedisOutages, Worker):
    """Runs each job inside the app context of the app built in `main`."""

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


def wait_for_redis(connection, longest_pause: float) -> None:
    """Return once Redis answers; a worker started during an outage waits."""
    delay = 0.5
    while True:
        try:
            connection.ping()
            return
        except _REDIS_DOWN as exc:
            log.warning("worker: waiting for Redis (%s)", exc)
            time.sleep(delay)
            delay = min(delay * 2, longest_pause)


# How the loop takes jobs. Round robin: after a job from one queue the next
# dequeue starts at the following queue, so a queue that is never empty (the
# payments queue during a ticket drop) cannot starve the others - receipts and
# tickets by mail keep going out while captures pour in. RQ's default order
# would serve `mail` only once `payments` and `default` were empty.
WORK_OPTIONS = {
    "logging_level": "INFO",
    "dequeue_strategy": DequeueStrategy.ROUND_ROBIN,
}


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app()
    AppWorker.flask_app = app
    burst = "--burst" in argv
    with app.app_context():
        queues = [get_queue(name) for name in QUEUE_NAMES]
        connection = app.extensions["redis"]
        warm_up(app)
        # RQ's maintenance (which finds jobs abandoned by a killed worker and
        # takes over a dead worker's scheduler lock) runs only between dequeues,
        # and an idle worker blocks for worker_ttl - 15 s: keep both short.
        # The maintenance job is booked by the worker's first tick.
        tick_seconds = app.config["WORKER_TICK_SECONDS"]
        wait_for_redis(connection, tick_seconds)  # RQ's Worker() talks to it
        worker_cls = nofork_worker.worker_class(app, AppWorker, RidesOutRedisOutages)
        worker_cls.flask_app = app
        worker = worker_cls(
            queues,
            connection=connection,
            maintenance_interval=app.config["WORKER_MAINTENANCE_SECONDS"],
            worker_ttl=app.config["WORKER_TTL_SECONDS"],
        )
        worker.tick_seconds = tick_seconds
        worker.max_connection_wait_time = float(worker.tick_seconds)
        worker.work(with_scheduler=True, burst=burst, **WORK_OPTIONS)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
