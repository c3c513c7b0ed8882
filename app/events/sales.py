"""Sales windows: when a ticket type may be bought, and hidden types.

A type is on sale inside its window (`sales_start_at` … `sales_end_at`, either
end open) and never after the event ends; a paused or cancelled event sells
nothing. Checkout refuses with 409 and a code the client can act on:
`SALES_NOT_STARTED` (with `opensAt`), `SALES_CLOSED` (with `closedAt`),
`SALES_PAUSED`, `EVENT_CANCELLED`.
"""

from __future__ import annotations

import datetime as dt
import hmac

from flask_babel import gettext as _

from app.catalog.models import Event, TicketType
from app.db import utcnow
from app.events.states import SaleState
from app.services_errors import Conflict


def closes_at(ticket_type: TicketType) -> dt.datetime:
    """When sales end: the window's end, and at the latest the event's end."""
    end = ticket_type.event.ends_at
    if ticket_type.sales_end_at is not None:
        end = min(end, ticket_type.sales_end_at)
    return end


def sale_state(ticket_type: TicketType, now: dt.datetime | None = None) -> SaleState:
    now = now or utcnow()
    event = ticket_type.event
    if event.cancelled_at is not None:
        return SaleState.CANCELLED
    if event.sales_paused:
        return SaleState.PAUSED
    if ticket_type.sales_start_at is not None and now < ticket_type.sales_start_at:
        return SaleState.NOT_STARTED
    if now >= closes_at(ticket_type):
        return SaleState.CLOSED
    return SaleState.ON_SALE


def _iso(value: dt.datetime) -> str:
    return value.isoformat() + "Z"


def check_on_sale(types: list[TicketType], now: dt.datetime | None = None) -> None:
    """Raise 409 for the first type (by id) that is not on sale."""
    for t in sorted(types, key=lambda t: t.id):
        state = sale_state(t, now)
        details = {"ticketTypeId": t.id, "ticketType": t.name}
        if state == SaleState.CANCELLED:
            raise Conflict(
                "EVENT_CANCELLED", _("This event was cancelled."), details=details
            )
        if state == SaleState.PAUSED:
            raise Conflict(
                "SALES_PAUSED",
                _("Ticket sales for this event are paused."),
                details=details,
            )
        if state == SaleState.NOT_STARTED:
            raise Conflict(
                "SALES_NOT_STARTED",
                _("Sales of '%(name)s' tickets have not started yet.", name=t.name),
                details=details | {"opensAt": _iso(t.sales_start_at)},
            )
        if state == SaleState.CLOSED:
            raise Conflict(
                "SALES_CLOSED",
                _("Sales of '%(name)s' tickets have closed.", name=t.name),
                details=details | {"closedAt": _iso(closes_at(t))},
            )


def unlocks(ticket_type: TicketType, code: str | None) -> bool:
    """A hidden type's own code (compared without case, in constant time)."""
    if not ticket_type.unlock_code or not code:
        return False
    return hmac.compare_digest(
        ticket_type.unlock_code.strip().upper().encode(),
        code.strip().upper().encode(),
    )


def visible_types(event: Event, code: str | None = None) -> list[TicketType]:
    """The types a buyer sees: every type that is not hidden, and hidden ones
    whose code they gave."""
    return [t for t in event.ticket_types if not t.hidden or unlocks(t, code)]
