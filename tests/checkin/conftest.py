"""Check-in test data: the demo organizer's event with paid orders."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.catalog.models import Event, TicketType
from app.cli import seed_demo_data
from app.events.models import Ticket
from app.extensions import db
from tests.organizer.conftest import make_order

DEMO_PASSWORD = "demo-pass-123"


@dataclass
class Door:
    organizer: User
    event: Event
    types: list[TicketType]
    other_event: Event


def tickets_of(order) -> list[Ticket]:
    return list(
        db.session.scalars(
            select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.id)
        )
    )


@pytest.fixture
def door(app, factory) -> Door:
    seed_demo_data()
    db.session.commit()
    organizer = db.session.scalar(
        select(User).where(User.email == "organizer@example.com")
    )
    event = db.session.scalar(select(Event).where(Event.slug == "tokyo-dev-meetup"))
    other, _types = factory.event(factory.user(role="organizer"))
    return Door(organizer, event, list(event.ticket_types), other)


@pytest.fixture
def bought(door):
    """A ticket a customer bought (paid) for the demo event."""
    order = make_order(door.types, {0: 2}, name="Kenji Mori", email="kenji@example.com")
    return order, tickets_of(order)
