"""Event-side states: whether a ticket type is on sale, and waiting-list entries.

Columns stay strings; the sets other code asks about are defined here once.
"""

from __future__ import annotations

from enum import StrEnum

from app.lifecycle import Lifecycle


class SaleState(StrEnum):
    """Computed, never stored: from the sales window, the event and its flags."""

    ON_SALE = "on_sale"
    NOT_STARTED = "not_started"
    CLOSED = "closed"  # the window ended, or the event did
    PAUSED = "paused"  # the organizer paused the event's sales
    CANCELLED = "cancelled"  # the event was cancelled


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # a ticket is held for them until the offer expires
    CLAIMED = "claimed"  # they ordered the held ticket
    EXPIRED = "expired"  # the offer ran out; the ticket went to the next person
    LEFT = "left"  # they left the list (or the event was cancelled)


# Still in the queue or holding a ticket.
LIVE_WAITLIST_STATUSES = frozenset({WaitlistStatus.WAITING, WaitlistStatus.OFFERED})

WAITLIST_LIFECYCLE: Lifecycle[WaitlistStatus] = Lifecycle(
    "waitlist entry",
    {
        "offer": ({WaitlistStatus.WAITING}, WaitlistStatus.OFFERED),
        "claim": ({WaitlistStatus.OFFERED}, WaitlistStatus.CLAIMED),
        "expire": ({WaitlistStatus.OFFERED}, WaitlistStatus.EXPIRED),
        "leave": (
            {WaitlistStatus.WAITING, WaitlistStatus.OFFERED},
            WaitlistStatus.LEFT,
        ),
    },
)
