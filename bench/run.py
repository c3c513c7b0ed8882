"""`make bench`: every figure of issue #9 in one run, against its ceiling.

Starts gunicorn (production config) and `python worker.py` against a dedicated
PostgreSQL database and Redis db, loads scaled demo data, measures with wrk,
prints one table and writes docs/benchmarks.md. Every process it starts is
stopped on the way out, whatever happened.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis

from bench import cpu, data, flows, probe, report
from bench.cpu import CpuMeter
from bench.load import Load, ensure_wrk
from bench.procs import BIN, ROOT, Processes, worker_pids

RESULTS = ROOT / "bench" / "results"
T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def combine(runs: list[dict]) -> dict:
    """One figure from several runs: every number is the median of the runs;
    `runs` keeps each run and `loadavg` the 1-minute load when each started."""
    import statistics

    out = dict(runs[len(runs) // 2])
    for key, value in runs[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            vals = [r[key] for r in runs if isinstance(r.get(key), int | float)]
            vals = [v for v in vals if v == v]  # drop NaN
            if vals:
                out[key] = statistics.median(vals)
    out["runs"] = runs
    out["loadavg"] = [r.get("_load", float("nan")) for r in runs]
    return out


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


class Bench:
    def __init__(self):
        self.db_url = os.environ.get(
            "BENCH_DATABASE_URL",
            "postgresql+psycopg://postgres@127.0.0.1:5432/storefront_bench",
        )
        self.redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
        self.duration = _int("BENCH_DURATION", 5)
        self.repeats = _int("BENCH_RUNS", 3)
        self.connections = _int("BENCH_CONNECTIONS", 16)
        self.threads = _int("BENCH_THREADS", 2)
        self.users = _int("BENCH_USERS", 3000)
        self.callbacks = _int("BENCH_CALLBACKS", 100)
        self.callback_rate = float(os.environ.get("BENCH_CALLBACK_RATE") or 20)
        self.jobs = _int("BENCH_JOBS", 150)
        self.drop_buyers = _int("BENCH_DROP_BUYERS", 2000)
        self.drop_seconds = _int("BENCH_DROP_SECONDS", 60)
        self.drop_tickets = _int("BENCH_DROP_TICKETS", 500)
        self.user_cursor = 0
        self.history = _int("BENCH_HISTORY", 1_000_000)
        self.small_history = 1000
        self.profile = os.environ.get("BENCH_PROFILE") == "1"
        self.web_workers = os.environ.get("WEB_CONCURRENCY", "2")
        self.web_threads = os.environ.get("WEB_THREADS", "4")
        RESULTS.mkdir(parents=True, exist_ok=True)
        runs = sorted(RESULTS.glob("bench-*"), key=lambda p: p.stat().st_mtime)
        for old in runs[:-4]:  # keep the logs of the last few runs only
            shutil.rmtree(old, ignore_errors=True)
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-", dir=RESULTS))
        first_port = _int("BENCH_PORT", 8701)
        self.port_a = free_port(first_port)
        self.port_b = free_port(first_port + 1)
        # The gateway sandboxes get their own server, as real gateways are
        # elsewhere: a shop server whose threads all wait on a sandbox served by
        # those same threads would starve itself (seen in the ticket drop).
        self.port_s = free_port(first_port + 2)
        self.base_s = f"http://127.0.0.1:{self.port_s}"
        self.base_a = f"http://127.0.0.1:{self.port_a}"
        self.base_b = f"http://127.0.0.1:{self.port_b}"
        self.env = self._env()
        os.environ.update(self.env)  # the in-process app (enqueueing) matches
        cpu.DATABASE[0] = self.db_url.rsplit("/", 1)[1].split("?")[0]
        self.procs = Processes(self.tmp, self.env)
        self.r: dict = {"load": {}, "reasons": {}}
        self.redis = redis.Redis.from_url(self.redis_url)
        self.tokens_file = self.tmp / "tokens.txt"
        self.tokens: list[str] = []
        self._app = None

    def _env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
        env.update(
            APP_ENV="staging",
            SECRET_KEY="bench-" + "k" * 40,
            DATABASE_URL=self.db_url,
            REDIS_URL=self.redis_url,
            GATEWAY_MODE="sandbox",
            RATELIMIT_ENABLED="false",
            MAIL_URL=f"file://{self.tmp / 'mail'}",
            PUBLIC_BASE_URL=self.base_a,
            ESEWA_FORM_URL=f"{self.base_s}/_sandbox/esewa/api/epay/main/v2/form",
            ESEWA_STATUS_URL=(
                f"{self.base_s}/_sandbox/esewa/api/epay/transaction/status/"
            ),
            KOMOJU_API_BASE=f"{self.base_s}/_sandbox/komoju/api/v1",
            PAYSESSION_API_BASE=f"{self.base_s}/_sandbox/paysession/pg",
            PAYSESSION_CHECKOUT_URL=f"{self.base_s}/_sandbox/paysession/checkout",
            INSTANCE_PATH=str(self.tmp / "instance"),
            BENCH_ENDPOINTS="1",
            WEB_CONCURRENCY=self.web_workers,
            WEB_THREADS=self.web_threads,
            FLASK_APP="wsgi",
            PYTHONUNBUFFERED="1",
        )
        return env

    def app(self):
        if self._app is None:
            from app import create_app

            self._app = create_app()
        return self._app

    def conn(self):
        return data.connect(self.db_url)

    # -- phases ---------------------------------------------------------------
    def setup(self) -> None:
        log(f"results and logs: {self.tmp.relative_to(ROOT)}")
        self.r["machine"] = report.machine()
        use_wrk = os.environ.get("BENCH_TOOL") != "python" and ensure_wrk(log)
        self.load = Load(use_wrk, self.threads, self.connections, self.duration)
        self.r["settings"] = {
            "app_env": "staging",
            "database_url": self.db_url,
            "redis_url": self.redis_url,
            "gunicorn": f"gthread, WEB_CONCURRENCY={self.web_workers}, "
            f"WEB_THREADS={self.web_threads}",
            "users": self.users,
            "load": f"wrk -t{self.threads} -c{self.connections} -d{self.duration}s",
            "tool": "wrk" if use_wrk else "Python fallback (wrk unavailable)",
            "duration": self.duration,
            "callbacks": self.callbacks,
            "callback_rate": self.callback_rate,
            "jobs": self.jobs,
            "small_orders": self.small_history,
            "big_orders": self.history,
            "runs": self.repeats,
            "drop_buyers": self.drop_buyers,
            "drop_seconds": self.drop_seconds,
            "drop_tickets": self.drop_tickets,
        }
        log("database: create, migrate, seed")
        self.redis.flushdb()
        self.r["settings"]["schema"] = data.migrate(
            self.db_url, self.env, self._fresh_app, log
        )
        data.seed(self.env)
        with self.conn() as conn:
            self.tokens = data.add_users(conn, self.users)
        self.tokens_file.write_text("\n".join(self.tokens) + "\n")
        log(f"  {self.users:,} customers with tokens and carts")
        try:
            self.r["probe"] = probe.per_request(self.app(), self.tokens[-100:])
            log(
                "  per request in one process: "
                + ", ".join(
                    f"{k} {v['statements']} SQL / {v['cpu_ms']:.1f} ms CPU"
                    for k, v in self.r["probe"].items()
                )
            )
        except Exception as exc:  # noqa: BLE001 - evidence only; go on
            log(f"  ! per-request probe failed: {exc!r}")

    def _fresh_app(self):
        from app import create_app

        return create_app()

    def start_a(self) -> None:
        log(f"gateway sandboxes on {self.base_s}")
        self.server_s = self.procs.gunicorn("gunicorn-sandbox", self.port_s)
        log(f"gunicorn A on {self.base_a} and two workers")
        self.server_a = self.procs.gunicorn("gunicorn-a", self.port_a)
        self.worker_a = self.procs.worker("worker-a")
        self.worker_a2 = self.procs.worker("worker-a2")
        self._wait_workers(2)

    def _wait_workers(self, n: int, timeout: float = 120) -> None:
        """Until `n` workers listen (start-up is slow on a loaded machine)."""
        from rq import Worker

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if Worker.count(connection=self.redis) >= n:
                return
            time.sleep(0.5)
        log(f"  ! fewer than {n} workers after {timeout} s")

    def take_users(self, n: int) -> list[int]:
        """Indexes of `n` bench users no earlier figure used."""
        lo = self.user_cursor
        self.user_cursor += n
        if self.user_cursor > len(self.tokens):
            raise RuntimeError("BENCH_USERS too small for this run")
        return list(range(lo, lo + n))

    def repeat(self, label: str, once) -> dict:
        """`once()` BENCH_RUNS times; the figure is the median, with min/max."""
        runs = []
        for i in range(self.repeats):
            load = loadavg()
            res = once()
            res["_load"] = load
            runs.append(res)
            log(f"    {label} run {i + 1}/{self.repeats} done (load {load:.1f})")
        return combine(runs)

    def measure(self, key: str, path: str, post: bool = False, base=None, **kw):
        url = (base or self.base_a) + path
        prof = (
            self._profile_start(key)
            if self.profile and key in ("catalog", "checkout")
            else None
        )
        runs = []
        for i in range(self.repeats):
            load = loadavg()
            res = self.load.run(
                key,
                url,
                self.tokens_file if post else None,
                **({"warmup": 1.0} if i else {}) | kw,
            )
            one = res.as_dict()
            one["_load"] = load
            if res.cpu:
                one["cpu_ms"] = {
                    k: v / 100 * res.cpu.seconds * 1000 / max(res.requests, 1)
                    for k, v in res.cpu.by_group.items()
                    if v >= 1
                }
            runs.append(one)
        if prof:
            self._profile_stop(prof)
        data_ = combine(runs)
        res.rps, res.p50_ms, res.p99_ms = data_["rps"], data_["p50_ms"], data_["p99_ms"]
        res.errors = sum(r.get("errors", 0) for r in runs)
        self.r["load"][key] = data_
        log(
            f"  {key}: {res.rps:,.0f} req/s, p50 {res.p50_ms:.1f} ms, "
            f"p99 {res.p99_ms:.1f} ms, errors {res.errors}; {res.cpu.summary()}"
        )
        if res.errors:
            log(f"  ! {res.errors} errors in {key}; see {self.tmp}/gunicorn-a.log")
        return data_

    def _profile_start(self, key: str):
        pids = worker_pids(self.server_a)
        if not pids:
            return None
        spy = BIN / "py-spy"
        if not spy.exists():
            subprocess.run([str(BIN / "pip"), "install", "-q", "py-spy"], check=False)
        out = RESULTS / f"profile-{key}.svg"
        raw = RESULTS / f"profile-{key}.txt"
        procs = [
            subprocess.Popen(
                [
                    str(spy),
                    "record",
                    "-p",
                    str(pids[0]),
                    "-d",
                    str(self.duration + 2),
                    "-r",
                    "200",
                    "-o",
                    str(path),
                    "-f",
                    fmt,
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for path, fmt in ((out, "flamegraph"), (raw, "raw"))
        ]
        log(f"  py-spy recording gunicorn worker {pids[0]} -> {out.name}")
        return procs

    def _profile_stop(self, procs) -> None:
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)

    def fig1_2_3(self) -> None:
        log("figure 1: ceilings")
        self.measure("bare", "/_bench/bare")
        self.measure("bench_checkout", "/_bench/checkout", post=True)
        log("figure 2: catalog and product pages")
        self.measure("catalog", "/")
        self.measure("product", "/products/python-basics")
        log("figure 3: POST /api/orders/checkout")
        self.measure("checkout", "/api/orders/checkout", post=True)

    def fig4(self) -> None:
        log(
            f"figure 4: callback -> paid, {self.callbacks} orders at "
            f"{self.callback_rate:g}/s, two workers"
        )

        def once() -> dict:
            with self.conn() as conn:
                data.refill_carts(conn)
            users = self.take_users(self.callbacks)
            orders = flows.prepare_callbacks(
                [self.base_a], [self.tokens[i] for i in users], self.callbacks
            )
            with self.conn() as conn:
                since = conn.execute("SELECT localtimestamp").fetchone()[0]
            meter = CpuMeter()
            res = flows.fire_callbacks(
                self.db_url, orders, self.callback_rate, [self.base_a]
            )
            res["cpu"] = meter.stop().summary()
            res["rate"] = self.callback_rate
            self._drain(30)
            res["jobs"] = self._jobs_since(since)
            res["invariants"] = flows.paid_invariants(
                self.db_url, [o["order_id"] for o in orders]
            )
            log(
                f"  p50 {res['p50_ms']:.0f} ms, p99 {res['p99_ms']:.0f} ms, "
                f"{res['paid']}/{res['orders']} paid, http {res['http_statuses']}; "
                f"{res['cpu']}"
            )
            return res

        self.r["callbacks"] = self.repeat("callbacks", once)

    def _jobs_since(self, since) -> dict:
        """Per topic: how long the outbox jobs booked since `since` ran."""
        from app.outbox.relay import outbox_job_id

        with self.conn() as conn:
            rows = conn.execute(
                "SELECT topic, id FROM outbox_events WHERE created_at >= %s "
                "AND available_at <= localtimestamp",
                (since,),
            ).fetchall()
        by_topic: dict[str, list[str]] = {}
        for topic, event_id in rows:
            by_topic.setdefault(topic, []).append(outbox_job_id(event_id))
        return {
            topic: flows.job_span(self.redis, ids) for topic, ids in by_topic.items()
        }

    def _drain(self, timeout: float = 60) -> None:
        from rq import Queue

        from app.jobs import QUEUE_NAMES

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = sum(Queue(n, connection=self.redis).count for n in QUEUE_NAMES)
            if left == 0:
                return
            time.sleep(0.2)
        log(f"  ! queues not drained after {timeout} s")

    def _burst(self, name: str, job_ids: list[str], argv=None) -> float:
        """`python worker.py --burst` until `job_ids` are done; follow-up jobs
        they booked (receipt emails) are not waited for."""
        from rq.job import Job

        started = time.monotonic()
        if argv:
            proc = self.procs.start(name, argv)
        else:
            proc = self.procs.worker(name, "--burst")
        try:
            deadline = started + 600
            while proc.alive() and time.monotonic() < deadline:
                jobs = Job.fetch_many(job_ids, connection=self.redis)
                if all(j is None or j.is_finished or j.is_failed for j in jobs):
                    break
                time.sleep(0.5)
        finally:
            self.procs.stop(proc)
        return time.monotonic() - started

    def _payment_jobs(self, name: str, argv=None) -> dict:
        """Enqueue `self.jobs` order.payment_success jobs whose payments are
        COMPLETE at the sandbox, run one burst worker on them, time them."""
        from app.outbox.relay import enqueue_event, outbox_job_id

        app = self.app()
        with self.conn() as conn:
            payable = data.payable_orders(conn, self.jobs)
        data.sandbox_complete(self.redis, payable, app.config["ESEWA_PRODUCT_CODE"])
        with app.app_context():
            for p in payable:
                enqueue_event(p["event_id"], "order.payment_success", None)
        ids = [outbox_job_id(p["event_id"]) for p in payable]
        meter = CpuMeter()
        wall = self._burst(name, ids, argv)
        cpu = meter.stop().summary()
        res = flows.job_span(self.redis, ids)
        self._drop_receipts()
        with self.conn() as conn:
            res["orders_paid"] = conn.execute(
                "SELECT count(*) FROM orders WHERE id = ANY(%s) AND status = 'paid'",
                ([p["order_id"] for p in payable],),
            ).fetchone()[0]
        res["burst_wall_seconds"] = wall
        res["cpu"] = cpu
        log(
            f"  {name}: {res['rate']:.1f} jobs/s ({res['finished']}/{res['jobs']}, "
            f"{res['orders_paid']} paid, {res.get('mean_job_ms', 0):.0f} ms/job); "
            f"{cpu}"
        )
        return res

    def _hand_finalise(self) -> dict:
        """The ceiling: the same work by hand (bench/handfinal.py)."""
        from bench import handfinal

        app = self.app()
        with self.conn() as conn:
            payable = data.payable_orders(conn, self.jobs)
        code = app.config["ESEWA_PRODUCT_CODE"]
        data.sandbox_complete(self.redis, payable, code)
        meter = CpuMeter()
        status_url = app.config.get("ESEWA_STATUS_URL") or (
            f"{self.base_a}/_sandbox/esewa/api/epay/transaction/status/"
        )
        res = handfinal.finalise(self.db_url, status_url, code, payable)
        res["cpu"] = meter.stop().summary()
        log(
            f"  hand-written: {res['rate']:.1f} finalisations/s "
            f"({res['finished']}/{res['jobs']}); {res['cpu']}"
        )
        return res

    def fig5(self) -> None:
        log(f"figure 5: worker throughput, {self.jobs} jobs per run")
        self._drain()
        for w in (self.worker_a, self.worker_a2):
            self.procs.stop(w)
        try:
            ps = self.repeat(
                "payment jobs", lambda: self._payment_jobs("worker-burst-payments")
            )
            hand = self.repeat("hand-written finalisation", self._hand_finalise)
            self.r["jobs"] = {"payment_success": ps, "hand": hand}
            # reference: the same jobs with a forked horse per job (one run)
            self.procs.env["WORKER_CLASS"] = "fork"
            try:
                self.r["jobs"]["forking"] = self._payment_jobs("fork-worker-payments")
            finally:
                self.procs.env.pop("WORKER_CLASS", None)
        finally:
            self.worker_a = self.procs.worker("worker-a")
            self.worker_a2 = self.procs.worker("worker-a2")
            self._wait_workers(2)

    def _drop_receipts(self) -> None:
        """Figure 5's synthetic orders booked receipt emails: drop them, so they
        do not load the machine during the next figures."""
        from rq import Queue

        Queue("mail", connection=self.redis).empty()
        with self.conn() as conn:
            conn.execute(
                "UPDATE outbox_events SET status = 'completed', "
                "processed_at = localtimestamp "
                "WHERE topic = 'email.send' AND status = 'pending'"
            )

    def fig7(self) -> None:
        log("figure 7: scale-out, two servers and the two workers")
        server_b = self.procs.gunicorn("gunicorn-b", self.port_b)
        try:
            self.r["scaleout"] = self.repeat("scale-out", self._scaleout_once)
        finally:
            self.procs.stop(server_b)

    def _scaleout_once(self) -> dict:
        with self.conn() as conn:
            data.refill_carts(conn)
        # warm both, then one wrk per server at the same time
        for base in (self.base_a, self.base_b):
            self.load.run(
                "warm",
                base + "/api/orders/checkout",
                self.tokens_file,
                duration=1,
                warmup=0,
            )
        meter = CpuMeter()
        runs = [
            self.load.start(base + "/api/orders/checkout", self.tokens_file)
            for base in (self.base_a, self.base_b)
        ]
        for thread, _box in runs:
            thread.join(self.duration + 90)
        cpu = meter.stop()
        parts = [box["result"] for _t, box in runs]
        res = {
            "rps": sum(p.rps for p in parts),
            "per_server_rps": [p.rps for p in parts],
            "p50_ms": max(p.p50_ms for p in parts),
            "p99_ms": max(p.p99_ms for p in parts),
            "errors": sum(p.errors for p in parts),
            "cpu": cpu.summary(),
        }
        log(
            f"  checkout on both: {res['rps']:,.0f} req/s "
            f"({' + '.join(f'{x:,.0f}' for x in res['per_server_rps'])}), "
            f"p99 {res['p99_ms']:.1f} ms, errors {res['errors']}; {res['cpu']}"
        )
        with self.conn() as conn:
            data.refill_carts(conn)
        n = self.callbacks // 2
        users = self.take_users(n)
        orders = flows.prepare_callbacks(
            [self.base_a, self.base_b], [self.tokens[i] for i in users], n
        )
        cb = flows.fire_callbacks(
            self.db_url,
            orders,
            self.callback_rate,
            [self.base_a, self.base_b],
            duplicates=True,
        )
        res["callbacks"] = cb
        res["invariants"] = flows.paid_invariants(
            self.db_url, [o["order_id"] for o in orders]
        )
        log(
            f"  duplicate callbacks on both servers: {cb['paid']}/{cb['orders']}"
            f" paid, p99 {cb['p99_ms']:.0f} ms, {cb['paid_per_second']:.1f} "
            f"paid/s; invariants {res['invariants']}"
        )
        return res

    def fig8(self) -> None:
        """Whole purchases by logged-in shoppers, 8 and 32 at once."""
        from bench import shoppers

        per = _int("BENCH_PURCHASES_PER_SHOPPER", 2)
        # figure 5's synthetic orders grant the first product to every bench
        # user; whole purchases buy the second (figures 4 and 7 use other users)
        product = data.BENCH_PRODUCTS[1]
        out = {}
        for n in (8, 32):
            log(f"figure 8: whole purchase, {n} shoppers at once, {n * per} purchases")

            def once(n=n) -> dict:
                users = self.take_users(n * per)
                with self.conn() as conn:
                    data.empty_carts(conn)
                    since = conn.execute("SELECT localtimestamp").fetchone()[0]
                with ThreadPoolExecutor(4) as pool:  # logged in before the clock
                    sessions = list(
                        pool.map(
                            lambda i: shoppers.login(
                                self.base_a, f"bench-{i + 1}@bench.test", data.PASSWORD
                            ),
                            users,
                        )
                    )
                meter = CpuMeter()
                res = shoppers.whole_purchases([self.base_a], sessions, product, n)
                res["cpu"] = meter.stop().summary()
                self._drain(30)
                res["db"] = shoppers.verify_paid(self.db_url, since)
                log(
                    f"  {res['paid']}/{res['purchases']} paid, p50 {res['p50_s']:.2f}"
                    f" s, p99 {res['p99_s']:.2f} s, {res['orders_per_s']:.2f} "
                    f"orders/s, {res['requests_per_purchase']:.1f} requests each, "
                    f"errors {res['errors']} {res['error_samples']}; db {res['db']}"
                )
                return res

            out[n] = self.repeat(f"{n} shoppers", once)
        self.r["purchase"] = out

    def fig9(self) -> None:
        """The ticket drop: two servers, the two workers."""
        from bench import shoppers

        log(
            f"figure 9: ticket drop, {self.drop_buyers} buyers in "
            f"{self.drop_seconds} s for {self.drop_tickets} tickets"
        )
        server_b = self.procs.gunicorn("gunicorn-b", self.port_b)
        try:

            def once() -> dict:
                meter = CpuMeter()
                res = shoppers.ticket_drop(
                    self.db_url,
                    [self.base_a, self.base_b],
                    self.drop_buyers,
                    self.drop_seconds,
                    self.drop_tickets,
                )
                res["cpu"] = meter.stop().summary()
                log(
                    f"  answers {res['answers']}, oversold {res['oversold']}, "
                    f"5xx {res['http_5xx']}, checkout p99 "
                    f"{res['checkout_p99_s']:.2f} s, pay->email p99 "
                    f"{res['pay_to_email_p99_s']:.2f} s ({res['emails']} emails); "
                    f"{res['cpu']}"
                )
                self._drain(60)
                return res

            self.r["drop"] = self.repeat("ticket drop", once)
        finally:
            self.procs.stop(server_b)

    def fig6(self) -> None:
        log(
            f"figure 6: checkout with {self.small_history:,} vs "
            f"{self.history:,} existing orders"
        )
        self._drain()
        with self.conn() as conn:
            data.truncate_orders(conn)
            data.refill_carts(conn)
            data.add_history(conn, self.small_history)
            data.analyze(conn)
        small = self.measure("checkout_1k", "/api/orders/checkout", post=True)
        with self.conn() as conn:
            have = data.count_orders(conn)
            seconds = data.add_history(conn, max(self.history - have, 0), log=log)
            data.analyze(conn)
            big_n = data.count_orders(conn)
        log(f"  loaded to {big_n:,} orders in {seconds:.0f} s (+ VACUUM ANALYZE)")
        big = self.measure("checkout_1m", "/api/orders/checkout", post=True)
        self.r["scale"] = {
            "small": small,
            "big": big,
            "small_orders": self.small_history,
            "big_orders": big_n,
            "load_seconds": seconds,
        }

    # -- reasons ------------------------------------------------------------------
    def explain(self) -> None:
        """For each target missed, the measured reason (CPU per request etc.)."""
        load = self.r["load"]
        reasons = self.r["reasons"]

        def per_req(key):
            cpu = load.get(key, {}).get("cpu_ms", {})
            return ", ".join(
                f"{k} {v:.1f} ms"
                for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])
                if v >= 0.05
            )

        pr = self.r.get("probe", {})

        def alone(key):
            p = pr.get(key)
            if not p:
                return "not probed"
            return f"{p['statements']} SQL, {p['cpu_ms']:.1f} ms CPU"

        bare = load.get("bare")
        for key in ("catalog", "product"):
            res = load.get(key)
            if res and bare and res["rps"] < 0.5 * bare["rps"]:
                reasons[f"figure 2, {key}"] = (
                    f"{res['rps']:.0f} vs {bare['rps']:.0f} req/s. Under load, CPU "
                    f"per request: {per_req(key)} (bare endpoint: "
                    f"{per_req('bare')}). Alone in one process: {alone(key)} "
                    f"(bare: {alone('bare')}): the page's queries, ORM objects and "
                    f"template rendering cost several times the whole bare request. "
                    f"{res['cpu']}."
                )
        chk, hand = load.get("checkout"), load.get("bench_checkout")
        if chk and hand and chk["rps"] < 0.6 * hand["rps"]:
            reasons["figure 3, checkout"] = (
                f"{chk['rps']:.0f} vs {hand['rps']:.0f} req/s. Under load, CPU per "
                f"request: {per_req('checkout')} (hand-written: "
                f"{per_req('bench_checkout')}). Alone in one process: "
                f"{alone('checkout')} vs {alone('bench_checkout')}: the app "
                f"server's CPU, not PostgreSQL's commits, is the limit, and it "
                f"goes to SQLAlchemy's ORM (unit of work, identity map, result "
                f"objects) and the Redis relay of the auto-cancel job. "
                f"{chk['cpu']}."
            )
        cb = self.r.get("callbacks")
        if cb and (cb["p99_ms"] > 250 or cb["not_paid"]):
            jobs_ms = {
                topic: span.get("mean_job_ms", 0.0)
                for topic, span in cb.get("jobs", {}).items()
            }
            per_callback = sum(jobs_ms.values())
            split = " + ".join(f"{t} {ms:.0f} ms" for t, ms in jobs_ms.items())
            busy = cb["rate"] * per_callback / 20  # two workers, % of both
            reasons["figure 4, callback → paid"] = (
                f"p99 {cb['p99_ms']:.0f} ms (p50 {cb['p50_ms']:.0f} ms) at "
                f"{cb['rate']:g} callbacks/s with two workers. Each callback costs "
                f"two jobs, {split} (median run), so the two workers are about "
                f"{busy:.0f}% busy and a callback that arrives behind others "
                f"waits; {cb['cpu']}."
            )
        jobs = self.r.get("jobs")
        if (
            jobs
            and jobs.get("hand", {}).get("rate")
            and jobs["payment_success"]["rate"] < 0.5 * jobs["hand"]["rate"]
        ):
            ps, hf = jobs["payment_success"], jobs["hand"]
            fk = jobs.get("forking") or {}
            reasons["figure 5, worker"] = (
                f"{ps['rate']:.1f} vs {hf['rate']:.1f} finalisations/s; a payment "
                f"job takes {ps.get('mean_job_ms', 0):.0f} ms in the worker vs "
                f"{hf.get('mean_job_ms', 0):.1f} ms by hand (the same HTTP status "
                f"check and the same rows); {ps['cpu']}. The rest is the ORM "
                f"(identity map, flushes), the audit rows and the outbox "
                f"bookkeeping. With a horse per job (reference row): "
                f"{fk.get('mean_job_ms', float('nan')):.0f} ms a job."
            )
        for n, res in (self.r.get("purchase") or {}).items():
            missed = (int(n) == 8 and (res["p50_s"] > 1.0 or res["p99_s"] > 2.0)) or (
                int(n) == 32 and res["orders_per_s"] < 15
            )
            if missed:
                reasons[f"figure 8, {n} shoppers"] = (
                    f"p50 {res['p50_s']:.2f} s, p99 {res['p99_s']:.2f} s, "
                    f"{res['orders_per_s']:.2f} orders/s; of a purchase, "
                    f"{res['pay_to_paid_p50_s']:.2f} s (p50) pass between Pay and "
                    f"the page seeing paid (return, result page, polls every 1 s "
                    f"after a first look at 0.5 s); {res['requests_per_purchase']:.1f}"
                    f" HTTP requests per purchase; {res['cpu']}."
                )
        drop = self.r.get("drop")
        if drop and (
            drop["checkout_p99_s"] > 1.0
            or drop["pay_to_email_p99_s"] > 5.0
            or drop["oversold"]
            or drop["http_5xx"]
            or drop["definite"] < drop["buyers"]
        ):
            reasons["figure 9, ticket drop"] = (
                f"checkout p99 {drop['checkout_p99_s']:.2f} s, Pay → email p99 "
                f"{drop['pay_to_email_p99_s']:.2f} s, oversold {drop['oversold']:.0f}"
                f", 5xx {drop['http_5xx']:.0f}, answers {drop['answers']} (median "
                f"run); {drop['buyers']:.0f} buyers in {drop['arrival_s']:.0f} s "
                f"against two servers and two workers; {drop['cpu']}."
            )
        scale = self.r.get("scale")
        if scale and scale["big"]["p99_ms"] > 1.2 * scale["small"]["p99_ms"]:
            reasons["figure 6, 1M orders"] = (
                f"p99 {scale['big']['p99_ms']:.1f} vs {scale['small']['p99_ms']:.1f}"
                f" ms; CPU per request at 1M: {per_req('checkout_1m')} vs at 1k: "
                f"{per_req('checkout_1k')}."
            )
        out7 = self.r.get("scaleout")
        if out7 and chk and out7["rps"] < 1.6 * chk["rps"]:
            reasons["figure 7, scale-out"] = (
                f"{out7['rps']:.0f} req/s on two servers vs {chk['rps']:.0f} on one "
                f"({self.r['machine']['cores']} cores). One server already kept "
                f"the machine busy: {chk['cpu']}; with two: {out7['cpu']}. A second "
                f"server adds processes, not cores."
            )
        if out7 and not out7.get("invariants", {}).get("ok"):
            reasons["figure 7, invariants"] = f"{out7.get('invariants')}"

    # -- run ------------------------------------------------------------------
    def run(self) -> int:
        self.setup()
        self.start_a()
        phases = [
            self.fig1_2_3,
            self.fig4,
            self.fig5,
            self.fig8,
            self.fig9,
            self.fig7,
            self.fig6,
        ]
        only = os.environ.get("BENCH_ONLY")
        if only:
            names = {f"fig{n}" for n in only.split(",")}
            phases = [p for p in phases if any(n in p.__name__ for n in names)]
        for phase in phases:
            try:
                phase()
            except Exception as exc:  # noqa: BLE001 - report it, go on
                log(f"  ! {phase.__name__} failed: {exc!r}")
                self.r.setdefault("errors", []).append(f"{phase.__name__}: {exc!r}")
        return 0


def main() -> int:
    bench = Bench()

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    code = 1
    try:
        code = bench.run()
    except KeyboardInterrupt as exc:
        log(f"interrupted ({exc or 'Ctrl-C'}); nothing written")
        return 130
    finally:
        log("stopping every process the bench started")
        bench.procs.stop_all()
        if bench._app is not None:
            from app.extensions import db

            with bench._app.app_context():
                db.engine.dispose()
    bench.explain()
    bench.r["finished_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    bench.r["total_seconds"] = time.monotonic() - T0
    (RESULTS / "last.json").write_text(json.dumps(bench.r, indent=2, default=str))
    print()
    print(report.table(bench.r))
    for key, why in bench.r["reasons"].items():
        print(f"- {key}: {why}")
    for err in bench.r.get("errors", []):
        print(f"! {err}")
    if not os.environ.get("BENCH_ONLY"):
        report.write_doc(bench.r)
        log(f"wrote {report.DOC.relative_to(ROOT)}")
    log(f"done in {bench.r['total_seconds']:.0f} s")
    return code if not bench.r.get("errors") else 1


if __name__ == "__main__":
    sys.exit(main())
