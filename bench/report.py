"""The one table `make bench` prints, and docs/benchmarks.md."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
FINDINGS = Path(__file__).resolve().parent / "FINDINGS.md"


def _num(value, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, str):
        return value
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def rows(r: dict) -> list[dict]:
    """figure, value, ceiling, ratio, target, met — from the results dict."""
    out: list[dict] = []

    def add(
        fig,
        name,
        value,
        unit="",
        ceiling=None,
        ratio=None,
        target="",
        met=None,
        note="",
    ):
        out.append(
            {
                "fig": fig,
                "name": name,
                "value": _num(value, unit),
                "ceiling": _num(ceiling, unit) if ceiling is not None else "",
                "ratio": "" if ratio is None else f"{ratio:.2f}",
                "target": target,
                "met": ""
                if met is None
                else (met if isinstance(met, str) else ("yes" if met else "NO")),
                "note": note,
            }
        )

    load = r.get("load", {})
    bare = load.get("bare")
    hand = load.get("bench_checkout")
    if bare:
        add(
            "1",
            "bare JSON endpoint (ceiling)",
            bare["rps"],
            "req/s",
            note=f"p99 {bare['p99_ms']:.1f} ms",
        )
    if hand:
        add(
            "1",
            "hand-written checkout, psycopg (ceiling)",
            hand["rps"],
            "req/s",
            bare and bare["rps"],
            bare and hand["rps"] / bare["rps"],
            note=f"p99 {hand['p99_ms']:.1f} ms; ratio is to the bare endpoint",
        )
    for key, label in (
        ("catalog", "catalog page GET /"),
        ("product", "product page GET /products/python-basics"),
    ):
        res = load.get(key)
        if res and bare:
            ratio = res["rps"] / bare["rps"]
            add(
                "2",
                label,
                res["rps"],
                "req/s",
                bare["rps"],
                ratio,
                "≥ 0.50",
                ratio >= 0.5,
                f"p99 {res['p99_ms']:.1f} ms",
            )
    chk = load.get("checkout")
    if chk and hand:
        ratio = chk["rps"] / hand["rps"]
        add(
            "3",
            "POST /api/orders/checkout, fresh key",
            chk["rps"],
            "req/s",
            hand["rps"],
            ratio,
            "≥ 0.60",
            ratio >= 0.6,
            f"p50 {chk['p50_ms']:.1f} ms, p99 {chk['p99_ms']:.1f} ms",
        )
    cb = r.get("callbacks")
    if cb:
        add(
            "4", f"callback → paid p50 (1 worker, {cb['rate']:g}/s)", cb["p50_ms"], "ms"
        )
        add(
            "4",
            "callback → paid p99",
            cb["p99_ms"],
            "ms",
            target="≤ 250 ms",
            met=cb["p99_ms"] <= 250 and cb["not_paid"] == 0,
            note=f"{cb['paid']}/{cb['orders']} paid",
        )
    jobs = r.get("jobs")
    if jobs and jobs.get("empty") and jobs.get("payment_success"):
        empty, ps = jobs["empty"], jobs["payment_success"]
        add(
            "5",
            "empty RQ job, python worker.py (ceiling)",
            empty["rate"],
            "jobs/s",
            note=f"{empty['finished']}/{empty['jobs']} jobs",
        )
        ratio = ps["rate"] / empty["rate"] if empty["rate"] else float("nan")
        add(
            "5",
            "order.payment_success jobs",
            ps["rate"],
            "jobs/s",
            empty["rate"],
            ratio,
            "≥ 0.50",
            ratio >= 0.5,
            f"{ps['finished']}/{ps['jobs']} jobs, {ps.get('orders_paid', '?')} paid",
        )
        nf = jobs.get("no_fork")
        if nf:
            add(
                "5",
                "  same jobs, non-forking SimpleWorker (reference only)",
                nf["rate"],
                "jobs/s",
                empty["rate"],
                nf["rate"] / empty["rate"] if empty["rate"] else None,
                note=f"{nf.get('mean_job_ms', 0):.0f} ms a job; "
                "not how production runs jobs",
            )
    scale = r.get("scale")
    if scale:
        small, big = scale["small"], scale["big"]
        ratio = big["p99_ms"] / small["p99_ms"]
        add(
            "6",
            f"checkout p99, {scale['small_orders']:,} orders",
            small["p99_ms"],
            "ms",
            note=f"{small['rps']:.0f} req/s",
        )
        add(
            "6",
            f"checkout p99, {scale['big_orders']:,} orders",
            big["p99_ms"],
            "ms",
            small["p99_ms"],
            ratio,
            "≤ 1.20",
            ratio <= 1.2,
            f"{big['rps']:.0f} req/s; load {scale['load_seconds']:.0f} s",
        )
    out7 = r.get("scaleout")
    if out7 and chk:
        ratio = out7["rps"] / chk["rps"]
        cores = r["machine"]["cores"]
        met = ratio >= 1.6 if cores >= 4 else f"n/a ({cores} cores)"
        add(
            "7",
            "checkout, 2 servers + 2 workers",
            out7["rps"],
            "req/s",
            chk["rps"],
            ratio,
            "≥ 1.6 (≥ 4 cores)",
            met,
            f"p99 {out7['p99_ms']:.1f} ms",
        )
        inv = out7.get("invariants", {})
        add(
            "7",
            "one paid transition per order (duplicate callbacks)",
            f"{inv.get('paid', 0)}/{inv.get('orders', 0)} paid",
            "",
            target="exactly once",
            met=bool(inv.get("ok")),
            note=f"2 paid events anywhere: "
            f"{inv.get('orders_with_two_paid_events_anywhere')}",
        )
    return out


def table(r: dict) -> str:
    head = ["fig", "figure", "value", "ceiling", "ratio", "target", "met"]
    lines = [
        [
            x["fig"],
            x["name"],
            x["value"],
            x["ceiling"],
            x["ratio"],
            x["target"],
            x["met"],
        ]
        for x in rows(r)
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *lines, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    text = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    text += [fmt.format(*line) for line in lines]
    return "\n".join(text)


def markdown_table(r: dict) -> str:
    lines = [
        "| fig | figure | value | ceiling | ratio | target | met | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for x in rows(r):
        lines.append(
            f"| {x['fig']} | {x['name']} | {x['value']} | {x['ceiling']} | "
            f"{x['ratio']} | {x['target']} | {x['met']} | {x['note']} |"
        )
    return "\n".join(lines)


def machine() -> dict:
    def cmd(*argv):
        try:
            return subprocess.run(
                argv, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except OSError:
            return "?"

    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "cores": os.cpu_count() or 1,
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": cmd(
            "psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"
        ).split(" ")[0],
        "redis": cmd("redis-cli", "-h", "127.0.0.1", "INFO", "server")
        .split("redis_version:")[-1]
        .split()[0]
        if cmd("which", "redis-cli")
        else "?",
        "wrk": cmd("sh", "-c", "wrk -v 2>&1 | head -1").split(" [")[0],
        "loadavg_before": Path("/proc/loadavg").read_text().split()[:3],
    }


def _errors(r: dict) -> str:
    if not r.get("errors"):
        return ""
    lines = "\n".join(f"- `{e}`" for e in r["errors"])
    return f"## Errors in this run\n\n{lines}\n\n"


def _noise_note(r: dict) -> str:
    load = r["machine"]["loadavg_before"]
    if float(load[0]) < 0.5:
        return ""
    return (
        f"\n**This run shared the machine with other work** (load average "
        f'{load[0]} when it started; "other" in the CPU split below), so every '
        f"figure is lower and noisier than on a quiet machine.\n"
    )


def _probe_lines(r: dict) -> list[str]:
    pr = r.get("probe")
    if not pr:
        return ["(not measured in this run)"]
    lines = [
        "| endpoint | SQL statements | CPU per request | wall per request |",
        "|---|---|---|---|",
    ]
    for key, p in pr.items():
        lines.append(
            f"| `{key}` | {p['statements']} | {p['cpu_ms']:.2f} ms | "
            f"{p['wall_ms']:.2f} ms |"
        )
    return lines


def _cpu_lines(r: dict) -> list[str]:
    lines = []
    for key, res in r.get("load", {}).items():
        if res.get("cpu"):
            lines.append(f"- `{key}`: {res['cpu']}")
        if res.get("cpu_ms"):
            ordered = sorted(res["cpu_ms"].items(), key=lambda kv: -kv[1])
            per = ", ".join(f"{k} {v:.2f}" for k, v in ordered)
            lines.append(f"  - CPU ms per request: {per}")
    return lines


def write_doc(r: dict) -> None:
    m = r["machine"]
    s = r["settings"]
    findings = FINDINGS.read_text() if FINDINGS.exists() else ""
    reasons = "\n".join(f"- **{k}** — {v}" for k, v in r.get("reasons", {}).items())
    doc = f"""# Benchmarks

