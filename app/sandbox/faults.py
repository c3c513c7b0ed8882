"""Fault modes: a gateway that is down (`fail`) or slow (`hang`).

Each simulator keeps its own mode in Redis, switched over HTTP by tests and from
its index page, so a test can take one gateway down while the others keep
answering. The modes touch only the server-to-server API: hosted pages a
customer sees keep working, as they do when a real gateway's API has an outage.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import TypeVar

from flask import current_app

from app.sandbox import kv

E = TypeVar("E", bound=StrEnum)


class FaultMode(StrEnum):
    OK = "ok"
    FAIL = "fail"  # the API answers 503 in the gateway's error shape
    HANG = "hang"  # the API sleeps SANDBOX_HANG_SECONDS before answering


def get(key: str, kind: type[E], default: E) -> E:
    """The stored mode, or `default` when none (or an unknown one) is stored."""
    raw = kv.conn().get(key)
    try:
        return kind(raw.decode()) if raw else default
    except ValueError:
        return default


def put(key: str, mode: StrEnum) -> None:
    kv.conn().set(key, str(mode))


def parse(kind: type[E], value: object) -> E | None:
    """A mode from request input, or None when it is not one of `kind`."""
    try:
        return kind(str(value))
    except ValueError:
        return None


def choices(kind: type[StrEnum]) -> str:
    return ", ".join(member.value for member in kind)


def hang() -> None:
    """Hold the request as a gateway under load would (tests shorten it)."""
    time.sleep(float(current_app.config.get("SANDBOX_HANG_SECONDS", 30)))
