"""Jobs for the worker-class scenarios (tests/reliability/test_worker_class.py)."""

from __future__ import annotations

import time


def outlive_timeout(seconds: float) -> str:
    """Runs longer than the timeout it is enqueued with; the worker must stop it."""
    time.sleep(seconds)
    return "ran to the end"


def quick(tag: str) -> str:
    """A job that does nothing but finish: its end time shows the worker's order."""
    return tag