Generated by `make bench` (`bench/run.py`) on {r["finished_at"]} in
{r["total_seconds"]:.0f} s. Re-run it to refresh this file; the raw numbers of the
last run are in `bench/results/last.json` (not committed).

## Results

{markdown_table(r)}

Ratios compare each figure with its ceiling measured in the same run on the same
server and settings. Speed is only reported here, never asserted in a test.
{_noise_note(r)}

{
        "## Targets not met, and the measured reason" + chr(10) + chr(10) + reasons
        if reasons
        else "All targets met in this run."
    }

## Machine

- {m["cores"]} cores ({m["cpu"]}), {m["memory_gb"]} GB RAM, Linux {m["kernel"]}
- Python {m["python"]}, PostgreSQL {m["postgres"]}, Redis {m["redis"]}, {m["wrk"]}
- load average when the run started: {" ".join(m["loadavg_before"])}
  (anything above ~0.5 means other work shared the two cores: numbers are noisy)
- everything (load tool, gunicorn, worker, PostgreSQL, Redis) on the same machine

## Settings

- gunicorn with `gunicorn.conf.py` (production file): `{s["gunicorn"]}`,
  `--no-control-socket` (two servers on one host would share the control socket)
- `APP_ENV={s["app_env"]}`: not `production` only because production refuses
  `GATEWAY_MODE=sandbox`; production differs only in its start-up checks, HSTS
  and secure cookies
