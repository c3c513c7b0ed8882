"""Sales windows: a ticket type sells only inside its window and before the event
ends; outside it the page says so and checkout answers 409 and holds nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.catalog.models import Event, TicketType
from app.cli import DEMO_PASSWORD, SALES_ENDED_SLUG, seed_demo_data
from app.db import utcnow
from app.orders.models import Order
from tests.events.conftest import attendees, checkout


def _set(db, ticket_type, **values) -> None:
    row = db.session.get(TicketType, ticket_type.id)
    for k, v in values.items():
        setattr(row, k, v)
    db.session.commit()


def _nothing_held(db, shop) -> None:
    db.session.rollback()
    assert db.session.scalar(select(Order.id)) is None
    assert db.session.get(TicketType, shop.vip.id).reserved == 0


def test_closed_window_answers_409_sales_closed(shop, db):
    ended = utcnow() - dt.timedelta(hours=1)
    _set(db, shop.vip, sales_end_at=ended)
    resp = checkout(shop, [(shop.vip, 1)])
    assert resp.status_code == 409
    error = resp.get_json()["error"]
    assert error["code"] == "SALES_CLOSED"
    assert error["details"]["closedAt"] == ended.isoformat() + "Z"
    _nothing_held(db, shop)
    # The other type is still on sale.
    assert checkout(shop, [(shop.general, 1)]).status_code == 200


def test_window_not_open_yet_answers_409_sales_not_started(shop, db):
    opens = utcnow() + dt.timedelta(days=2)
    _set(db, shop.vip, sales_start_at=opens)
    resp = checkout(shop, [(shop.vip, 1)])
    assert resp.status_code == 409
    error = resp.get_json()["error"]
    assert error["code"] == "SALES_NOT_STARTED"
    assert error["details"]["opensAt"] == opens.isoformat() + "Z"
    _nothing_held(db, shop)


def test_sales_close_when_the_event_ends(shop, db):
    event = db.session.get(Event, shop.event.id)
    event.starts_at = utcnow() - dt.timedelta(hours=5)
    event.ends_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    resp = checkout(shop, [(shop.general, 1)])
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "SALES_CLOSED"


def test_event_page_says_when_sales_open_or_that_they_closed(shop, client, db):
    _set(db, shop.general, sales_start_at=utcnow() + dt.timedelta(days=3))
    _set(db, shop.vip, sales_start_at=utcnow() + dt.timedelta(days=2))
    body = client.get(f"/events/{shop.event.id}").get_data(as_text=True)
    assert 'id="sales-state"' in body and "Ticket sales open" in body
    assert 'id="buy-tickets"' not in body
    _set(db, shop.general, sales_start_at=None, sales_end_at=utcnow())
    _set(db, shop.vip, sales_start_at=None, sales_end_at=utcnow())
    body = client.get(f"/events/{shop.event.id}").get_data(as_text=True)
    assert "Ticket sales have closed." in body and 'id="buy-tickets"' not in body
    detail = shop.api.get(f"/api/events/{shop.event.id}").get_json()["data"]
    assert {t["saleState"] for t in detail["ticketTypes"]} == {"closed"}


def test_hidden_type_needs_its_code(shop, client, db):
    _set(db, shop.vip, hidden=True, unlock_code="FRIENDS")
    page = client.get(f"/events/{shop.event.id}").get_data(as_text=True)
    assert f'data-ticket-type="{shop.vip.id}"' not in page
    page = client.get(f"/events/{shop.event.id}?code=friends").get_data(as_text=True)
    assert f'data-ticket-type="{shop.vip.id}"' in page
    detail = shop.api.get(f"/api/events/{shop.event.id}").get_json()["data"]
    assert [t["id"] for t in detail["ticketTypes"]] == [shop.general.id]
    resp = checkout(shop, [(shop.vip, 1)])
    assert resp.status_code == 400
    assert checkout(shop, [(shop.vip, 1)], unlockCode="friends").status_code == 200


def test_per_order_maximum(shop, db):
    _set(db, shop.vip, max_per_order=2)
    resp = checkout(shop, [(shop.vip, 3)])
    assert resp.status_code == 400
    assert "between 1 and 2" in str(resp.get_json()["error"]["details"])


def test_demo_event_whose_sales_ended_answers_sales_closed(api, db):
    seed_demo_data()
    seed_demo_data()  # idempotent
    event = db.session.scalar(select(Event).where(Event.slug == SALES_ENDED_SLUG))
    (ticket_type,) = event.ticket_types
    api.login("customer@example.com", DEMO_PASSWORD)
    resp = api.post(
        "/api/mobile/events/checkout",
        json={
            "eventId": event.id,
            "tickets": [
                {
                    "ticketTypeId": ticket_type.id,
                    "quantity": 1,
                    "attendees": attendees(1),
                }
            ],
            "paymentType": "credit_card",
            "returnUrl": "https://app.example.com/done",
        },
    )
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "SALES_CLOSED"
