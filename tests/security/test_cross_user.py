"""Another user's order, enrollment, ticket or organizer page: always a 404/403,
with nothing about it in the answer."""

from __future__ import annotations

import requests

from app.events.models import Ticket
from app.orders.services import LineItem, create_order
from app.orders.transitions import order_transition
from app.training.models import Enrollment
from tests.support.factories import PASSWORD


def _login(live_url: str, email: str) -> requests.Session:
    s = requests.Session()
    resp = s.post(f"{live_url}/login", data={"email": email, "password": PASSWORD})
    assert resp.status_code == 200 and "Log out" in resp.text
    return s


def test_a_stranger_sees_nothing_of_another_customers_purchases(
    app, factory, db, live_url
):
    owner = factory.user(email="owner@example.com")
    stranger = factory.user(email="stranger@example.com")
    organizer = factory.user(email="org@example.com", role="organizer")
    event, (general, _vip) = factory.event(organizer=organizer)
    product, cohort, session = factory.training()
    order = create_order(
        kind="event",
        user_id=owner.id,
        currency="JPY",
        items=[LineItem("General", "ticket", 3000, 1, ticket_type_id=general.id)],
        customer_email=owner.email,
    )
    order_transition(order.id, "capture")
    ticket = Ticket(
        order_id=order.id,
        order_item_id=order.items[0].id,
        ticket_type_id=general.id,
        attendee_name="Owner",
        attendee_email=owner.email,
        code="SECRETCODE1234",
    )
    db.session.add(ticket)
    db.session.add(
        Enrollment(
            user_id=owner.id,
            product_id=product.id,
            cohort_id=cohort.id,
            session_id=session.id,
            status="enrolled",
            order_id=order.id,
        )
    )
    db.session.commit()
    public_id, order_id = order.public_id, order.id

    browser = _login(live_url, stranger.email)
    pages = [
        f"/orders/{public_id}",
        f"/orders/{public_id}?key=wrong",
        f"/events/orders/{public_id}",
        f"/orders/{public_id}/tickets",
        "/tickets/SECRETCODE1234",
        f"/organizer/events/{event.id}",
        f"/organizer/orders/{order_id}",
        f"/trainings/{product.slug}/sessions/{session.id}",
        f"/api/orders/{order_id}",
    ]
    for path in pages:
        resp = browser.get(f"{live_url}{path}", allow_redirects=False)
        assert resp.status_code in (403, 404), (path, resp.status_code)
        assert "SECRETCODE1234" not in resp.text and owner.email not in resp.text
    mine = browser.get(f"{live_url}/enrollments")
    assert mine.status_code == 200 and product.title not in mine.text
    token = requests.post(
        f"{live_url}/api/auth/token",
        json={"email": stranger.email, "password": PASSWORD},
        timeout=10,
    ).json()["data"]["token"]
    listed = requests.get(
        f"{live_url}/api/mobile/training/enrollments",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()["data"]
    assert listed == [] or all(e.get("orderId") != order_id for e in listed)
