"""Render the rows recorded by `make reliability` as docs/reliability.md."""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from pathlib import Path


def cell(value) -> str:
    return str(value).replace("|", "\\|")


def render(rows: list[dict]) -> str:
    lines = [
        "# Reliability: what held under faults and races",
        "",
        "Produced by `make reliability` (PostgreSQL and Redis services, and SQLite),",
        f"last run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC} on "
        f"{platform.node()} ({platform.machine()}, "
        f"Python {platform.python_version()}).",
        "Each row is one scenario: what was injected, how many operations ran, and",
        "each checked count as expected / actual.",
        "",
        "| scenario | injected | ops | checks (expected / actual) | held |",
        "|---|---|---:|---|---|",
    ]
    for row in rows:
        checks = "<br>".join(
            f"{name}: {cell(exp)} / {cell(act)}"
            for name, (exp, act) in row["checks"].items()
        )
        held = all(exp == act for exp, act in row["checks"].values())
        lines.append(
            f"| {cell(row['scenario'])} | {cell(row['injected'])} | "
            f"{row['operations']} | {checks} | {'yes' if held else '**NO**'} |"
        )
    lines += [
        "",
        "The same run executes the attack suite (`tests/security`: CSRF on every",
        "form, another user's order, enrollment, ticket, session content and",
        "organizer pages, gateway returns not leaking order keys, returnUrl",
        "allow-list, rate limits, security headers and cookie flags, production",
        "refusing unsafe",
        "settings, no secrets in logs, oversized and NUL-carrying bodies, property",
        "tests of money and signature checks) and the schemathesis fuzzer over",
        "`/api/openapi.json` (`tests/fuzz`: no 500s, every JSON answer a",
        "ResponseDto). `make reliability` fails if any of them fails or any row",
        "above did not hold. The fast scenarios also run in CI on every submission",
        "(`make test`); the whole-worker SIGKILL scenario (about 90 s) runs only here.",
    ]
    return "\n".join(lines) + "\n"


def main(src: str, dst: str) -> int:
    path = Path(src)
    if not path.exists():
        print("no reliability rows were recorded", file=sys.stderr)
        return 1
    rows = json.loads(path.read_text())
    text = render(rows)
    Path(dst).write_text(text)
    print(text)
    return 0 if all(all(e == a for e, a in r["checks"].values()) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
