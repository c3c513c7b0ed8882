from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from app.accounts.services import PHONE_RE
from app.i18n.forms import Form


class EnrollForm(Form):
    """Cohort and session are checked again by the service (they must belong to
    the training and to each other); the choices here only shape the page."""

    cohort = SelectField(_l("Cohort"), coerce=int, validators=[DataRequired()])
    session = SelectField(_l("Session"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(), Length(max=254)]
    )
    phone = TelField(
        _l("Phone"),
        validators=[
            DataRequired(),
            Length(max=32),
            Regexp(PHONE_RE, message=_l("Digits with an optional leading +.")),
        ],
    )
    promo_code = StringField(_l("Promo code"), validators=[Optional(), Length(max=40)])
    method = RadioField(_l("Payment method"), validators=[DataRequired()], choices=[])
