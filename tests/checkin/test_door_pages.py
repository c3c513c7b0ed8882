"""The check-in page, the door overview, the offline gate page and the buyer's
attendee-name form: who may open them, what a scan shows, CSRF."""

from __future__ import annotations

import datetime as dt

from app.db import utcnow
from app.events.models import Ticket
from app.extensions import db
from tests.checkin.conftest import DEMO_PASSWORD, tickets_of
from tests.organizer.conftest import make_order
from tests.support.factories import PASSWORD


def login(client, email, password=PASSWORD):
    resp = client.post("/login", data={"email": email, "password": password})
    assert resp.status_code == 302


def test_scan_page_admits_once_and_says_why_not(client, door, bought):
    login(client, door.organizer.email, DEMO_PASSWORD)
    url = f"/organizer/events/{door.event.id}/checkin"
    page = client.get(url)
    assert page.status_code == 200 and 'id="scan-form"' in page.get_data(as_text=True)
    ticket = bought[1][0]
    ok = client.post(url, data={"code": ticket.code.lower(), "gate": "East"})
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and 'data-result="checked_in"' in html
    assert "scan-ok" in html and ticket.attendee_name in html
    assert door.types[0].name in html
    again = client.post(url, data={"code": ticket.code, "gate": "West"})
    html = again.get_data(as_text=True)
    assert 'data-result="already_checked_in"' in html and "scan-bad" in html
    assert "East" in html  # where it was first scanned
    (refunded,) = tickets_of(make_order(door.types, {0: 1}, status="refunded"))
    html = client.post(url, data={"code": refunded.code}).get_data(as_text=True)
    assert 'data-result="refunded"' in html
    html = client.post(url, data={"code": "ZZZZ"}).get_data(as_text=True)
    assert 'data-result="unknown"' in html
    bad = client.post(url, data={"code": "!!"})
    assert bad.status_code == 400
    for path in ("/offline", "/list"):
        assert client.get(url + path).status_code == 200
    overview = client.get(f"/organizer/events/{door.event.id}/door")
    assert overview.status_code == 200
    counts = client.get(f"{url}/counts").get_json()["data"]
    assert counts[0] == {"ticketType": door.types[0].name, "sold": 2, "checkedIn": 1}


def test_door_pages_are_404_for_others(client, door, factory):
    stranger = factory.user(role="organizer", email="other-org@example.com")
    customer = factory.user(email="cust@example.com")
    base = f"/organizer/events/{door.event.id}"
    pages = (
        "/checkin",
        "/checkin/offline",
        "/door",
        "/checkin/counts",
        "/checkin/list",
    )
    for who in (stranger, customer):
        login(client, who.email)
        for path in pages:
            assert client.get(base + path).status_code == 404, (who.email, path)
        assert client.post(base + "/checkin", data={"code": "X"}).status_code == 404
        assert client.post(base + "/door/cutoff", data={}).status_code == 404
        client.post("/logout")
    assert client.get(base + "/checkin").status_code == 302  # log in first


def test_forms_need_a_csrf_token(app, client, door, bought, monkeypatch):
    login(client, door.organizer.email, DEMO_PASSWORD)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    base = f"/organizer/events/{door.event.id}"
    code = bought[1][0].code
    assert client.post(base + "/checkin", data={"code": code}).status_code == 400
    assert client.post(base + "/door/cutoff", data={}).status_code == 400
    resp = client.post(
        base + "/checkin/offline/scans",
        json={"scans": [{"code": code, "scannedAt": "2026-01-01T00:00:00Z"}]},
    )
    assert resp.status_code == 400
    db.session.rollback()
    assert db.session.get(Ticket, bought[1][0].id).checked_in_at is None


def test_the_organizer_sets_the_cut_off_and_the_buyer_corrects_names(
    client, door, bought
):
    order, tickets = bought
    base = f"/events/orders/{order.public_id}/attendees"
    key = {"key": order.order_key}
    page = client.get(base, query_string=key)
    assert page.status_code == 200 and 'id="names-form"' in page.get_data(as_text=True)
    assert client.get(base, query_string={"key": "wrong"}).status_code == 404
    resp = client.post(
        base,
        query_string=key,
        data={f"name-{tickets[0].id}": "  Kenji   Mori-Tanaka ", "name-999999": "X"},
    )
    assert resp.status_code == 303
    db.session.rollback()
    assert db.session.get(Ticket, tickets[0].id).attendee_name == "Kenji Mori-Tanaka"
    assert db.session.get(Ticket, tickets[1].id).attendee_name == "Kenji Mori 2"
    resp = client.post(base, query_string=key, data={f"name-{tickets[1].id}": ""})
    assert resp.status_code == 400

    # The organizer closes name changes (a time in the event's own zone).
    login(client, door.organizer.email, DEMO_PASSWORD)
    past = (utcnow() - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(
        f"/organizer/events/{door.event.id}/door/cutoff", data={"until": past}
    )
    assert resp.status_code == 303
    db.session.rollback()
    assert door.event.attendee_edit_until is not None
    client.post("/logout")
    closed = client.get(base, query_string=key).get_data(as_text=True)
    assert 'id="names-closed"' in closed
    resp = client.post(base, query_string=key, data={f"name-{tickets[1].id}": "New"})
    assert resp.status_code == 409
    db.session.rollback()
    assert db.session.get(Ticket, tickets[1].id).attendee_name == "Kenji Mori 2"
