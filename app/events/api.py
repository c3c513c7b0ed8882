"""Ticket checkout for the mobile client: `POST /api/mobile/events/checkout`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import gettext as _

from app.api.openapi_schemas import IDEMPOTENCY_HEADER, describe
from app.events import services
from app.extensions import limiter
from app.http.auth import api_user
from app.http.idempotency import respond_idempotent
from app.http.parsing import field, json_body, positive_id
from app.payments.handoff import init_response
from app.services_errors import ServiceError

bp = Blueprint("events_api", __name__)

BODY_FIELDS = {
    "eventId",
    "tickets",
    "paymentType",
    "returnUrl",
    "unlockCode",
    "promoCode",
}
LINE_FIELDS = {"ticketTypeId", "quantity", "attendees"}
ATTENDEE_FIELDS = {"name", "email"}


def _bad(message: str, details: dict[str, str]) -> ServiceError:
    return ServiceError("VALIDATION_ERROR", message, 400, details)


def _text(value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str):
        raise _bad(_("'%(field)s' must be a string.", field=where), {where: "type"})
    if not value.strip() or len(value) > limit:
        raise _bad(
            _("'%(field)s' is empty or too long.", field=where), {where: "length"}
        )
    return value


def parse_tickets(raw: Any) -> list[services.TicketRequest]:
    """`tickets: [{ticketTypeId, quantity, attendees?: [{name, email}]}]`, strictly
    (without attendees, the line's tickets are the buyer's)."""
    if not isinstance(raw, list) or not raw:
        raise _bad(_("'tickets' must be a non-empty array."), {"tickets": "type"})
    if len(raw) > 20:
        raise _bad(_("Too many ticket lines."), {"tickets": "length"})
    lines = []
    for n, line in enumerate(raw):
        where = f"tickets[{n}]"
        if not isinstance(line, dict):
            raise _bad(
                _("'%(field)s' must be an object.", field=where), {where: "type"}
            )
        unknown = set(line) - LINE_FIELDS
        if unknown:
            raise _bad(
                _(
                    "Unknown field(s) in %(field)s: %(names)s.",
                    field=where,
                    names=", ".join(sorted(unknown)),
                ),
                {f"{where}.{k}": "unknown" for k in sorted(unknown)},
            )
        type_id = line.get("ticketTypeId")
        if isinstance(type_id, bool) or not isinstance(type_id, int):
            raise _bad(
                _("'%(field)s' must be an integer.", field=where + ".ticketTypeId"),
                {f"{where}.ticketTypeId": "type"},
            )
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise _bad(
                _("'%(field)s' must be an integer.", field=where + ".quantity"),
                {f"{where}.quantity": "type"},
            )
        if not 1 <= quantity <= services.MAX_PER_TYPE:
            raise _bad(
                _(
                    "'%(field)s' must be between 1 and %(max)s.",
                    field=where + ".quantity",
                    max=services.MAX_PER_TYPE,
                ),
                {f"{where}.quantity": "range"},
            )
        if line.get("attendees") is None:
            # Optional: every ticket of the line goes to the buyer.
            lines.append(services.TicketRequest(type_id, quantity, ()))
            continue
        attendees = line.get("attendees")
        if not isinstance(attendees, list):
            raise _bad(
                _("'%(field)s' must be an array.", field=where + ".attendees"),
                {f"{where}.attendees": "type"},
            )
        if len(attendees) != quantity:
            raise _bad(
                _(
                    "'%(field)s' must list one attendee per ticket (%(count)s).",
                    field=where + ".attendees",
                    count=quantity,
                ),
                {f"{where}.attendees": "length"},
            )
        people = []
        for i, person in enumerate(attendees):
            at = f"{where}.attendees[{i}]"
            if not isinstance(person, dict) or set(person) - ATTENDEE_FIELDS:
                raise _bad(
                    _("'%(field)s' must be an object with name and email.", field=at),
                    {at: "type"},
                )
            name = _text(person.get("name"), f"{at}.name", 120)
            email = _text(person.get("email"), f"{at}.email", 254)
            if not services.valid_email(email.strip()):
                raise _bad(
                    _("'%(field)s' is not an email address.", field=at + ".email"),
                    {f"{at}.email": "format"},
                )
            people.append(services.Attendee(name.strip(), email.strip()))
        lines.append(services.TicketRequest(type_id, quantity, tuple(people)))
    return lines


@bp.post("/mobile/events/checkout")
@limiter.limit("30/minute")
def mobile_checkout():
    user = api_user()
    body = json_body()
    unknown = set(body) - BODY_FIELDS
    if unknown:
        raise _bad(
            _("Unknown field(s): %(names)s.", names=", ".join(sorted(unknown))),
            {k: "unknown" for k in sorted(unknown)},
        )
    event_id = positive_id(body, "eventId")
    tickets = parse_tickets(body.get("tickets"))
    payment_type = field(body, "paymentType", str)
    return_url = field(body, "returnUrl", str, required=False)
    unlock_code = field(body, "unlockCode", str, required=False)
    promo_code = field(body, "promoCode", str, required=False)

    def work() -> dict:
        method = services.method_for_payment_type(payment_type)
        order, payment = services.checkout_event(
            event_id=event_id,
            tickets=tickets,
            method=method,
            buyer=services.Buyer(
                name=user.name or user.email,
                email=user.email,
                phone=user.phone or "",
                user_id=user.id,
            ),
            return_url=return_url,
            unlock_code=unlock_code,
            promo_code=promo_code,
        )
        return init_response(order, payment)

    return respond_idempotent(f"user:{user.id}", "mobile.events.checkout", body, work)


describe(
    "POST /api/mobile/events/checkout",
    summary="Buy event tickets (KOMOJU card or konbini); answers the payment-init "
    "body of seeds 000/001 with initiationType 'redirect'; 409 SALES_CLOSED, "
    "SALES_NOT_STARTED, SALES_PAUSED or EVENT_CANCELLED outside a sales window",
    auth=True,
    parameters=[IDEMPOTENCY_HEADER],
    requestBody={
        "type": "object",
        "additionalProperties": False,
        "required": ["eventId", "tickets", "paymentType"],
        "properties": {
            "eventId": {"type": "integer", "minimum": 1},
            "tickets": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["ticketTypeId", "quantity"],
                    "properties": {
                        "ticketTypeId": {"type": "integer", "minimum": 1},
                        "quantity": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": services.MAX_PER_TYPE,
                        },
                        "attendees": {
                            "type": "array",
                            "description": "exactly `quantity` attendees; "
                            "optional: without it every ticket is the buyer's",
                            "items": {
                                "type": "object",
                                "required": ["name", "email"],
                                "properties": {
                                    "name": {"type": "string", "maxLength": 120},
                                    "email": {"type": "string", "format": "email"},
                                },
                            },
                        },
                    },
                },
            },
            "paymentType": {"type": "string", "enum": ["credit_card", "konbini"]},
            "returnUrl": {"type": "string", "format": "uri"},
            "unlockCode": {
                "type": "string",
                "description": "the code that unlocks a hidden ticket type",
            },
            "promoCode": {
                "type": "string",
                "maxLength": 40,
                "description": "one of this event's promotions; a shop promo "
                "code or another event's answers 422 PROMOTION_NOT_APPLICABLE",
            },
        },
    },
)
