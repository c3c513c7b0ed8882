"""Driving the organizer's set-up pages in a browser (Playwright): shared by the
browser stories of issue #17 (set-up here; buying and check-in extend it)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

TOKYO = "Asia/Tokyo"


@dataclass(frozen=True)
class TicketTypeSpec:
    name: str
    price: str  # as typed, in major units
    quantity: int
    max_per_order: int | None = None


DEFAULT_TYPES = (
    TicketTypeSpec("General", "3000", 50),
    TicketTypeSpec("VIP", "8000", 10),
)


def create_event_via_ui(
    page,
    title: str = "Kyoto Tech Night",
    *,
    venue: str = "Kyoto Hall",
    days_ahead: int = 30,
    timezone: str = TOKYO,
    currency: str = "JPY",
    ticket_types: tuple[TicketTypeSpec, ...] = DEFAULT_TYPES,
    publish: bool = True,
) -> int:
    """Create an event from the dashboard's "New event" button (the signed-in
    user must be an owner or manager), add the ticket types, publish it, and
    return its id. The page ends on the event's set-up page."""
    page.goto("/organizer/")
    page.click("#new-event")
    page.fill("#title", title)
    page.fill("#venue", venue)
    page.fill("#description", f"{title}: talks and networking.")
    page.select_option("#timezone", timezone)
    day = dt.date.today() + dt.timedelta(days=days_ahead)
    page.fill("#starts_at", f"{day}T18:00")
    page.fill("#ends_at", f"{day}T21:00")
    page.select_option("#currency", currency)
    page.click("#create-event")
    page.wait_for_url(re.compile(r"/organizer/events/\d+/setup$"))
    event_id = int(re.search(r"/events/(\d+)/setup", page.url)[1])
    for spec in ticket_types:
        page.click("#add-ticket-type")
        page.fill("#name", spec.name)
        page.fill("#price", spec.price)
        page.fill("#quantity_total", str(spec.quantity))
        if spec.max_per_order:
            page.fill("#max_per_order", str(spec.max_per_order))
        page.click("#save-ticket-type")
        page.wait_for_url(re.compile(rf"/organizer/events/{event_id}/setup$"))
    if publish:
        page.click("#publish-event")
        page.wait_for_url(re.compile(rf"/organizer/events/{event_id}/setup$"))
    return event_id
