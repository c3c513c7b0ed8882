"""The outbox event lifecycle: pending until its handler ran (completed) or gave
up after the last transport retry (failed); a person may redrive a failed one."""

from __future__ import annotations

from enum import StrEnum

from app.lifecycle import Lifecycle


class EventStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


# Done with, one way or the other: kept for the retention window, then deleted.
FINISHED_EVENT_STATUSES = frozenset({EventStatus.COMPLETED, EventStatus.FAILED})

EVENT_LIFECYCLE: Lifecycle[EventStatus] = Lifecycle(
    "outbox event",
    {
        "complete": ({EventStatus.PENDING}, EventStatus.COMPLETED),
        "give_up": ({EventStatus.PENDING}, EventStatus.FAILED),
        "redrive": ({EventStatus.FAILED}, EventStatus.PENDING),
    },
)
