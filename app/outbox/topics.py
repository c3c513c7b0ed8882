"""Which handler runs each outbox topic, on which queue.

`app.composition` lists the topics with the functions that handle them and
installs them on the app; the outbox looks them up here, so it never imports a
domain. A handler takes the event's payload as keyword arguments, flushes (the
job wrapper commits), and must be idempotent: an event may be delivered twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

_EXTENSION = "storefront.outbox_topics"


@dataclass(frozen=True)
class Topic:
    handler: Callable[..., Any]
    queue: str = "payments"


def install(app: Flask, topics: Mapping[str, Topic]) -> None:
    """Called once by `app.composition.wire`."""
    app.extensions[_EXTENSION] = dict(topics)


def _topics() -> dict[str, Topic]:
    return current_app.extensions[_EXTENSION]


def is_known(name: str) -> bool:
    return name in _topics()


def topic(name: str) -> Topic:
    try:
        return _topics()[name]
    except KeyError:
        raise ValueError(f"unknown outbox topic {name!r}") from None
