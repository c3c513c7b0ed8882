"""Who may use the back office, and the CSRF protection of its forms: anyone
but an admin gets the same 404, and every Flask-Admin form carries the app's own
CSRF token."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
)
from flask_admin.form import SecureForm
from flask_login import current_user
from flask_wtf.csrf import _FlaskFormCSRF
from wtforms.fields.choices import SelectChoice

from app.i18n.forms import translations


def choices(pairs) -> list[SelectChoice]:
    """Select options as WTForms 3.3 wants them (tuples are deprecated)."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def is_admin() -> bool:
    return bool(current_user.is_authenticated and current_user.role == "admin")


class AdminForm(SecureForm):
    """Flask-Admin's secure form, with the app's own CSRF token (Flask-WTF), so
    the global CSRFProtect and the form agree on one token and one setting."""

    class Meta(SecureForm.Meta):
        csrf_class = _FlaskFormCSRF
        csrf_field_name = "csrf_token"

        @property
        def csrf(self) -> bool:  # type: ignore[override]
            return current_app.config.get("WTF_CSRF_ENABLED", True)

        @property
        def csrf_secret(self):  # type: ignore[override]
            return current_app.config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key)

        @property
        def csrf_time_limit(self):
            return current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)

        def get_translations(self, form):
            # WTForms' messages in Nepali too (app.i18n.forms)
            return translations


class AdminOnly:
    """Anyone but an admin gets the same 404: the back office reveals nothing."""

    def is_accessible(self) -> bool:
        return is_admin()

    def inaccessible_callback(self, name, **kwargs):
        abort(404)
