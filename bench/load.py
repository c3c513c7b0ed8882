"""The load tool: Debian's wrk (installed on demand), or a plain Python fallback."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.cpu import CpuMeter, CpuSample

HERE = Path(__file__).resolve().parent
WRK_SCRIPT = HERE / "wrk.lua"


@dataclass
class LoadResult:
    name: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu: CpuSample | None = None
    tool: str = "wrk"

    def as_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "cpu"}
        if self.cpu:
            data["cpu"] = self.cpu.summary()
        return data


def ensure_wrk(log) -> bool:
    """wrk from Debian; try apt-get once if it is missing."""
    if shutil.which("wrk"):
        return True
    log("wrk not found: installing it with apt-get (Debian package 'wrk')")
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "wrk"],
    ):
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            log(f"  {' '.join(cmd)} failed ({exc}); using the Python load generator")
            return False
    return shutil.which("wrk") is not None


class Load:
    def __init__(self, use_wrk: bool, threads: int, connections: int, duration: int):
        self.use_wrk = use_wrk
        self.threads = threads
        self.connections = connections
        self.duration = duration

    # -- public -------------------------------------------------------------
    def run(
        self,
        name: str,
        url: str,
        tokens_file: Path | None = None,
        duration: int | None = None,
        connections: int | None = None,
        threads: int | None = None,
        warmup: float = 2.0,
    ) -> LoadResult:
        """Warm up briefly, then measure `duration` seconds (CPU split included)."""
        conns = connections or self.connections
        thr = min(threads or self.threads, conns)
        if warmup:
            self._once(url, tokens_file, warmup, conns, thr)
        meter = CpuMeter()
        result = self._once(url, tokens_file, duration or self.duration, conns, thr)
        result.cpu = meter.stop()
        result.name = name
        return result

    def start(
        self, url, tokens_file=None, duration=None, connections=None, threads=None
    ):
        """Run in the background (scale-out: one load per server); join() later."""
        box: dict = {}
        conns = connections or self.connections
        thr = min(threads or self.threads, conns)

        def target():
            box["result"] = self._once(
                url, tokens_file, duration or self.duration, conns, thr
            )

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        return thread, box

    # -- one run ------------------------------------------------------------
    def _once(self, url, tokens_file, duration, conns, thr) -> LoadResult:
        if self.use_wrk:
            return self._wrk(url, tokens_file, duration, conns, thr)
        return python_load(url, tokens_file, duration, conns)

    def _wrk(self, url, tokens_file, duration, conns, thr) -> LoadResult:
        argv = [
            "wrk",
            f"-t{thr}",
            f"-c{conns}",
            f"-d{max(int(round(duration)), 1)}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(WRK_SCRIPT),
            url,
        ]
        if tokens_file is not None:
            argv += ["--", "post", str(tokens_file)]
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=duration + 60
        )
        line = next(
            (ln for ln in proc.stdout.splitlines() if ln.startswith("BENCHJSON ")),
            None,
        )
        if line is None:
            raise RuntimeError(f"wrk failed: {proc.stdout}\n{proc.stderr}")
        data = json.loads(line.removeprefix("BENCHJSON "))
        seconds = data["duration_us"] / 1e6
        errors = sum(
            data[k]
            for k in (
                "connect_errors",
                "read_errors",
                "write_errors",
                "status_errors",
                "timeouts",
            )
        )
        ok = data["requests"] - data["status_errors"]
        return LoadResult(
            name="",
            requests=data["requests"],
            seconds=seconds,
            rps=ok / seconds if seconds else 0.0,
            p50_ms=data["p50_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            errors=errors,
        )


def python_load(url, tokens_file, duration, conns) -> LoadResult:
    """Closed-loop load from threads with keep-alive sessions (fallback only)."""
    tokens = tokens_file.read_text().split() if tokens_file else []
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration
    counter = iter(range(10**9))

    def client(n: int):
        session = requests.Session()
        mine = []
        while time.monotonic() < stop_at:
            i = next(counter)
            t0 = time.perf_counter()
            try:
                if tokens:
                    resp = session.post(
                        url,
                        json={"gateway": "esewa"},
                        headers={
                            "Authorization": f"Bearer {tokens[i % len(tokens)]}",
                            "Idempotency-Key": f"py-{time.time_ns()}-{n}-{i}",
                        },
                        timeout=10,
                    )
                else:
                    resp = session.get(url, timeout=10)
                good = resp.status_code < 400
            except requests.RequestException:
                good = False
            mine.append(time.perf_counter() - t0)
            if not good:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(n,)) for n in range(conns)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.monotonic() - started
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return LoadResult(
        name="",
        requests=len(latencies),
        seconds=seconds,
        rps=(len(latencies) - errors[0]) / seconds,
        p50_ms=q[49] * 1000,
        p99_ms=q[98] * 1000,
        errors=errors[0],
        tool="python",
    )
