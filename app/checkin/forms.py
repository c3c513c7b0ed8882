"""The door's scan form and the organizer's name-change cut-off (CSRF on both)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.i18n.forms import Form


class ScanForm(Form):
    code = StringField(
        _l("Ticket code"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "autofocus": True,
            "enterkeyhint": "go",
        },
    )
    gate = StringField(
        _l("Gate"), validators=[Optional(), Length(max=64)], default="main"
    )


class CutoffForm(Form):
    until = DateTimeLocalField(
        _l("Buyers may correct attendee names until (event time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
    )
