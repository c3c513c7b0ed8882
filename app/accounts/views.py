"""Register, log in, log out, and the account page (API tokens)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import services
from app.accounts.forms import LoginForm, PreferencesForm, RegisterForm, TokenForm
from app.accounts.models import User
from app.extensions import db, limiter, login_manager
from app.i18n.preferences import set_locale_cookie
from app.services_errors import ServiceError
from app.urls import safe_next

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(
                form.email.data,
                form.password.data,
                form.name.data,
                form.phone.data or "",
            )
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            for field, msg in exc.details.items():
                if field in form:
                    form[field].errors.append(msg)
            return render_template("accounts/register.html", form=form), exc.status
        db.session.commit()
        login_user(user)
        flash(_("Welcome! Your account is ready."), "success")
        return redirect(url_for("catalog.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            flash(_("Email or password is wrong."), "error")
            return render_template("accounts/login.html", form=form), 401
        login_user(user)
        flash(_("Logged in as %(name)s.", name=user.name), "success")
        return redirect(safe_next(request.args.get("next"), url_for("catalog.home")))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("catalog.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = services.issue_token(current_user, form.name.data or "mobile")
        db.session.commit()
        flash(_("Token created. Copy it now: it is shown only once."), "success")
    tokens = [t for t in current_user.tokens if t.revoked_at is None]
    prefs_form = PreferencesForm(
        formdata=None,
        locale=current_user.locale or "",
        timezone=current_user.timezone or "",
    )
    return render_template(
        "accounts/account.html",
        form=form,
        prefs_form=prefs_form,
        tokens=tokens,
        new_token=new_token,
    )


@bp.post("/account/preferences")
@login_required
def preferences():
    form = PreferencesForm()
    if not form.validate_on_submit():
        abort(400, description=_("Choose a language and time zone from the lists."))
    services.set_preferences(current_user, form.locale.data, form.timezone.data)
    db.session.commit()
    response = redirect(url_for("accounts.account") + "#preferences")
    if current_user.locale:
        set_locale_cookie(response, current_user.locale)
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "error")
    elif services.revoke_token(current_user, token_id):
        db.session.commit()
        flash(_("Token revoked."), "success")
    else:
        flash(_("No such token."), "error")
    return redirect(url_for("accounts.account"))
