"""The language switch for logged-in users: a CSRF-protected POST that saves the
choice on the account (a saved choice outranks the cookie, so a GET link alone
could not change it) and sets the cookie. Visitors use plain `?lang=` links."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.i18n.preferences import normalize_locale, set_locale_cookie
from app.urls import safe_next

bp = Blueprint("i18n", __name__)


@bp.post("/language")
def switch_language():
    locale = normalize_locale(request.form.get("lang"))
    if locale is None:
        abort(400, description=_("Unknown language."))
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    response = redirect(safe_next(request.form.get("next"), url_for("catalog.home")))
    set_locale_cookie(response, locale)
    return response
