"""Issue #17 in a real browser: an organizer creates an event with two ticket
types on a phone-sized screen and publishes it; the public page sells both."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.catalog.models import Event
from app.extensions import db
from tests.e2e.conftest import login
from tests.support.factories import PASSWORD
from tests.support.organizer_ui import create_event_via_ui

pytestmark = pytest.mark.browser


def test_organizer_creates_an_event_with_two_ticket_types(page, factory):
    factory.payment_methods()
    organizer = factory.user(email="org@example.com", role="organizer")
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, organizer.email, PASSWORD)

    event_id = create_event_via_ui(page, "Kyoto Tech Night")

    assert "Published, on sale" in page.inner_text("#event-state")
    db.session.rollback()
    event = db.session.scalar(select(Event).where(Event.id == event_id))
    assert event.active and event.timezone == "Asia/Tokyo"
    assert [(t.name, t.price, t.quantity_total) for t in event.ticket_types] == [
        ("General", 3000, 50),
        ("VIP", 8000, 10),
    ]
    page.goto(f"/events/{event_id}")
    assert page.locator("tr[data-ticket-type]").count() == 2
    assert page.locator("#buy-tickets").is_visible()
    assert "Kyoto Tech Night" in page.inner_text("h1")
