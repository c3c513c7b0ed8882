"""Organizers set up their own events: create, ticket types, publish, pause;
every change in the audit log with who made it; roles decide who may."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from app.admin.models import AuditLog
from app.catalog.models import Event, TicketType
from app.organizer.roles import Role
from tests.organizer.conftest import login, make_order


def _csrf(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _event_form(client, **over) -> dict:
    start = dt.date.today() + dt.timedelta(days=60)
    page = client.get("/organizer/events/new").get_data(as_text=True)
    data = {
        "csrf_token": _csrf(client, "/organizer/events/new"),
        "organization_id": re.search(
            r'name="organization_id" value="(\d+)"', page
        ).group(1),
        "title": "Kyoto Tech Night",
        "venue": "Kyoto Hall",
        "description": "Talks",
        "timezone": "Asia/Tokyo",
        "starts_at": f"{start}T18:00",
        "ends_at": f"{start}T21:00",
        "currency": "JPY",
    }
    data.update(over)
    return data


def _type_form(client, event_id: int, **over) -> dict:
    data = {
        "csrf_token": _csrf(client, f"/organizer/events/{event_id}/ticket-types/new"),
        "name": "General",
        "price": "3000",
        "quantity_total": "50",
    }
    data.update(over)
    return data


def _audit(db, action: str) -> list[AuditLog]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_organizer_creates_publishes_and_pauses_an_event(client, world, db):
    login(client, world.alice)
    resp = client.post("/organizer/events/new", data=_event_form(client))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    event_id = int(re.search(r"/events/(\d+)/setup", resp.headers["Location"])[1])
    event = db.session.get(Event, event_id)
    assert event.organization_id == world.event_a.organization_id
    assert not event.active  # unpublished until the organizer publishes it
    # 18:00 in Tokyo is 09:00 UTC.
    assert event.starts_at.time() == dt.time(9, 0)
    # Publishing without ticket types is refused.
    url = f"/organizer/events/{event_id}"
    client.post(f"{url}/publish", data={"csrf_token": _csrf(client, f"{url}/setup")})
    db.session.rollback()
    assert not db.session.get(Event, event_id).active

    for name, price, opens in (("General", "3000", ""), ("VIP", "8000", "")):
        form = _type_form(client, event_id, name=name, price=price)
        form["sales_start_at"] = opens
        resp = client.post(f"{url}/ticket-types/new", data=form)
        assert resp.status_code == 303, resp.get_data(as_text=True)
    resp = client.post(
        f"{url}/publish", data={"csrf_token": _csrf(client, f"{url}/setup")}
    )
    assert resp.status_code == 303
    db.session.rollback()
    event = db.session.get(Event, event_id)
    assert event.active and [t.price for t in event.ticket_types] == [3000, 8000]
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Kyoto Tech Night" in page and 'id="buy-tickets"' in page

    client.post(f"{url}/pause", data={"csrf_token": _csrf(client, f"{url}/setup")})
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Ticket sales are paused for now." in page

    for action in ("event.create", "ticket_type.create", "event.publish"):
        entries = _audit(db, action)
        assert entries and all(e.user_id == world.alice.id for e in entries), action
    assert _audit(db, "event.pause_sales")[0].user_id == world.alice.id


def test_edit_is_audited_and_refuses_bad_input(client, world, db):
    login(client, world.alice)
    url = f"/organizer/events/{world.event_a.id}"
    data = _event_form(client, title="Renamed")
    data["csrf_token"] = _csrf(client, f"{url}/setup")
    data["ends_at"] = data["starts_at"]  # ends when it starts
    resp = client.post(f"{url}/setup", data=data)
    assert resp.status_code == 422
    assert "must end after it starts" in resp.get_data(as_text=True)
    data["ends_at"] = data["starts_at"].replace("18:00", "22:00")
    assert client.post(f"{url}/setup", data=data).status_code == 303
    (entry,) = _audit(db, "event.update")
    assert (
        entry.user_id == world.alice.id
        and entry.target == f"Event#{url[-1:]}"
        or (entry.detail["title"][1] == "Renamed")
    )
    # Quantity below what is sold: refused, nothing changes.
    make_order(world.types_a, {1: 3})
    t = world.types_a[1]
    form = {
        "csrf_token": _csrf(client, f"{url}/ticket-types/{t.id}/edit"),
        "name": t.name,
        "price": "8000",
        "quantity_total": "2",
    }
    resp = client.post(f"{url}/ticket-types/{t.id}/edit", data=form)
    assert resp.status_code == 409
    db.session.rollback()
    assert db.session.get(TicketType, t.id).quantity_total == 10
    form["price"] = "12.5"  # JPY has no decimals
    form["quantity_total"] = "20"
    assert client.post(f"{url}/ticket-types/{t.id}/edit", data=form).status_code == 422
    form["price"] = "-100"
    resp = client.post(f"{url}/ticket-types/{t.id}/edit", data=form)
    assert resp.status_code == 422
    assert "cannot be negative" in resp.get_data(as_text=True)
    assert client.post(f"{url}/setup", data={"title": "x"}).status_code == 400  # CSRF


def test_staff_and_check_in_are_refused_set_up(client, world, factory, db):
    url = f"/organizer/events/{world.event_a.id}"
    for role in (Role.STAFF, Role.CHECK_IN):
        login(client, factory.member(world.event_a, role))
        token = _csrf(client, "/organizer/")
        for page in (
            f"{url}/setup",
            f"{url}/ticket-types/new",
            f"{url}/ticket-types/{world.types_a[0].id}/edit",
        ):
            assert client.get(page).status_code == 403, (role, page)
        for action in ("publish", "unpublish", "pause", "cancel"):
            resp = client.post(f"{url}/{action}", data={"csrf_token": token})
            assert resp.status_code == 403, (role, action)
        assert "/events/new" not in client.get("/organizer/").get_data(as_text=True)
        assert client.get("/organizer/events/new").status_code == 404
        client.post("/logout")
    db.session.rollback()
    event = db.session.get(Event, world.event_a.id)
    assert event.active and not event.sales_paused and event.cancelled_at is None


def test_another_organizations_member_gets_404(client, world, factory):
    login(client, factory.member(world.event_b, Role.OWNER))
    url = f"/organizer/events/{world.event_a.id}"
    token = _csrf(client, "/organizer/")
    for page in (f"{url}/setup", f"{url}/ticket-types/new", f"{url}/cancellation"):
        assert client.get(page).status_code == 404, page
    for action in ("publish", "pause", "cancel"):
        assert (
            client.post(f"{url}/{action}", data={"csrf_token": token}).status_code
            == 404
        )
    org_a = world.event_a.organization_id
    assert client.get(f"/organizer/organizations/{org_a}/members").status_code == 404


def test_manager_sets_up_but_not_the_team(client, world, factory):
    login(client, factory.member(world.event_a, Role.MANAGER))
    assert client.get(f"/organizer/events/{world.event_a.id}/setup").status_code == 200
    org_a = world.event_a.organization_id
    assert client.get(f"/organizer/organizations/{org_a}/members").status_code == 403
