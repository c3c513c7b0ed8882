"""The soak's table: operations, faults per class, each invariant expected/actual.

Printed to stdout and written into docs/soak.md below its marker line, so the
prose above it (what the soak does, how to run it) stays as written.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from soak.faults import CLASSES

MARKER = "<!-- soak:result (written by `make soak`; everything below is replaced) -->"


@dataclass
class Result:
    settings: object
    schema: str
    started_at: dt.datetime
    ops: Counter
    faults: Counter
    rows: list
    settle_seconds: float
    logs: str
    fault_errors: list = field(default_factory=list)


def needed_per_class(seconds: int) -> int:
    return 3 if seconds >= 300 else 1


def enough_faults(r: Result) -> bool:
    need = needed_per_class(r.settings.seconds)
    return all(r.faults.get(c, 0) >= need for c in CLASSES)


def render(r: Result) -> str:
    s = r.settings
    out = [
        f"Run of {r.started_at:%Y-%m-%d %H:%M} UTC: {s.seconds} s of load, "
        f"{s.clients} concurrent customers and the organizer, seed {s.seed}; "
        f"settled in {r.settle_seconds:.0f} s (limit {s.settle} s). "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"schema by {r.schema}.",
        "",
        "| Operation | ok | refused (4xx) | unavailable (fault) | total |",
        "|---|---:|---:|---:|---:|",
    ]
    flows = sorted({f for f, _o in r.ops})
    for flow in flows:
        counts = {o: n for (f, o), n in r.ops.items() if f == flow}
        ok, ref, un = (counts.get(k, 0) for k in ("ok", "refused", "unavailable"))
        other = sum(counts.values()) - ok - ref - un
        note = f" (+{other} other)" if other else ""
        out.append(f"| {flow}{note} | {ok} | {ref} | {un} | {sum(counts.values())} |")
    need = needed_per_class(s.seconds)
    out += ["", "| Fault injected | times | needed |", "|---|---:|---:|"]
    for c in CLASSES:
        out.append(f"| {c} | {r.faults.get(c, 0)} | ≥ {need} |")
    for err in r.fault_errors:
        out.append(f"\nFault that could not be injected: `{err}`")
    out += [
        "",
        "| Group | Invariant | expected | actual | |",
        "|---|---|---:|---:|---|",
    ]
    for row in r.rows:
        mark = "ok" if row.ok else "**FAIL**"
        out.append(
            f"| {row.group} | {row.name} | {row.expected} | {row.actual} | {mark} |"
        )
    verdict = all(row.ok for row in r.rows) and enough_faults(r)
    out += ["", f"Result: **{'PASS' if verdict else 'FAIL'}** (logs: `{r.logs}`)."]
    return "\n".join(out) + "\n"


def write(r: Result, text: str, path: Path) -> None:
    """Replace what follows the marker; a run shorter than the documented 300 s
    (CI's 60 s) leaves the file alone unless SOAK_WRITE_DOCS=1."""
    if r.settings.seconds < 300 and os.environ.get("SOAK_WRITE_DOCS") != "1":
        return
    head = path.read_text() if path.exists() else f"# Chaos soak\n\n{MARKER}\n"
    if MARKER not in head:
        head += f"\n{MARKER}\n"
    path.write_text(head.split(MARKER)[0] + MARKER + "\n\n" + text)
