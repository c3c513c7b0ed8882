"""Roles inside an organization: staff handle orders, check-in members only the
door, and a member of one organization sees nothing of another's."""

from __future__ import annotations

import pytest

from app.organizer import access
from app.organizer.roles import CHECK_IN, EVENTS, ORDERS, Role
from app.services_errors import NotFound
from tests.organizer.conftest import login, make_order


def _order_pages(world, order) -> list[str]:
    return [
        f"/organizer/events/{world.event_a.id}",
        f"/organizer/events/{world.event_a.id}/orders",
        f"/organizer/events/{world.event_a.id}/orders.csv",
        f"/organizer/orders/{order.id}",
    ]


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.STAFF])
def test_order_roles_see_the_orders(client, world, factory, role):
    order = make_order(world.types_a, name="Aiko Buyer")
    login(client, factory.member(world.event_a, role))
    for url in _order_pages(world, order):
        assert client.get(url).status_code == 200, url
    assert world.event_a.title in client.get("/organizer/").get_data(as_text=True)


def test_check_in_member_is_refused_orders_and_actions(client, world, factory, db):
    order = make_order(world.types_a, name="Aiko Buyer")
    login(client, factory.member(world.event_a, Role.CHECK_IN))
    assert client.get("/organizer/").status_code == 200
    for url in _order_pages(world, order):
        resp = client.get(url)
        assert resp.status_code == 403, url
        assert "Aiko" not in resp.get_data(as_text=True)
    payment_id = order.payments[0].id
    for url in (
        f"/organizer/orders/{order.id}/resend",
        f"/organizer/orders/{order.id}/refund",
        f"/organizer/orders/{order.id}/payments/{payment_id}/check",
    ):
        assert client.post(url, data={"nonce": "0" * 16}).status_code == 403, url
    db.session.rollback()
    assert db.session.get(type(order), order.id).status == "paid"


def test_member_of_another_organization_gets_404(client, world, factory):
    order_a = make_order(world.types_a, name="Aiko Buyer")
    login(client, factory.member(world.event_b, Role.OWNER))
    for url in _order_pages(world, order_a):
        resp = client.get(url)
        assert resp.status_code == 404, url
        assert "Aiko" not in resp.get_data(as_text=True)
    assert world.event_a.title not in client.get("/organizer/").get_data(as_text=True)


def test_require_event_role(world, factory, app):
    staff = factory.member(world.event_a, Role.STAFF)
    door = factory.member(world.event_a, Role.CHECK_IN)
    stranger = factory.member(world.event_b, Role.OWNER)
    with app.test_request_context():
        assert access.require_event_role(staff, world.event_a.id, ORDERS).id == (
            world.event_a.id
        )
        assert access.require_event_role(door, world.event_a.id, CHECK_IN)
        assert access.require_event_role(door, world.event_a.id, Role.CHECK_IN)
        with pytest.raises(access.RoleRequired):
            access.require_event_role(staff, world.event_a.id, EVENTS)
        with pytest.raises(access.RoleRequired):
            access.require_event_role(door, world.event_a.id, Role.STAFF)
        with pytest.raises(NotFound):
            access.require_event_role(stranger, world.event_a.id, CHECK_IN)
        with pytest.raises(NotFound):
            access.require_event_role(staff, 999999)
        # The creator of an event owns it through their own organization.
        assert access.role_in(world.alice, world.event_a.organization_id) == "owner"
