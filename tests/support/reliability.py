"""Rows for docs/reliability.md: each scenario records what it injected, how many
operations ran, and expected vs actual counts. `make reliability` sets
RELIABILITY_REPORT; the rows are written there as JSON at the end of the run."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPORT = os.environ.get("RELIABILITY_REPORT")


@dataclass
class Row:
    scenario: str
    injected: str
    operations: int
    checks: dict[str, tuple[object, object]] = field(default_factory=dict)

    @property
    def held(self) -> bool:
        return all(expected == actual for expected, actual in self.checks.values())


_rows: list[Row] = []


@pytest.fixture
def report(request, db_backend):
    rows: list[Row] = []

    def record(scenario: str, injected: str, operations: int, **checks):
        row = Row(f"{scenario} [{db_backend}]", injected, operations, checks)
        rows.append(row)
        return row

    yield record
    _rows.extend(rows)


def write_report() -> None:
    if not REPORT or not _rows:
        return
    Path(REPORT).write_text(json.dumps([r.__dict__ for r in _rows], default=str))