- `DATABASE_URL={s["database_url"]}` (schema: {s["schema"]}),
  `REDIS_URL={s["redis_url"]}` (flushed at start), `GATEWAY_MODE=sandbox`,
  `RATELIMIT_ENABLED=false` (so the load tool is not throttled), mail to files
- data: demo seed + {s["users"]:,} customers, each with an API token and a cart of
  two products; figure 6 adds finished orders with an item, a payment, a gateway
  event and an idempotency record each
- load: `{s["load"]}` (load tool: {s["tool"]}), {s["duration"]} s per figure after
  a 2 s warm-up; figure 4 sends {s["callbacks"]} callbacks at {s["callback_rate"]}/s;
  figure 5 runs {s["jobs"]} jobs of each kind through `python worker.py --burst`
  and times them with RQ's own started/ended stamps

## How the figures are measured

1. `GET /_bench/bare` and `POST /_bench/checkout` (`app/bench/views.py`, mounted
   only with `BENCH_ENDPOINTS=1`): the first is the app server's own limit, the
   second does only the SQL a checkout must do (token → user, read the cart, insert
   order, items, payment with the signed eSewa form, the auto-cancel outbox event
   and the idempotency record, one transaction) with plain psycopg.
2. `GET /` and `GET /products/python-basics`, anonymous.
3. `POST /api/orders/checkout` with a bearer token (users in turn) and a fresh
   `Idempotency-Key` per request (`bench/wrk.lua`).
4. Orders are created through the API, their eSewa form posted to the sandbox
   and Pay pressed; the signed success URLs are then sent at a steady rate while
   one `python worker.py` runs. Latency = the moment a poll of PostgreSQL (every
   10 ms) first sees the order `paid` − the moment the callback was sent (both
   clocks are this machine's).
5. The same number of `order.payment_success` outbox jobs (payments already
   COMPLETE at the sandbox, so each job does the real status check over HTTP,
   the capture, fulfilment and the receipt booking) and of empty jobs
   (`app.bench.jobs.empty_job`) on the `payments` queue; rate = jobs / (last job
   ended − first job started). The receipt emails the payment jobs book run
   after them and are not counted.
6. Order tables truncated, {s.get("small_orders", 1000):,} finished orders loaded,
   checkout measured; then loaded up to {s.get("big_orders", 1_000_000):,} with
   `INSERT … SELECT generate_series`, `VACUUM ANALYZE`, checkout measured again.
7. A second gunicorn (same settings, next port) and a second worker on the same
   PostgreSQL and Redis: one wrk per server at the same time (summed req/s,
   compared with figure 3); then orders paid with every callback sent to *both*
   servers at once (a retrying browser), and the database checked: each order
   has exactly one `order_paid` event, one captured payment, no refund flag.

## Per request, alone in one process

The same endpoints through Flask's test client in the bench driver (no HTTP
server, no load tool, no concurrency), after a warm-up: SQL statements sent (not
counting BEGIN/COMMIT and the pool's ping) and CPU per request. Other work on the
machine affects these much less than the load figures.

{chr(10).join(_probe_lines(r))}

## Where the CPU went (per measured phase)

{chr(10).join(_cpu_lines(r))}

{_errors(r)}{findings}
## Reproduce

```sh
make bench                      # ~6 minutes; needs PostgreSQL and Redis
BENCH_DURATION=20 make bench    # longer runs (less noise)
```

Settings (environment): `BENCH_DATABASE_URL` (default
`postgresql+psycopg://postgres@127.0.0.1:5432/storefront_bench`, dropped and
re-created), `BENCH_REDIS_URL` (default `redis://127.0.0.1:6379/14`, flushed),
`BENCH_DURATION`, `BENCH_CONNECTIONS`, `BENCH_THREADS`, `BENCH_USERS`,
`BENCH_CALLBACKS`, `BENCH_CALLBACK_RATE`, `BENCH_JOBS`, `BENCH_HISTORY`,
`WEB_CONCURRENCY`, `WEB_THREADS`, `BENCH_PROFILE=1` (py-spy flame graphs and raw
stacks of a gunicorn worker during figures 2 and 3, into `bench/results/`; sum
them with `python -m bench.flame bench/results/profile-checkout.txt`),
`BENCH_ONLY=1,5` (only those figures; docs not rewritten), `BENCH_TOOL=python`
(the plain Python load generator instead of wrk). Every run's logs (gunicorn,
workers) are kept in `bench/results/bench-*/`. Run it on a quiet machine: the
load tool, the servers and the databases share the same cores.
"""
    DOC.write_text(doc)
