"""Waiting list: a sold-out type takes names; a ticket that comes back is held
for the next person, whose emailed link buys it; an offer nobody takes moves on."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

from app.catalog.models import TicketType
from app.events import waitlist
from app.events.models import WaitlistEntry
from app.extensions import db as _db
from app.orders.models import Order
from app.payments.cancellation import cancel_order
from tests.events.conftest import checkout, init


def _sold_out_vip(shop, db) -> int:
    db.session.execute(
        update(TicketType).where(TicketType.id == shop.vip.id).values(quantity_total=1)
    )
    db.session.commit()
    order_id = init(shop, [(shop.vip, 1)], "konbini")["orderId"]
    db.session.rollback()
    return order_id


def _join(client, shop, name: str, email: str) -> None:
    page = client.get(f"/events/{shop.event.id}").get_data(as_text=True)
    assert f'id="join-waitlist-{shop.vip.id}"' in page
    # (The test app runs without CSRF; tests/security checks it is enforced.)
    resp = client.post(
        f"/events/{shop.event.id}/waitlist",
        data={
            "ticket_type_id": str(shop.vip.id),
            "name": name,
            "email": email,
        },
    )
    assert resp.status_code == 303


def _entries(db) -> list[WaitlistEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id)))


def test_freed_ticket_is_held_for_the_next_person(
    shop, client, db, jobs, smtp_sink, app
):
    held = _sold_out_vip(shop, db)
    _join(client, shop, "Kenji", "kenji@example.com")
    _join(client, shop, "Mika", "mika@example.com")
    assert [e.status for e in _entries(db)] == ["waiting", "waiting"]

    assert cancel_order(held, "timeout")  # the unpaid order expires
    db.session.commit()
    first, second = _entries(db)
    assert (first.status, second.status) == ("offered", "waiting")
    assert db.session.get(TicketType, shop.vip.id).reserved == 1  # held for Kenji
    # Nobody else can take the held ticket.
    resp = checkout(shop, [(shop.vip, 1)])
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "SOLD_OUT"

    jobs.run()
    (mail,) = smtp_sink.to("kenji@example.com")
    link = re.search(
        r"http\S+/events/waitlist/\S+", mail.get_body(("plain",)).get_content()
    )[0]
    path = link[link.index("/events/") :]
    assert "is held for you" in client.get(path).get_data(as_text=True)
    resp = client.post(
        path,
        data={
            "attendee_name": "Kenji",
            "attendee_email": "kenji@example.com",
            "method": "komoju_card",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    first, _second = _entries(db)
    assert first.status == "claimed" and first.order_id
    order = db.session.get(Order, first.order_id)
    assert order.customer_email == "kenji@example.com"
    assert db.session.get(TicketType, shop.vip.id).reserved == 1  # now the order's
    assert client.get(path).status_code == 404  # the link works once


def test_an_offer_nobody_takes_moves_to_the_next_person(shop, client, db, app):
    held = _sold_out_vip(shop, db)
    _join(client, shop, "Kenji", "kenji@example.com")
    _join(client, shop, "Mika", "mika@example.com")
    assert cancel_order(held, "timeout")
    db.session.commit()
    first, _ = _entries(db)
    first.offer_expires_at = first.offer_expires_at - dt.timedelta(hours=48)
    db.session.commit()
    with app.test_request_context():
        waitlist.handle_offer_expiry(first.id)
        _db.session.commit()
    first, second = _entries(db)
    assert (first.status, second.status) == ("expired", "offered")
    assert db.session.get(TicketType, shop.vip.id).reserved == 1  # held for Mika
