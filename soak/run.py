"""`make soak`: start the stack, drive a mixed load while injecting faults, let
the system settle, audit the ledger, write docs/soak.md; non-zero on any loss,
double or stuck row.

Settings (environment): SOAK_SECONDS (300), SOAK_SETTLE_SECONDS (420),
SOAK_CLIENTS (2 concurrent customers), SOAK_PAUSE (5 s), SOAK_DATABASE_URL (a
database the soak drops and re-creates), SOAK_PORT (5300: shop; +1 gateways),
SOAK_REDIS_PORT (6410: shop's Redis, killed and restarted; +1 gateways'),
SOAK_SEED.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import ROOT
from soak import audit, fixtures, report
from soak import gateways as gw
from soak.customers import Shop, Stats, run_one
from soak.faults import FaultInjector
from soak.refunds import Organizer
from soak.stack import Stack
from soak.supervisor import Supervisor

RESULTS = ROOT / "soak" / "results"
T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


@dataclass
class Settings:
    seconds: int = field(
        default_factory=lambda: int(os.environ.get("SOAK_SECONDS") or 300)
    )
    settle: int = field(
        default_factory=lambda: int(os.environ.get("SOAK_SETTLE_SECONDS") or 420)
    )
    clients: int = field(
        default_factory=lambda: int(os.environ.get("SOAK_CLIENTS") or 2)
    )
    db_url: str = field(
        default_factory=lambda: (
            os.environ.get("SOAK_DATABASE_URL")
            or "postgresql+psycopg://postgres@127.0.0.1:5432/test_soak"
        )
    )
    port: int = field(default_factory=lambda: int(os.environ.get("SOAK_PORT") or 5300))
    redis_port: int = field(
        default_factory=lambda: int(os.environ.get("SOAK_REDIS_PORT") or 6410)
    )
    seed: int = field(
        default_factory=lambda: int(os.environ.get("SOAK_SEED") or time.time())
    )
    # Seconds a customer waits between operations (half to all of it): a pace
    # the two forking workers keep up with on a busy 2-core machine.
    pause: float = field(
        default_factory=lambda: float(os.environ.get("SOAK_PAUSE") or 5)
    )
    hang_seconds: float = 5.0


def drive(stack: Stack, s: Settings, fx: dict, stats: Stats, injector) -> None:
    """The load and the faults for `s.seconds`."""
    shop = Shop(stack, stats, fx["tokens"], fx)
    organizer = Organizer(shop, s.db_url)
    deadline = time.monotonic() + s.seconds

    def customer() -> None:
        while time.monotonic() < deadline:
            run_one(shop)
            time.sleep(random.uniform(s.pause / 2, s.pause))

    def refunder() -> None:
        while time.monotonic() < deadline:
            time.sleep(random.uniform(4, 8))
            organizer.refund_one()

    threads = [threading.Thread(target=customer, daemon=True) for _ in range(s.clients)]
    threads.append(threading.Thread(target=refunder, daemon=True))
    for t in threads:
        t.start()
    injector.start()
    next_note = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(1)
        if time.monotonic() >= next_note:
            next_note += 30
            done = sum(n for (_f, o), n in stats.ops.items() if o == "ok")
            log(f"  {done} operations done, faults {dict(injector.count)}")
    injector.stop_flag.set()
    injector.join(60)
    for t in threads:
        t.join(60)


def recover(stack: Stack) -> None:
    """Gateway modes back to normal (each fault resets its own; belt and braces)."""
    for name in ("esewa", "komoju", "paysession"):
        gw.set_mode(stack.sandbox, name, "ok")


def settle(stack: Stack, s: Settings, fx: dict) -> tuple[list, float]:
    """Audit every few seconds until it passes or `s.settle` runs out."""
    started = time.monotonic()
    while True:
        rows = audit.run(stack, fx)
        waited = time.monotonic() - started
        if audit.passed(rows) or waited >= s.settle:
            return rows, waited
        time.sleep(5)


def main() -> int:
    s = Settings()
    random.seed(s.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for old in sorted(RESULTS.glob("soak-*"), key=lambda p: p.stat().st_mtime)[:-3]:
        shutil.rmtree(old, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix="soak-", dir=RESULTS))
    log(f"logs: {tmp.relative_to(ROOT)}; {s.seconds} s of load, seed {s.seed}")
    stack = Stack(s, tmp, log)
    stats = Stats()
    started_at = dt.datetime.now(dt.UTC)
    try:
        os.environ.update(stack.shop_env)
        how = stack.prepare_database()
        from app import create_app

        fx = fixtures.build(
            create_app({"SQLALCHEMY_DATABASE_URI": s.db_url}), s.db_url, 5000
        )
        log("starting: shop Redis, gateway Redis, gateways, gunicorn, two workers")
        stack.start()
        log(f"load: {s.clients} customers, the organizer, faults at random")
        injector = FaultInjector(stack, s.seconds, log)
        supervisor = Supervisor(stack, injector, log)
        supervisor.start()
        drive(stack, s, fx, stats, injector)
        log(f"load done; faults {dict(injector.count)}; recovering, then settling")
        for (what, status, code), n in stats.reasons.most_common(15):
            log(f"  not ok: {what} {status} {code} x{n}")
        recover(stack)
        rows, waited = settle(stack, s, fx)
        supervisor.stop_flag.set()
        rows += audit.logs(stack, stats)
        rows.append(
            audit.Row("stuck", "workers that exited by themselves", 0, supervisor.exits)
        )
        result = report.Result(
            settings=s,
            schema=how,
            started_at=started_at,
            ops=stats.ops,
            faults=injector.count,
            fault_errors=injector.errors,
            rows=rows,
            settle_seconds=waited,
            logs=str(tmp.relative_to(ROOT)),
        )
        for row in rows:
            if row.detail and not row.ok:
                log(f"  {row.name}: {row.detail}")
        text = report.render(result)
        print(text, flush=True)
        report.write(result, text, ROOT / "docs" / "soak.md")
        ok = audit.passed(rows) and report.enough_faults(result)
        log("PASS" if ok else "FAIL: see the table above")
        return 0 if ok else 1
    finally:
        stack.stop()
