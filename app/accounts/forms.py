from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.i18n.choices import language_choices, timezone_choices
from app.i18n.forms import Form


class RegisterForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(), Length(max=254)]
    )
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=32)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(8, 200)]
    )


class LoginForm(Form):
    # No format check here: an existing account must always be able to log in.
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class TokenForm(Form):
    name = StringField(_l("Token name"), validators=[Optional(), Length(max=80)])


class PreferencesForm(Form):
    """Saved language and zone; empty means "follow this browser"."""

    locale = SelectField(_l("Language"), validators=[Optional()])
    timezone = SelectField(_l("Time zone"), validators=[Optional()])

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.locale.choices = language_choices()
        self.timezone.choices = timezone_choices()
