"""Offline doors: the signed list, uploads, and conflicts resolved the same way
whatever order the gates upload in (issue #17)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from app.checkin import offline
from app.events.models import Ticket
from app.extensions import db
from tests.checkin.conftest import DEMO_PASSWORD, tickets_of
from tests.organizer.conftest import make_order
from tests.support.factories import PASSWORD


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_the_list_is_signed_and_a_forged_one_fails(api, door, bought):
    (refunded,) = tickets_of(make_order(door.types, {1: 1}, status="refunded"))
    api.login(door.organizer.email, DEMO_PASSWORD)
    resp = api.get(f"/api/organizer/events/{door.event.id}/checkin-list")
    assert resp.status_code == 200
    data = resp.get_json()["data"]
    key = base64.urlsafe_b64decode(data["key"] + "==")
    expected = hmac.new(key, data["list"].encode(), hashlib.sha256).digest()
    assert data["signature"] == _b64(expected)
    listed = json.loads(data["list"])
    assert listed["eventId"] == door.event.id
    status = {t["code"]: t["status"] for t in listed["tickets"]}
    assert status[bought[1][0].code] == "valid"
    assert status[refunded.code] == "refunded"
    assert offline.verify(door.event.id, data["list"], data["signature"])
    forged = data["list"].replace('"refunded"', '"valid"')
    assert not offline.verify(door.event.id, forged, data["signature"])
    # another event's key does not verify this list
    assert not offline.verify(door.other_event.id, data["list"], data["signature"])


def test_lists_and_uploads_are_404_for_other_organizers(api, door, factory):
    factory.user(role="organizer", email="x@example.com")
    api.login("x@example.com", PASSWORD)
    base = f"/api/organizer/events/{door.event.id}"
    assert api.get(base + "/checkin-list").status_code == 404
    assert api.post(base + "/checkin-scans", json={"scans": []}).status_code == 404


def _upload(api, door, gate, scans):
    resp = api.post(
        f"/api/organizer/events/{door.event.id}/checkin-scans",
        json={"gate": gate, "scans": scans},
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["data"]["results"]


@pytest.mark.parametrize("order", ["north-first", "south-first"])
def test_earliest_scan_wins_whatever_the_upload_order(api, door, bought, order):
    api.login(door.organizer.email, DEMO_PASSWORD)
    ticket = bought[1][0]
    north = ("North", [{"code": ticket.code, "scannedAt": "2026-01-05T10:00:05Z"}])
    south = ("South", [{"code": ticket.code, "scannedAt": "2026-01-05T10:00:01Z"}])
    first, second = (north, south) if order == "north-first" else (south, north)
    _upload(api, door, *first)
    _upload(api, door, *second)
    _upload(api, door, *first)  # uploaded twice: recorded once
    db.session.rollback()
    row = db.session.get(Ticket, ticket.id)
    assert (row.checked_in_gate, row.checked_in_at.isoformat()) == (
        "South",
        "2026-01-05T10:00:01",
    )
    (conflict,) = offline.conflicts(door.event)
    assert [s.gate for s in conflict.scans] == ["South", "North"]
    # the organizer sees it on the door overview
    api.client.post(
        "/login", data={"email": door.organizer.email, "password": DEMO_PASSWORD}
    )
    html = api.client.get(f"/organizer/events/{door.event.id}/door").get_data(
        as_text=True
    )
    assert ticket.code in html and "South" in html and "North" in html


def test_a_tie_goes_to_the_gate_name_that_sorts_first(api, door, bought):
    api.login(door.organizer.email, DEMO_PASSWORD)
    ticket = bought[1][0]
    same = "2026-01-05T10:00:00Z"
    _upload(api, door, "Gate B", [{"code": ticket.code, "scannedAt": same}])
    results = _upload(api, door, "Gate A", [{"code": ticket.code, "scannedAt": same}])
    assert results[0]["result"] == "checked_in"
    later = _upload(api, door, "Gate C", [{"code": ticket.code, "scannedAt": same}])
    assert later[0]["result"] == "already_checked_in"
    assert later[0]["gate"] == "Gate A"


def test_an_online_admission_after_an_earlier_offline_one_is_refused(api, door, bought):
    api.login(door.organizer.email, DEMO_PASSWORD)
    ticket = bought[1][1]
    _upload(
        api,
        door,
        "Offline",
        [{"code": ticket.code, "scannedAt": "2026-01-01T09:00:00Z"}],
    )
    resp = api.post("/api/organizer/checkins", json={"code": ticket.code})
    assert resp.status_code == 409
    assert resp.get_json()["error"]["details"]["gate"] == "Offline"


def test_bad_uploads_are_400(api, door, bought):
    api.login(door.organizer.email, DEMO_PASSWORD)
    url = f"/api/organizer/events/{door.event.id}/checkin-scans"
    code = bought[1][0].code
    for scans in (
        "x",
        [{"code": code}],
        [{"code": code, "scannedAt": "yesterday"}],
        [{"code": code, "scannedAt": "2026-01-01T00:00:00"}],  # no zone
        [{"code": code, "scannedAt": "2999-01-01T00:00:00Z"}],  # future
        [{"code": code, "scannedAt": "2026-01-01T00:00:00Z", "x": 1}],
        [5],
    ):
        resp = api.post(url, json={"scans": scans})
        assert resp.status_code == 400, (scans, resp.get_json())
