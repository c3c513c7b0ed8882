"""An organizer sets up their own events: the event, its ticket types, publishing
and pausing sales. Every change is written to the audit log with who made it
(`app.admin.services.record`, the back office's own log), in the same
transaction. Services flush; the view commits.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from app.admin import services as audit
from app.catalog.models import Event, TicketType
from app.conditional import guarded_update
from app.extensions import db
from app.money import format_amount, parse_amount
from app.services_errors import Conflict, ServiceError, Unprocessable


def to_utc(local: dt.datetime | None, zone: str) -> dt.datetime | None:
    """A wall-clock time typed in the event's zone, as the naive UTC stored."""
    if local is None:
        return None
    aware = local.replace(tzinfo=ZoneInfo(zone))
    return aware.astimezone(dt.UTC).replace(tzinfo=None)


def to_local(value: dt.datetime | None, zone: str) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _slug(title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or "event"
    return f"{base}-{secrets.token_hex(3)}"


def _plain(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _changes(obj, values: dict) -> dict:
    """Set the values; return {field: [old, new]} for those that changed."""
    changed = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changed[name] = [_plain(old), _plain(new)]
            setattr(obj, name, new)
    return changed


def _check_times(starts: dt.datetime, ends: dt.datetime) -> None:
    if ends <= starts:
        raise Unprocessable(
            "INVALID_TIMES",
            _("An event must end after it starts."),
            details={"ends_at": "order"},
        )


def _event_values(data: dict) -> dict:
    zone = data["timezone"]
    values = {
        "title": data["title"].strip(),
        "venue": data["venue"].strip(),
        "description": (data.get("description") or "").strip(),
        "timezone": zone,
        "starts_at": to_utc(data["starts_at"], zone),
        "ends_at": to_utc(data["ends_at"], zone),
        "currency": data["currency"],
    }
    _check_times(values["starts_at"], values["ends_at"])
    return values


def create_event(organization_id: int, actor, data: dict) -> Event:
    """A new event of the organization, unpublished until the organizer
    publishes it (so ticket types can be set up first)."""
    event = Event(
        organizer_id=actor.id,
        organization_id=organization_id,
        slug=_slug(data["title"]),
        active=False,
        **_event_values(data),
    )
    db.session.add(event)
    db.session.flush()
    audit.record(
        "event.create",
        f"Event#{event.id}",
        {"title": event.title, "organization_id": organization_id},
    )
    return event


def update_event(event: Event, data: dict) -> dict:
    values = _event_values(data)
    if values["currency"] != event.currency and _has_sales(event):
        raise Conflict(
            "CURRENCY_LOCKED",
            _("The currency cannot change once tickets have been ordered."),
        )
    changed = _changes(event, values)
    if changed:
        audit.record("event.update", f"Event#{event.id}", changed)
    return changed


def _has_sales(event: Event) -> bool:
    return any(t.quantity_sold or t.reserved for t in event.ticket_types)


def _type_values(event: Event, data: dict) -> dict:
    try:
        price = parse_amount(data["price"], event.currency)
    except ValueError:
        raise Unprocessable(
            "INVALID_PRICE",
            _("Enter a price such as %(example)s.", example="3000"),
            details={"price": "format"},
        ) from None
    if price < 0:
        raise Unprocessable(
            "INVALID_PRICE",
            _("A price cannot be negative."),
            details={"price": "range"},
        )
    start = to_utc(data.get("sales_start_at"), event.timezone)
    end = to_utc(data.get("sales_end_at"), event.timezone)
    if start and end and end <= start:
        raise Unprocessable(
            "INVALID_SALES_WINDOW",
            _("Sales must end after they start."),
            details={"sales_end_at": "order"},
        )
    code = (data.get("unlock_code") or "").strip() or None
    if data.get("hidden") and not code:
        raise Unprocessable(
            "UNLOCK_CODE_REQUIRED",
            _("A hidden ticket type needs an unlock code."),
            details={"unlock_code": "required"},
        )
    return {
        "name": data["name"].strip(),
        "price": price,
        "quantity_total": int(data["quantity_total"]),
        "max_per_order": data.get("max_per_order") or None,
        "sales_start_at": start,
        "sales_end_at": end,
        "hidden": bool(data.get("hidden")),
        "unlock_code": code,
    }


def create_ticket_type(event: Event, data: dict) -> TicketType:
    ticket_type = TicketType(event_id=event.id, **_type_values(event, data))
    db.session.add(ticket_type)
    db.session.flush()
    audit.record(
        "ticket_type.create",
        f"TicketType#{ticket_type.id}",
        {"event_id": event.id, "name": ticket_type.name, "price": ticket_type.price},
    )
    return ticket_type


def update_ticket_type(ticket_type: TicketType, data: dict) -> dict:
    values = _type_values(ticket_type.event, data)
    total = values.pop("quantity_total")
    changed = _changes(ticket_type, values)
    if total != ticket_type.quantity_total:
        # Never below what is sold or held right now (decided by the database).
        old = ticket_type.quantity_total
        if not guarded_update(
            TicketType,
            ticket_type.id,
            TicketType.quantity_sold + TicketType.reserved <= total,
            quantity_total=total,
        ):
            raise Conflict(
                "QUANTITY_BELOW_SOLD",
                _("More tickets than that are already sold or held."),
                details={"quantity_total": "range"},
            )
        changed["quantity_total"] = [old, total]
    if changed:
        audit.record("ticket_type.update", f"TicketType#{ticket_type.id}", changed)
    return changed


def ticket_type_of(event: Event, ticket_type_id: int) -> TicketType:
    for t in event.ticket_types:
        if t.id == ticket_type_id:
            return t
    raise ServiceError("TICKET_TYPE_NOT_FOUND", _("No such ticket type."), 404)


def _not_cancelled(event: Event) -> None:
    if event.cancelled_at is not None:
        raise Conflict("EVENT_CANCELLED", _("This event was cancelled."))


def set_published(event: Event, published: bool) -> None:
    _not_cancelled(event)
    if published and not event.ticket_types:
        raise Conflict(
            "NO_TICKET_TYPES", _("Add a ticket type before publishing the event.")
        )
    if event.active != published:
        event.active = published
        audit.record(
            "event.publish" if published else "event.unpublish", f"Event#{event.id}"
        )


def set_sales_paused(event: Event, paused: bool) -> None:
    _not_cancelled(event)
    if event.sales_paused != paused:
        event.sales_paused = paused
        audit.record(
            "event.pause_sales" if paused else "event.resume_sales",
            f"Event#{event.id}",
        )


def price_text(minor: int, currency: str) -> str:
    """The price as typed in the form (major units, no grouping)."""
    return format_amount(minor, currency)
