"""An organizer's promo codes for one of their events.

A promotion made here belongs to the event (`Promotion.event_id`) and is accepted
only at that event's ticket checkout; pricing, limits and usage are the shop's
own (`app.promotions.services`). Every change is written to the audit log with
who made it, in the caller's transaction. Services flush; the view commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.admin import services as audit
from app.catalog.models import Event
from app.extensions import db
from app.money import format_amount, parse_amount
from app.organizer.manage import _changes, to_utc
from app.promotions.models import Promotion
from app.services_errors import Conflict, NotFound, Unprocessable

KINDS = ("percent", "fixed")


def of_event(event: Event) -> list[Promotion]:
    return list(
        db.session.scalars(
            select(Promotion)
            .where(Promotion.event_id == event.id)
            .order_by(Promotion.id)
        )
    )


def promotion_of(event: Event, promotion_id: int) -> Promotion:
    """The event's promotion (another event's or a shop one is a 404)."""
    promo = db.session.get(Promotion, promotion_id)
    if promo is None or promo.event_id != event.id:
        raise NotFound("PROMOTION_NOT_FOUND", _("No such promotion."))
    return promo


def _value(event: Event, kind: str, text: str) -> int:
    if kind == "percent":
        try:
            value = int(str(text).strip())
        except ValueError:
            value = -1
        if not 1 <= value <= 100:
            raise Unprocessable(
                "INVALID_DISCOUNT",
                _("A percent discount is a whole number from 1 to 100."),
                details={"value": "range"},
            )
        return value
    try:
        value = parse_amount(text, event.currency)
    except ValueError:
        value = -1
    if value <= 0:
        raise Unprocessable(
            "INVALID_DISCOUNT",
            _("Enter a discount amount such as %(example)s.", example="500"),
            details={"value": "format"},
        )
    return value


def _values(event: Event, data: dict, exclude_id: int | None = None) -> dict:
    code = data["code"].strip().upper()
    taken = select(Promotion.id).where(func.upper(Promotion.code) == code)
    if exclude_id is not None:
        taken = taken.where(Promotion.id != exclude_id)
    if db.session.scalar(taken.limit(1)) is not None:
        raise Conflict(
            "PROMO_CODE_TAKEN",
            _("That code is already in use; choose another."),
            details={"code": "taken"},
        )
    kind = data["kind"] if data["kind"] in KINDS else "percent"
    starts = to_utc(data.get("starts_at"), event.timezone)
    ends = to_utc(data.get("ends_at"), event.timezone)
    if starts and ends and ends <= starts:
        raise Unprocessable(
            "INVALID_TIMES",
            _("A promotion must end after it starts."),
            details={"ends_at": "order"},
        )
    return {
        "code": code,
        "kind": kind,
        "value": _value(event, kind, data["value"]),
        "currency": event.currency if kind == "fixed" else None,
        "max_uses": data.get("max_uses") or None,
        "per_user_limit": data.get("per_user_limit") or None,
        "starts_at": starts,
        "ends_at": ends,
    }


def create(event: Event, data: dict) -> Promotion:
    promo = Promotion(event_id=event.id, scope="all", **_values(event, data))
    db.session.add(promo)
    db.session.flush()
    audit.record(
        "promotion.create",
        f"Promotion#{promo.id}",
        {
            "event_id": event.id,
            "code": promo.code,
            "kind": promo.kind,
            "value": promo.value,
        },
    )
    return promo


def update(event: Event, promo: Promotion, data: dict) -> dict:
    changed = _changes(promo, _values(event, data, exclude_id=promo.id))
    if changed:
        audit.record("promotion.update", f"Promotion#{promo.id}", changed)
    return changed


def set_active(promo: Promotion, active: bool) -> None:
    if promo.active != active:
        promo.active = active
        audit.record(
            "promotion.activate" if active else "promotion.deactivate",
            f"Promotion#{promo.id}",
            {"event_id": promo.event_id, "code": promo.code},
        )


def value_text(promo: Promotion) -> str:
    """The discount as typed in the form (percent, or major units)."""
    if promo.kind == "percent":
        return str(promo.value)
    return format_amount(promo.value, promo.currency or "JPY")
