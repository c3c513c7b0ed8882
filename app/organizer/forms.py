"""Organizer forms: the order-list filter (GET, no CSRF) and the order actions."""

from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.orders.states import ORDER_STATUSES

# Not an order status: paid orders flagged "paid but cannot be delivered".
NEEDS_REFUND = "needs_refund"


class OrderFilterForm(FlaskForm):
    """Query-string filter of an event's orders; shared by the list and the CSV."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices={"": "Any status"}
        | {s: s.replace("_", " ") for s in ORDER_STATUSES}
        | {NEEDS_REFUND: "paid, needs a refund"},
        default="",
        validators=[Optional()],
    )
    q = StringField(
        "Search",
        validators=[Optional(), Length(max=120)],
        render_kw={"placeholder": "Name, email or order id"},
    )
    page = IntegerField(
        "Page", default=1, validators=[Optional(), NumberRange(min=1, max=100000)]
    )

    def values(self) -> tuple[str, str, int]:
        return (
            self.status.data or "",
            (self.q.data or "").strip(),
            self.page.data or 1,
        )


class ActionForm(FlaskForm):
    """A bare POST with a CSRF token (cancel, check now)."""


class ResendForm(FlaskForm):
    """`nonce` is minted when the page is drawn: one click books one email, and a
    double submit of the same form books it only once."""

    nonce = HiddenField(
        validators=[DataRequired(), Regexp(r"^[0-9a-f]{16}$", message="Reload.")]
    )

    @classmethod
    def fresh(cls) -> ResendForm:
        form = cls(formdata=None)
        form.nonce.data = secrets.token_hex(8)
        return form


class RefundForm(FlaskForm):
    reason = StringField(
        "Reason (shown in the payment timeline)",
        validators=[Optional(), Length(max=200)],
        default="refunded by organizer",
    )
