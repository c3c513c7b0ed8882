"""Where the CPU went during a measurement: machine busy % and a split by process.

A sampler thread reads /proc twice a second. Each live process contributes the
growth of its own time; a process's "children" time (forked RQ work horses and
PostgreSQL backends too short-lived to be sampled) counts for its parent, minus
what was already counted for children that were sampled before they exited.
Processes are attributed by session: everything the bench started runs in its
own session (see bench/procs.py), so other work on the machine shows as "other".
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
SESSIONS: dict[int, str] = {}  # session id -> group, filled by bench/procs.py
DATABASE = ["storefront_bench"]  # backends of this database count as "postgres"


def _machine() -> tuple[int, int]:
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in parts]
    return sum(values[:8]), values[3] + values[4]  # total, idle + iowait


def _group(pid: str, comm: str, sid: int) -> str:
    if sid in SESSIONS:
        return SESSIONS[sid]
    if comm == "wrk":
        return "load tool"
    if comm.startswith("postgres"):
        # "postgres: [cluster:] user db host(port) state": other databases
        # backends are other work
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                title = fh.read().decode(errors="replace").split()
        except OSError:
            return "other"
        host = [i for i, t in enumerate(title) if t.endswith(")") or t == "[local]"]
        if host and host[0] >= 1:  # a backend: the database precedes the client
            return "postgres" if title[host[0] - 1] == DATABASE[0] else "other"
        return "postgres"  # the postmaster and its helpers (WAL writer, ...)
    if comm.startswith("redis"):
        return "redis"
    if sid == os.getsid(0):
        return "bench driver"
    return "other"


def _snapshot() -> dict[int, tuple[str, int, int, int]]:
    """pid -> (group, ppid, own ticks, reaped children's ticks)."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        rest = stat.rsplit(")", 1)[1].split()
        ppid, sid = int(rest[1]), int(rest[3])
        own = int(rest[11]) + int(rest[12])
        children = int(rest[13]) + int(rest[14])
        out[int(entry.name)] = (_group(entry.name, comm, sid), ppid, own, children)
    return out


@dataclass
class CpuSample:
    seconds: float = 0.0
    busy_pct: float = 0.0
    by_group: dict[str, float] = field(default_factory=dict)  # % of one core

    def summary(self) -> str:
        parts = sorted(self.by_group.items(), key=lambda kv: -kv[1])
        split = ", ".join(f"{name} {pct:.0f}%" for name, pct in parts if pct >= 1)
        return f"machine {self.busy_pct:.0f}% busy ({split}; 100% = one core)"


class CpuMeter:
    """Start on creation; `stop()` returns the sample."""

    def __init__(self, interval: float = 0.5):
        self.interval = interval
        self.groups: dict[str, float] = {}
        self.first = _snapshot()
        self.last = dict(self.first)
        self.start_machine = _machine()
        self.start_wall = time.monotonic()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stopping.wait(self.interval):
            self._step()

    def _add(self, group: str, ticks: float) -> None:
        self.groups[group] = self.groups.get(group, 0.0) + ticks

    def _step(self) -> None:
        now = _snapshot()
        for pid, (group, _ppid, own, children) in now.items():
            old = self.last.get(pid)
            if old is None or old[0] != group:
                continue  # new since the last sample: its time counts from now
            self._add(group, (own - old[2]) + (children - old[3]))
        for pid, (_group_name, ppid, own, children) in self.last.items():
            if pid not in now and ppid in now:
                # reaped: its whole time lands in the parent's children time,
                # but the part seen while it lived was already counted
                self._add(now[ppid][0], -(own + children))
        self.last = now

    def stop(self) -> CpuSample:
        self.stopping.set()
        self.thread.join()
        self._step()
        wall = time.monotonic() - self.start_wall
        total, idle = _machine()
        d_total = max(total - self.start_machine[0], 1)
        busy = 100.0 * (1 - (idle - self.start_machine[1]) / d_total)
        scale = 100.0 / (TICKS * max(wall, 1e-6))
        groups = {
            k: max(v, 0.0) * scale for k, v in self.groups.items() if k != "other"
        }
        # "other" is what the machine did besides the bench: the remainder of
        # the busy time (other processes' reaped children make a direct count
        # unreliable).
        cores = os.cpu_count() or 1
        groups["other"] = max(busy * cores - sum(groups.values()), 0.0)
        return CpuSample(seconds=wall, busy_pct=busy, by_group=groups)
