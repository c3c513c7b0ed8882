"""The shape every state table shares: event -> (allowed from-states, to-state).

Each lifecycle (order, payment, shipping, enrollment, outbox event, email) has one
states module that declares its statuses as a `StrEnum` and its moves as one
`Lifecycle`. The functions that apply a move to the database (conditional
UPDATEs, see `app.conditional.guarded_update`) read the table from there, so the
table is the one place that says what may happen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Generic, TypeVar

S = TypeVar("S", bound=StrEnum)


class IllegalTransition(Exception):
    """A move the table does not allow from the current state."""

    def __init__(self, kind: str, event: str, current: str | None):
        super().__init__(f"cannot {event} a {kind} that is {current}")
        self.kind = kind
        self.event = event
        self.current = current


class Lifecycle(Generic[S]):
    """One state table. `None` as a from-state means "not started yet"."""

    def __init__(
        self, kind: str, moves: Mapping[str, tuple[Iterable[S | None], S]]
    ) -> None:
        self.kind = kind
        self.moves: dict[str, tuple[frozenset[S | None], S]] = {
            event: (frozenset(sources), target)
            for event, (sources, target) in moves.items()
        }

    @property
    def events(self) -> tuple[str, ...]:
        return tuple(self.moves)

    def sources(self, event: str) -> frozenset[S | None]:
        """The states `event` may start from (KeyError for an unknown event)."""
        return self.moves[event][0]

    def target(self, event: str) -> S:
        return self.moves[event][1]

    def next(self, current: str | None, event: str) -> S:
        """The state after `event`, or IllegalTransition if it may not happen now."""
        sources, target = self.moves[event]
        if current not in sources:
            raise IllegalTransition(self.kind, event, current)
        return target
