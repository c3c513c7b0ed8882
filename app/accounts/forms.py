from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TelField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

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


class ForgotPasswordForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(Form):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(8, 200)]
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
    )


class PasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()]
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(8, 200)]
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", _l("The two passwords are not the same.")),
        ],
    )


class EmailForm(Form):
    email = EmailField(
        _l("New email"), validators=[DataRequired(), Email(), Length(max=254)]
    )
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()]
    )


class ReauthForm(Form):
    """Sign out everywhere: the password again, so a borrowed browser cannot."""

    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()]
    )


class DeleteAccountForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()]
    )
    understood = BooleanField(
        _l("I understand that this cannot be undone."), validators=[DataRequired()]
    )
