"""Owners invite members by email with a role; the link works once, for a
signed-in account, and makes them a member with that role."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.admin.models import AuditLog
from app.organizer.models import Membership
from app.organizer.roles import Role
from tests.organizer.conftest import login


def _token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_invite_accept_and_role(client, app, world, factory, db, jobs, smtp_sink):
    org = world.event_a.organization_id
    team = f"/organizer/organizations/{org}/members"
    login(client, world.alice)
    resp = client.post(
        f"/organizer/organizations/{org}/invitations",
        data={
            "csrf_token": _token(client, team),
            "email": "door@example.com",
            "role": "check_in",
        },
    )
    assert resp.status_code == 303
    assert "door@example.com" in client.get(team).get_data(as_text=True)
    jobs.run()
    (mail,) = smtp_sink.to("door@example.com")
    body = mail.get_body(("plain",)).get_content()
    link = re.search(r"http\S+/organizer/invitations/\S+", body).group(0)
    path = link[link.index("/organizer/") :]

    volunteer = factory.user(email="door@example.com")
    other = app.test_client()
    assert other.get(path).status_code == 302  # sign in first
    login(other, volunteer)
    page = other.get(path).get_data(as_text=True)
    assert "Check-in" in page
    resp = other.post(path, data={"csrf_token": _token(other, path)})
    assert resp.status_code == 303
    db.session.rollback()
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == volunteer.id)
    )
    assert membership.organization_id == org and membership.role == Role.CHECK_IN
    # The door role sees no orders; the link works once.
    assert other.get(f"/organizer/events/{world.event_a.id}/orders").status_code == 403
    assert other.get(path).status_code == 404
    actions = {e.action: e.user_id for e in db.session.scalars(select(AuditLog))}
    assert actions["organization.invite"] == world.alice.id
    assert actions["organization.join"] == volunteer.id


def test_only_owners_manage_the_team(client, world, factory):
    org = world.event_a.organization_id
    for role in (Role.MANAGER, Role.STAFF, Role.CHECK_IN):
        login(client, factory.member(world.event_a, role))
        token = _token(client, "/organizer/")
        assert client.get(f"/organizer/organizations/{org}/members").status_code == 403
        resp = client.post(
            f"/organizer/organizations/{org}/invitations",
            data={"csrf_token": token, "email": "x@example.com", "role": "owner"},
        )
        assert resp.status_code == 403, role
        client.post("/logout")


def test_last_owner_stays(client, world, db):
    org = world.event_a.organization_id
    login(client, world.alice)
    mine = db.session.scalar(
        select(Membership).where(Membership.user_id == world.alice.id)
    )
    team = f"/organizer/organizations/{org}/members"
    client.post(f"{team}/{mine.id}/remove", data={"csrf_token": _token(client, team)})
    db.session.rollback()
    assert db.session.get(Membership, mine.id) is not None
