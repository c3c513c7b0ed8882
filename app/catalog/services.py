"""Catalog reads for pages and the mobile API."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.catalog.models import PRODUCT_TYPES, Event, Product, TrainingCohort
from app.events.sales import closes_at, sale_state, visible_types
from app.extensions import db
from app.money import format_amount
from app.services_errors import NotFound, ServiceError


def active_products(product_type: str | None = None) -> list[Product]:
    if product_type is not None and product_type not in PRODUCT_TYPES:
        raise ServiceError(
            "VALIDATION_ERROR",
            _("type must be one of %(types)s", types=", ".join(PRODUCT_TYPES)),
            400,
            {"type": product_type},
        )
    query = select(Product).where(Product.active.is_(True)).order_by(Product.id)
    if product_type:
        query = query.where(Product.type == product_type)
    return list(db.session.scalars(query))


def get_product(product_id: int) -> Product:
    product = db.session.scalar(
        select(Product)
        .where(Product.id == product_id, Product.active.is_(True))
        .options(selectinload(Product.cohorts).selectinload(TrainingCohort.sessions))
    )
    if product is None:
        raise NotFound("PRODUCT_NOT_FOUND", _("No such product."))
    return product


def get_product_by_slug(slug: str) -> Product:
    product = db.session.scalar(
        select(Product).where(Product.slug == slug, Product.active.is_(True))
    )
    if product is None:
        raise NotFound("PRODUCT_NOT_FOUND", _("No such product."))
    return product


def active_events() -> list[Event]:
    # Events and their ticket types in one query (a JOIN, not a second SELECT).
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.active.is_(True))
            .order_by(Event.starts_at)
            .options(joinedload(Event.ticket_types))
        ).unique()
    )


def get_event(event_id: int) -> Event:
    event = db.session.scalar(
        select(Event)
        .where(Event.id == event_id, Event.active.is_(True))
        .options(selectinload(Event.ticket_types))
    )
    if event is None:
        raise NotFound("EVENT_NOT_FOUND", _("No such event."))
    return event


def product_summary(product: Product) -> dict:
    return {
        "id": product.id,
        "type": product.type,
        "slug": product.slug,
        "title": product.title,
        "price": format_amount(product.price, product.currency),
        "currency": product.currency,
    }


def product_detail(product: Product) -> dict:
    data = product_summary(product)
    data["description"] = product.description
    data["validityDays"] = product.validity_days
    if product.type == "training":
        data["cohorts"] = [
            {
                "id": c.id,
                "name": c.name,
                "startsOn": c.starts_on.isoformat(),
                "endsOn": c.ends_on.isoformat(),
                "capacity": c.capacity,
                "seatsLeft": c.seats_left,
                "sessions": [
                    {
                        "id": s.id,
                        "title": s.title,
                        "startsAt": s.starts_at.isoformat() + "Z",
                    }
                    for s in c.sessions
                ],
            }
            for c in product.cohorts
        ]
    return data


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def event_detail(event: Event) -> dict:
    """The event and its listed ticket types (hidden ones stay out), each with
    whether it is on sale and its sales window."""
    return {
        "id": event.id,
        "type": "event",
        "slug": event.slug,
        "title": event.title,
        "description": event.description,
        "venue": event.venue,
        "startsAt": event.starts_at.isoformat() + "Z",
        "endsAt": event.ends_at.isoformat() + "Z",
        "currency": event.currency,
        "ticketTypes": [
            {
                "id": t.id,
                "name": t.name,
                "price": format_amount(t.price, event.currency),
                "currency": event.currency,
                "quantityTotal": t.quantity_total,
                "seatsLeft": t.seats_left,
                "saleState": sale_state(t),
                "salesStartAt": _iso(t.sales_start_at),
                "salesEndAt": _iso(closes_at(t)),
            }
            for t in visible_types(event)
        ],
    }
