"""`POST /api/organizer/checkins` with the demo organizer's token (issue #17)."""

from __future__ import annotations

import requests
from sqlalchemy import func, select

from app.checkin.models import CheckinScan
from app.events.models import Ticket
from app.extensions import db
from tests.checkin.conftest import DEMO_PASSWORD, tickets_of
from tests.organizer.conftest import make_order
from tests.support.concurrency import run_threads
from tests.support.factories import PASSWORD


def test_checked_in_once_then_refused_with_the_first_time(api, door, bought):
    api.login(door.organizer.email, DEMO_PASSWORD)
    ticket = bought[1][0]
    first = api.post(
        "/api/organizer/checkins", json={"code": ticket.code, "gate": "North"}
    )
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert body["success"] is True and body["error"] is None
    data = body["data"]
    assert data["status"] == "checked_in"
    assert data["attendee"] == ticket.attendee_name
    assert data["ticketType"] == door.types[0].name
    assert data["gate"] == "North"

    again = api.post(
        "/api/organizer/checkins", json={"code": ticket.code.lower(), "gate": "South"}
    )
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert error["code"] == "ALREADY_CHECKED_IN"
    assert error["details"]["firstCheckedInAt"] == data["checkedInAt"]
    assert error["details"]["gate"] == "North"
    db.session.rollback()
    assert db.session.get(Ticket, ticket.id).checked_in_gate == "North"


def test_refusals_say_why(api, door, factory):
    api.login(door.organizer.email, DEMO_PASSWORD)
    refunded = make_order(door.types, {0: 1}, status="refunded")
    (ticket,) = tickets_of(refunded)
    resp = api.post("/api/organizer/checkins", json={"code": ticket.code})
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "TICKET_REFUNDED"

    paid = make_order(door.types, {0: 1})
    (voided,) = tickets_of(paid)
    voided.voided_at = voided.created_at
    db.session.commit()
    resp = api.post("/api/organizer/checkins", json={"code": voided.code})
    assert resp.get_json()["error"]["code"] == "TICKET_REFUNDED"

    (valid,) = tickets_of(make_order(door.types, {1: 1}))
    resp = api.post(
        "/api/organizer/checkins",
        json={"code": valid.code, "eventId": door.other_event.id},
    )
    assert resp.status_code == 404  # not the caller's event: nothing leaks

    resp = api.post("/api/organizer/checkins", json={"code": "NOPE0000"})
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "TICKET_NOT_FOUND"


def test_wrong_event_is_named_for_an_event_of_the_caller(api, door, factory):
    mine, types = factory.event(door.organizer)
    api.login(door.organizer.email, DEMO_PASSWORD)
    (ticket,) = tickets_of(make_order(types, {0: 1}))
    resp = api.post(
        "/api/organizer/checkins", json={"code": ticket.code, "eventId": door.event.id}
    )
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "WRONG_EVENT"


def test_other_organizers_and_customers_cannot_check_in(api, door, bought, factory):
    ticket = bought[1][0]
    stranger = factory.user(role="organizer", email="stranger@example.com")
    api.login(stranger.email, PASSWORD)
    resp = api.post("/api/organizer/checkins", json={"code": ticket.code})
    assert resp.status_code == 404
    customer = factory.user(email="someone@example.com")
    api.login(customer.email, PASSWORD)
    assert (
        api.post("/api/organizer/checkins", json={"code": ticket.code}).status_code
        == 404
    )
    api.token = None
    assert (
        api.post("/api/organizer/checkins", json={"code": ticket.code}).status_code
        == 401
    )
    db.session.rollback()
    assert db.session.get(Ticket, ticket.id).checked_in_at is None


def test_bad_input_is_a_clear_400(api, door):
    api.login(door.organizer.email, DEMO_PASSWORD)
    for body in (
        {},
        {"code": 5},
        {"code": "  "},
        {"code": "AB", "gate": 3},
        {"code": "AB", "extra": 1},
        {"code": "A" * 50},
        {"code": "AB", "gate": "g" * 65},
    ):
        resp = api.post("/api/organizer/checkins", json=body)
        assert resp.status_code == 400, (body, resp.get_json())
        assert resp.get_json()["error"]["code"] == "VALIDATION_ERROR"


def test_twenty_gates_at_once_admit_exactly_one(app, door, live_url):
    """20 concurrent check-ins of one fresh ticket: exactly one 200 (a conditional
    UPDATE decides; on PostgreSQL with TEST_DATABASE_URL)."""
    (ticket,) = tickets_of(make_order(door.types, {0: 1}))
    token = requests.post(
        f"{live_url}/api/auth/token",
        json={"email": door.organizer.email, "password": DEMO_PASSWORD},
        timeout=30,
    ).json()["data"]["token"]

    def scan(i: int):
        resp = requests.post(
            f"{live_url}/api/organizer/checkins",
            json={"code": ticket.code, "gate": f"gate-{i:02d}"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        return resp.status_code, resp.json()

    results = run_threads(scan, 20)
    statuses = sorted(status for status, _body in results)
    assert statuses == [200] + [409] * 19, statuses
    winner = next(body for status, body in results if status == 200)
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "ALREADY_CHECKED_IN"
            assert body["error"]["details"]["gate"] == winner["data"]["gate"]
    db.session.rollback()
    row = db.session.get(Ticket, ticket.id)
    assert row.checked_in_gate == winner["data"]["gate"]
    assert db.session.scalar(select(func.count(CheckinScan.id))) == 1


def test_every_member_role_works_the_door_but_only_owners_set_the_cut_off(
    api, client, door, factory
):
    for role in ("check_in", "staff", "manager", "owner"):
        member = factory.member(door.event, role, email=f"{role}@example.com")
        (ticket,) = tickets_of(make_order(door.types, {0: 1}))
        api.login(member.email, PASSWORD)
        resp = api.post("/api/organizer/checkins", json={"code": ticket.code})
        assert resp.status_code == 200, (role, resp.get_json())
        client.post("/login", data={"email": member.email, "password": PASSWORD})
        page = client.get(f"/organizer/events/{door.event.id}/checkin")
        assert page.status_code == 200, role
        cutoff = client.post(f"/organizer/events/{door.event.id}/door/cutoff", data={})
        assert cutoff.status_code == (403 if role in ("check_in", "staff") else 303)
        client.post("/logout")
    # a member of another organization sees nothing
    outsider = factory.member(door.other_event, "owner", email="out@example.com")
    (ticket,) = tickets_of(make_order(door.types, {0: 1}))
    api.login(outsider.email, PASSWORD)
    assert (
        api.post("/api/organizer/checkins", json={"code": ticket.code}).status_code
        == 404
    )
