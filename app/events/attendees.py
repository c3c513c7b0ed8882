"""The buyer corrects attendee names, until the organizer's cut-off.

The cut-off is `Event.attendee_edit_until` (UTC), or the event's start when the
organizer set none. Only names change: the email a ticket went to stays, so a
ticket cannot be redirected to someone else after it was sent.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from app.catalog.models import Event
from app.db import utcnow
from app.events.models import Ticket
from app.services_errors import Conflict, ServiceError

NAME_MAX = 120


def edit_deadline(event: Event) -> dt.datetime:
    return event.attendee_edit_until or event.starts_at


def can_edit(event: Event | None, now: dt.datetime | None = None) -> bool:
    return event is not None and (now or utcnow()) < edit_deadline(event)


def rename(event: Event, tickets: list[Ticket], names: dict[int, str], now=None) -> int:
    """Set the names given per ticket id; returns how many changed."""
    if not can_edit(event, now):
        raise Conflict(
            "NAME_CHANGES_CLOSED",
            _("Attendee names can no longer be changed for this event."),
        )
    changed = 0
    for ticket in tickets:
        if ticket.voided_at is not None or ticket.id not in names:
            continue
        name = " ".join(names[ticket.id].split())
        if not name or len(name) > NAME_MAX:
            raise ServiceError(
                "VALIDATION_ERROR",
                _(
                    "Each name is required and at most %(max)s characters.",
                    max=NAME_MAX,
                ),
                400,
                {f"name-{ticket.id}": "length"},
            )
        if name != ticket.attendee_name:
            ticket.attendee_name = name
            changed += 1
    return changed
