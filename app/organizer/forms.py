"""Organizer forms: the order-list filter (GET, no CSRF) and the order actions."""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.i18n.forms import Form
from app.i18n.labels import label
from app.orders.states import ORDER_STATUSES

# Not an order status: paid orders flagged "paid but cannot be delivered".
NEEDS_REFUND = "needs_refund"


class OrderFilterForm(Form):
    """Query-string filter of an event's orders; shared by the list and the CSV."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="", validators=[Optional()])
    q = StringField(
        _l("Search"),
        validators=[Optional(), Length(max=120)],
        render_kw={"placeholder": _l("Name, email, ticket code or order id")},
    )
    page = IntegerField(
        _l("Page"), default=1, validators=[Optional(), NumberRange(min=1, max=100000)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request: the labels are in the reader's language.
        self.status.choices = (
            [SelectChoice("", _("Any status"))]
            + [SelectChoice(s, label(s, "order")) for s in ORDER_STATUSES]
            + [SelectChoice(NEEDS_REFUND, _("paid, needs a refund"))]
        )

    def values(self) -> tuple[str, str, int]:
        return (
            self.status.data or "",
            (self.q.data or "").strip(),
            self.page.data or 1,
        )


class ActionForm(Form):
    """A bare POST with a CSRF token (cancel, check now)."""


class ResendForm(Form):
    """`nonce` is minted when the page is drawn: one click books one email, and a
    double submit of the same form books it only once."""

    nonce = HiddenField(
        validators=[
            DataRequired(),
            Regexp(r"^[0-9a-f]{16}$", message=_l("Reload the page and try again.")),
        ]
    )

    @classmethod
    def fresh(cls) -> ResendForm:
        form = cls(formdata=None)
        form.nonce.data = secrets.token_hex(8)
        return form


class RefundForm(Form):
    reason = StringField(
        _l("Reason (shown in the payment timeline)"),
        validators=[Optional(), Length(max=200)],
        default=_l("refunded by organizer"),
    )
