"""Organizers see only their own events and orders; everyone else gets a 404."""

from __future__ import annotations

import pytest

from app.orders.services import LineItem, create_order
from tests.organizer.conftest import login, make_order


def _b_urls(world, order_b) -> list[str]:
    return [
        f"/organizer/events/{world.event_b.id}",
        f"/organizer/events/{world.event_b.id}/orders",
        f"/organizer/events/{world.event_b.id}/orders?status=paid",
        f"/organizer/events/{world.event_b.id}/orders.csv",
        f"/organizer/orders/{order_b.id}",
    ]


def _b_actions(order_b) -> list[str]:
    payment_id = order_b.payments[0].id
    return [
        f"/organizer/orders/{order_b.id}/resend",
        f"/organizer/orders/{order_b.id}/cancel",
        f"/organizer/orders/{order_b.id}/refund",
        f"/organizer/orders/{order_b.id}/payments/{payment_id}/check",
    ]


def test_organizer_cannot_see_another_organizers_event_or_order(client, world, db):
    order_a = make_order(world.types_a, name="Aiko Buyer")
    order_b = make_order(world.types_b, name="Bunta Buyer", email="bunta@example.com")
    login(client, world.alice)

    for url in _b_urls(world, order_b):
        resp = client.get(url)
        assert resp.status_code == 404, url
        body = resp.get_data(as_text=True)
        assert "Bunta" not in body and "bunta@example.com" not in body

    # A's own pages work, and B's orders are in none of them.
    for url in (
        "/organizer/",
        f"/organizer/events/{world.event_a.id}",
        f"/organizer/events/{world.event_a.id}/orders",
        f"/organizer/events/{world.event_a.id}/orders.csv",
        f"/organizer/orders/{order_a.id}",
    ):
        resp = client.get(url)
        assert resp.status_code == 200, url
        body = resp.get_data(as_text=True)
        assert "Bunta" not in body and world.event_b.title not in body
    # Searching A's list for B's order id finds nothing either.
    resp = client.get(
        f"/organizer/events/{world.event_a.id}/orders?q={order_b.public_id}"
    )
    body = resp.get_data(as_text=True)
    assert 'id="result-count">0 orders' in body and "Bunta" not in body


def test_organizer_cannot_act_on_another_organizers_order(client, world, db):
    order_b = make_order(world.types_b, name="Bunta Buyer")
    pending_b = make_order(world.types_b, status="payment_pending")
    login(client, world.alice)
    for url in _b_actions(order_b) + _b_actions(pending_b):
        assert client.post(url, data={"nonce": "0" * 16}).status_code == 404, url
    db.session.rollback()
    assert db.session.get(type(order_b), order_b.id).status == "paid"
    assert db.session.get(type(order_b), pending_b.id).status == "payment_pending"
    assert order_b.payments[0].status == "captured"


def test_customer_gets_404_and_anonymous_is_sent_to_login(client, world, db):
    order_a = make_order(world.types_a)
    urls = [
        "/organizer/",
        f"/organizer/events/{world.event_a.id}",
        f"/organizer/events/{world.event_a.id}/orders",
        f"/organizer/events/{world.event_a.id}/orders.csv",
        f"/organizer/orders/{order_a.id}",
    ]
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], url
    for url in _b_actions(order_a):
        assert client.post(url).status_code == 302, url

    login(client, world.customer)
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in _b_actions(order_a):
        assert client.post(url, data={"nonce": "0" * 16}).status_code == 404, url
    db.session.rollback()
    assert db.session.get(type(order_a), order_a.id).status == "paid"


def test_non_event_orders_and_unknown_ids_are_404(client, world, db, factory):
    course = factory.product("course")
    cart_order = create_order(
        kind="cart",
        user_id=world.customer.id,
        currency="NPR",
        items=[LineItem("Course", "course", 1000, product_id=course.id)],
    )
    db.session.commit()
    login(client, world.alice)
    assert client.get(f"/organizer/orders/{cart_order.id}").status_code == 404
    assert client.get("/organizer/orders/999999").status_code == 404
    assert client.get("/organizer/events/999999").status_code == 404


@pytest.mark.parametrize("who", ["admin"])
def test_admin_sees_every_event(client, world, factory, who):
    order_b = make_order(world.types_b, name="Bunta Buyer")
    admin = factory.user(role=who)
    login(client, admin)
    body = client.get("/organizer/").get_data(as_text=True)
    assert world.event_a.title in body and world.event_b.title in body
    assert client.get(f"/organizer/orders/{order_b.id}").status_code == 200


def test_nav_links_the_dashboard_for_organizers_only(client, world):
    login(client, world.alice)
    assert 'href="/organizer/"' in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login(client, world.customer)
    assert 'href="/organizer/"' not in client.get("/").get_data(as_text=True)
