from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from app.accounts.services import PHONE_RE


class EnrollForm(FlaskForm):
    """Cohort and session are checked again by the service (they must belong to
    the training and to each other); the choices here only shape the page."""

    cohort = SelectField("Cohort", coerce=int, validators=[DataRequired()])
    session = SelectField("Session", coerce=int, validators=[DataRequired()])
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    phone = TelField(
        "Phone",
        validators=[
            DataRequired(),
            Length(max=32),
            Regexp(PHONE_RE, message="Digits with an optional leading +."),
        ],
    )
    promo_code = StringField("Promo code", validators=[Optional(), Length(max=40)])
    method = RadioField("Payment method", validators=[DataRequired()], choices=[])
