"""Issue #17's 'done when' at the door, in Chromium with a real worker process:
a customer buys two tickets for two attendees, each attendee receives their own
ticket email (SMTP sink), and check-in staff admit one of them on a 390 px wide
screen by typing the code and pressing Enter (as a keyboard-wedge scanner does).

The organizer creates the event and its two ticket types in the browser, on a
phone-sized screen (tests/support/organizer_ui); the door is worked by a member
whose only role is check-in.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.catalog.models import Event
from app.events.models import Ticket
from tests.conftest import wait_for
from tests.e2e.axe import install, overflow, violations
from tests.e2e.conftest import login
from tests.e2e.test_event_browser import fill_tickets
from tests.organizer.conftest import make_order
from tests.support.factories import PASSWORD
from tests.support.organizer_ui import create_event_via_ui

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def own_ticket_mail(smtp_sink, to):
    return [m for m in smtp_sink.to(to) if str(m["Subject"]).startswith("Your ticket ")]


def test_two_attendees_get_their_tickets_and_one_is_admitted(
    browser, live_url, page, factory, worker, db, smtp_sink
):
    factory.payment_methods()
    organizer = factory.user(role="organizer", email="org@example.com")
    # The organizer creates the event with two ticket types, on a phone.
    setup = browser.new_context(base_url=live_url, viewport=PHONE)
    setup.set_default_timeout(20000)
    try:
        organizer_page = setup.new_page()
        login(organizer_page, organizer.email, PASSWORD)
        event_id = create_event_via_ui(organizer_page, "Kyoto Tech Night")
    finally:
        setup.close()
    db.session.rollback()
    event = db.session.get(Event, event_id)
    general, _vip = sorted(event.ticket_types, key=lambda t: t.id)
    assert (general.name, _vip.name) == ("General", "VIP")
    # A member of the organization with the check-in role only (the door).
    staff = factory.member(event, "check_in", email="door@example.com")

    # The customer buys two tickets for two attendees, by card.
    page.goto(f"/events/{event.id}")
    fill_tickets(page, general, 2, "Guest")
    page.fill("input[name=customer_name]", "Paying Customer")
    page.fill("input[name=customer_email]", "payer@example.com")
    page.check("#method-komoju_card")
    page.click("#buy-tickets")
    page.wait_for_url("**/_sandbox/komoju/sessions/**")
    page.click("#komoju-credit_card-capture")
    page.wait_for_url("**/events/orders/**")
    page.wait_for_selector("#tickets", timeout=30000)

    # Each attendee receives their own ticket email with their QR code.
    db.session.rollback()
    tickets = {t.attendee_email: t for t in db.session.scalars(select(Ticket))}
    assert set(tickets) == {"guest1@example.com", "guest2@example.com"}
    for address, ticket in tickets.items():
        (mail,) = wait_for(lambda a=address: own_ticket_mail(smtp_sink, a), timeout=30)
        text = mail.get_body(("plain",)).get_content()
        assert ticket.code in text and ticket.attendee_name in text
        others = [t.code for t in tickets.values() if t is not ticket]
        assert not any(code in text for code in others)
        pngs = [
            p for p in mail.iter_attachments() if p.get_content_type() == "image/png"
        ]
        assert len(pngs) == 1 and pngs[0].get_content().startswith(b"\x89PNG")

    # At the door, on a phone-sized screen.
    context = browser.new_context(base_url=live_url, viewport=PHONE)
    context.set_default_timeout(20000)
    install(context)
    door = context.new_page()
    try:
        door.goto("/login")
        door.fill("input[name=email]", staff.email)
        door.fill("input[name=password]", PASSWORD)
        door.click("#content button[type=submit]")
        door.wait_for_url("**/")
        door.goto(f"/organizer/events/{event.id}/checkin")
        assert overflow(door)[0] <= 0
        assert violations(door) == []
        first = tickets["guest1@example.com"]
        door.fill("#gate", "North door")
        door.fill("#code", first.code.lower())  # a scanner types, then Enter
        door.press("#code", "Enter")
        door.wait_for_selector("#scan-result.scan-ok")
        result = door.inner_text("#scan-result")
        assert first.attendee_name in result and general.name in result
        assert door.inner_text("#counts tbody tr:first-child [data-in]") == "1"
        assert overflow(door)[0] <= 0
        assert violations(door) == []

        door.fill("#code", first.code)
        door.press("#code", "Enter")
        door.wait_for_selector("#scan-result.scan-bad")
        assert "North door" in door.inner_text("#scan-result")
        assert violations(door) == []
    finally:
        context.close()
    db.session.rollback()
    admitted = db.session.get(Ticket, first.id)
    assert admitted.checked_in_gate == "North door"
    other = tickets["guest2@example.com"]
    assert db.session.get(Ticket, other.id).checked_in_at is None


def test_an_offline_gate_scans_without_network_and_uploads_later(
    browser, live_url, factory, db
):
    """The gate downloads the signed list, keeps admitting with the network
    down (the list is verified with a non-extractable key on the device), and
    its admissions reach the server when it is back online."""
    event, types = factory.event(quantities=(50, 10))
    staff = factory.member(event, "check_in", email="gate@example.com")
    order = make_order(types, {0: 2}, name="Offline Guest")
    first, second = db.session.scalars(
        select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.id)
    ).all()
    context = browser.new_context(base_url=live_url, viewport=PHONE)
    context.set_default_timeout(20000)
    install(context)
    gate = context.new_page()
    try:
        gate.goto("/login")
        gate.fill("input[name=email]", staff.email)
        gate.fill("input[name=password]", PASSWORD)
        gate.click("#content button[type=submit]")
        gate.wait_for_url("**/")
        gate.goto(f"/organizer/events/{event.id}/checkin/offline")
        gate.click("#download")
        gate.wait_for_selector("#gate-app[data-ready='1']")
        assert violations(gate) == []

        context.set_offline(True)
        gate.fill("#offline-gate", "Side door")
        gate.fill("#offline-code", first.code)
        gate.press("#offline-code", "Enter")
        gate.wait_for_selector("#offline-result.scan-ok")
        assert first.attendee_name in gate.inner_text("#offline-result")
        gate.fill("#offline-code", first.code)
        gate.press("#offline-code", "Enter")
        gate.wait_for_selector("#offline-result.scan-bad")
        gate.fill("#offline-code", "NOTATICKET")
        gate.press("#offline-code", "Enter")
        gate.wait_for_selector("#offline-result.scan-bad")
        assert overflow(gate)[0] <= 0
        assert violations(gate) == []

        # A list edited on the device is refused after a reload.
        key = f"door-list-{event.id}"
        gate.evaluate(
            """key => { const s = JSON.parse(localStorage.getItem(key));
               s.list = s.list.replace('"valid"', '"refunded"');
               localStorage.setItem(key, JSON.stringify(s)); }""",
            key,
        )
        context.set_offline(False)
        gate.click("#upload")
        expect(gate.locator("#pending")).to_have_text(
            re.compile(r"\b0$"), timeout=20000
        )
        gate.reload()
        altered = gate.get_attribute("#gate-app", "data-t-altered")
        expect(gate.locator("#list-state")).to_have_text(altered, timeout=20000)
        assert gate.get_attribute("#gate-app", "data-ready") is None
        gate.fill("#offline-code", second.code)
        gate.press("#offline-code", "Enter")
        gate.wait_for_selector("#offline-result.scan-bad")
    finally:
        context.close()
    db.session.rollback()
    assert db.session.get(Ticket, first.id).checked_in_gate == "Side door"
    assert db.session.get(Ticket, second.id).checked_in_at is None
