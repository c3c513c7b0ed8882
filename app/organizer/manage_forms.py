"""Forms of the organizer's own event set-up: the event, its ticket types, the
team. Times are typed as wall-clock times in the event's own zone."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from app.i18n.choices import timezone_choices
from app.i18n.forms import Form
from app.i18n.preferences import CURRENCY_ZONES
from app.organizer.roles import Role

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class EventForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    venue = StringField(_l("Venue"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=5000)]
    )
    timezone = SelectField(_l("Time zone of the event"), choices=[])
    starts_at = DateTimeLocalField(
        _l("Starts"), format=LOCAL_FORMAT, validators=[DataRequired()]
    )
    ends_at = DateTimeLocalField(
        _l("Ends"), format=LOCAL_FORMAT, validators=[DataRequired()]
    )
    currency = SelectField(
        _l("Currency"),
        choices=[SelectChoice(c, c) for c in CURRENCY_ZONES],
        default="JPY",
    )

    def with_choices(self) -> EventForm:
        # The first choice of the shared list means "follow the browser".
        self.timezone.choices = timezone_choices()[1:]
        return self


class NewEventForm(EventForm):
    organization_id = SelectField(_l("Organization"), choices=[], coerce=int)

    def for_organizations(self, organizations) -> NewEventForm:
        self.organization_id.choices = [
            SelectChoice(o.id, o.name) for o in organizations
        ]
        return self.with_choices()


class TicketTypeForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    price = StringField(
        _l("Price"), validators=[DataRequired(), Length(max=20)], default="0"
    )
    quantity_total = IntegerField(
        _l("Tickets available"),
        validators=[DataRequired(), NumberRange(min=1, max=100000)],
    )
    max_per_order = IntegerField(
        _l("At most per order"),
        validators=[Optional(), NumberRange(min=1, max=10)],
    )
    sales_start_at = DateTimeLocalField(
        _l("Sales start"), format=LOCAL_FORMAT, validators=[Optional()]
    )
    sales_end_at = DateTimeLocalField(
        _l("Sales end"), format=LOCAL_FORMAT, validators=[Optional()]
    )
    hidden = BooleanField(_l("Hidden: shown only with the unlock code"))
    unlock_code = StringField(
        _l("Unlock code"),
        validators=[
            Optional(),
            Length(min=4, max=40),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Letters, digits, - and _ only.")),
        ],
    )


class PromotionForm(Form):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(min=4, max=40),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Letters, digits, - and _ only.")),
        ],
    )
    kind = SelectField(
        _l("Discount"),
        choices=[
            SelectChoice("percent", _l("Percent off")),
            SelectChoice("fixed", _l("Amount off")),
        ],
        default="percent",
    )
    value = StringField(
        _l("Percent or amount"), validators=[DataRequired(), Length(max=20)]
    )
    max_uses = IntegerField(
        _l("Uses in all"), validators=[Optional(), NumberRange(min=1, max=1000000)]
    )
    per_user_limit = IntegerField(
        _l("Uses per customer"), validators=[Optional(), NumberRange(min=1, max=1000)]
    )
    starts_at = DateTimeLocalField(
        _l("Valid from"), format=LOCAL_FORMAT, validators=[Optional()]
    )
    ends_at = DateTimeLocalField(
        _l("Valid until"), format=LOCAL_FORMAT, validators=[Optional()]
    )


class InviteForm(Form):
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(), Length(max=254)]
    )
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice(
                Role.MANAGER, _l("Manager: everything but members and payouts")
            ),
            SelectChoice(Role.STAFF, _l("Staff: orders and refunds")),
            SelectChoice(Role.CHECK_IN, _l("Check-in: the door only")),
            SelectChoice(Role.OWNER, _l("Owner: everything")),
        ],
    )


class ConfirmForm(Form):
    """A button that changes something (CSRF only); `confirm` guards the
    drastic ones against a stray click."""

    confirm = HiddenField()
