"""The ticket form on the event page.

The buyer's fields are a WTForm (CSRF included). The ticket lines are dynamic —
one quantity per ticket type and one attendee row per ticket — so they are read
from the posted form by `ticket_requests`, and validated with the API's rules in
`app.events.services.check_tickets`.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import EmailField, HiddenField, RadioField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.catalog.models import Event
from app.digits import ascii_int
from app.events.services import MAX_PER_TYPE, Attendee, TicketRequest
from app.i18n.forms import Form
from app.orders.models import Order


class EventCheckoutForm(Form):
    customer_name = StringField(
        _l("Your name"), validators=[DataRequired(), Length(max=120)]
    )
    customer_email = EmailField(
        _l("Your email"), validators=[DataRequired(), Email(), Length(max=254)]
    )
    customer_phone = TelField(
        _l("Phone (optional)"), validators=[Optional(), Length(max=32)]
    )
    method = RadioField(_l("Pay with"), validators=[DataRequired()], choices=[])
    promo_code = StringField(
        _l("Promo code (optional)"), validators=[Optional(), Length(max=40)]
    )
    form_token = HiddenField()


class WaitlistForm(Form):
    ticket_type_id = HiddenField()
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Your email"), validators=[DataRequired(), Email(), Length(max=254)]
    )


class ClaimForm(Form):
    attendee_name = StringField(
        _l("Attendee name"), validators=[DataRequired(), Length(max=120)]
    )
    attendee_email = EmailField(
        _l("Attendee email"), validators=[DataRequired(), Email(), Length(max=254)]
    )
    method = RadioField(_l("Pay with"), validators=[DataRequired()], choices=[])


def qty_field(ticket_type_id: int) -> str:
    return f"qty-{ticket_type_id}"


def attendee_field(ticket_type_id: int, index: int, part: str) -> str:
    return f"attendee-{ticket_type_id}-{index}-{part}"


def quantity_of(form: MultiDict, ticket_type_id: int) -> int:
    raw = (form.get(qty_field(ticket_type_id)) or "0").strip()
    number = ascii_int(raw, 3)
    return -1 if number is None else number  # -1: refused by check_tickets


def ticket_requests(form: MultiDict, event: Event) -> list[TicketRequest]:
    """One request per ticket type with a quantity above zero."""
    requests = []
    for ticket_type in event.ticket_types:
        quantity = quantity_of(form, ticket_type.id)
        if quantity == 0:
            continue
        rows = range(min(max(quantity, 0), MAX_PER_TYPE))
        attendees = tuple(
            Attendee(
                name=(
                    form.get(attendee_field(ticket_type.id, i, "name")) or ""
                ).strip(),
                email=(
                    form.get(attendee_field(ticket_type.id, i, "email")) or ""
                ).strip(),
            )
            for i in rows
        )
        requests.append(TicketRequest(ticket_type.id, quantity, attendees))
    return requests


def refill_values(order: Order) -> dict[str, str]:
    """The ticket form as the buyer filled it for `order` (quantities and
    attendees by field name), to offer the same choices again after a decline."""
    values: dict[str, str] = {}
    for item in order.items:
        if item.ticket_type_id is None:
            continue
        values[qty_field(item.ticket_type_id)] = str(item.quantity)
        for i, attendee in enumerate(item.attendees or ()):
            for part in ("name", "email"):
                values[attendee_field(item.ticket_type_id, i, part)] = str(
                    attendee.get(part, "")
                )
    return values


class AttendeeNamesForm(Form):
    """CSRF only: the names are one field per ticket (`name-<ticket id>`)."""
