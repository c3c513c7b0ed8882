"""The account's own settings: password, email, sign out everywhere, a copy of
one's data, deleting the account. Each change that matters asks for the
current password again (re-authentication)."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.accounts import own_data, recovery, sessions
from app.accounts.forms import DeleteAccountForm, EmailForm, PasswordForm, ReauthForm
from app.extensions import db, limiter
from app.services_errors import ServiceError

bp = Blueprint("settings", __name__, url_prefix="/account")


def _refused(form, exc: ServiceError, template: str):
    db.session.rollback()
    flash(str(exc.message), "error")
    for field, _why in exc.details.items():
        if field in form:
            form[field].errors.append(str(exc.message))
    return render_template(template, form=form), exc.status


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10/minute", methods=["POST"])
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            own_data.change_password(
                user, form.current_password.data, form.new_password.data
            )
        except ServiceError as exc:
            return _refused(form, exc, "accounts/password.html")
        sessions.sign_in(user)  # this browser stays signed in, on a new session
        db.session.commit()
        flash(
            _("Password changed. Every other sign-in and API token was ended."),
            "success",
        )
        return redirect(url_for("accounts.account"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/password.html", form=form), status


@bp.route("/email", methods=["GET", "POST"])
@login_required
@limiter.limit("10/minute", methods=["POST"])
def change_email():
    form = EmailForm()
    if form.validate_on_submit():
        try:
            address = own_data.change_email(
                current_user, form.current_password.data, form.email.data
            )
        except ServiceError as exc:
            return _refused(form, exc, "accounts/email.html")
        db.session.commit()
        flash(
            _(
                "We sent a link to %(email)s. Your address changes when you open it.",
                email=address,
            ),
            "info",
        )
        return redirect(url_for("accounts.account"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/email.html", form=form), status


@bp.route("/sign-out-everywhere", methods=["GET", "POST"])
@login_required
@limiter.limit("10/minute", methods=["POST"])
def sign_out_everywhere():
    form = ReauthForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            own_data.check_password(user, form.current_password.data)
        except ServiceError as exc:
            return _refused(form, exc, "accounts/sign_out_everywhere.html")
        recovery.end_all_sessions(user)
        db.session.commit()
        logout_user()
        flash(
            _("You were signed out everywhere, this browser included."),
            "success",
        )
        return redirect(url_for("accounts.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/sign_out_everywhere.html", form=form), status


@bp.get("/export")
@login_required
def export():
    """Everything the shop keeps about the account, as one JSON file."""
    body = json.dumps(own_data.export(current_user), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-storefront-data.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.limit("5/minute", methods=["POST"])
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            own_data.delete_account(user, form.current_password.data)
        except ServiceError as exc:
            return _refused(form, exc, "accounts/delete.html")
        db.session.commit()
        logout_user()
        flash(_("Your account was deleted."), "success")
        return redirect(url_for("catalog.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/delete.html", form=form), status
