"""Faults injected at random while the load runs, each class a fixed share.

- worker_kill: SIGKILL one `worker.py` (and its work horse), restart it later
- redis_restart: SIGKILL the shop's Redis, start it again empty a few s later
- pg_cut: pg_terminate_backend on every shop connection to the soak database
- gateway_fail / gateway_hang: one gateway's server-to-server API answers 503
  or hangs for a while (the sandboxes' fault modes)

The schedule spreads `rounds` of every class evenly over the run (shuffled within
each round), so a 60 s soak still injects each class once and 300 s at least
three times.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections import Counter

from bench.data import connect
from bench.procs import _signal_group
from soak import gateways as gw
from soak.stack import SHOP_APP

CLASSES = ("worker_kill", "redis_restart", "pg_cut", "gateway_fail", "gateway_hang")
GATEWAYS = ("esewa", "komoju", "paysession")


class FaultInjector(threading.Thread):
    def __init__(self, stack, seconds: float, log):
        super().__init__(daemon=True)
        self.stack = stack
        self.seconds = seconds
        self.log = log
        self.count: Counter = Counter()
        self.errors: list[str] = []
        self.stop_flag = threading.Event()
        self.workers_lock = threading.Lock()  # the supervisor keeps off meanwhile
        rounds = max(1, int(seconds // 75) + 1)
        plan = []
        for _ in range(rounds):
            batch = list(CLASSES)
            random.shuffle(batch)
            plan += batch
        self.plan = plan

    def run(self) -> None:
        gap = self.seconds / (len(self.plan) + 1)
        started = time.monotonic()
        for i, fault in enumerate(self.plan):
            due = started + gap * (i + 1) + random.uniform(-gap / 4, gap / 4)
            if self.stop_flag.wait(max(0.0, due - time.monotonic())):
                return
            try:
                getattr(self, fault)(min(gap * 0.6, 8.0))
                self.count[fault] += 1
            except Exception as exc:  # noqa: BLE001 - reported, the soak goes on
                self.errors.append(f"{fault}: {exc!r}")
                self.log(f"  ! fault {fault} failed: {exc!r}")

    def worker_kill(self, outage: float) -> None:
        with self.workers_lock:
            n = random.randrange(len(self.stack.workers))
            proc = self.stack.workers[n]
            self.log(f"  fault: SIGKILL worker-{n} (pid {proc.pid})")
            _signal_group(proc.pid, signal.SIGKILL)
            proc.popen.wait(10)
            time.sleep(random.uniform(0.5, outage))
            self.stack.workers[n] = self.stack.start_worker(n)

    def redis_restart(self, outage: float) -> None:
        down = random.uniform(1.0, outage)
        self.log(f"  fault: shop Redis killed, back empty in {down:.1f} s")
        self.stack.shop_redis.kill()
        time.sleep(down)
        self.stack.shop_redis.start()

    def pg_cut(self, _outage: float) -> None:
        with connect(self.stack.s.db_url) as conn:
            cut = conn.execute(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = %s
                """,
                (SHOP_APP,),
            ).fetchone()[0]
        self.log(f"  fault: {cut} shop PostgreSQL connections cut")

    def gateway_fail(self, outage: float) -> None:
        self._gateway("fail", outage)

    def gateway_hang(self, outage: float) -> None:
        self._gateway("hang", outage)

    def _gateway(self, mode: str, outage: float) -> None:
        name = random.choice(GATEWAYS)
        length = random.uniform(2.0, outage)
        self.log(f"  fault: {name} status API {mode} for {length:.1f} s")
        gw.set_mode(self.stack.sandbox, name, mode)
        try:
            time.sleep(length)
        finally:
            gw.set_mode(self.stack.sandbox, name, "ok")
