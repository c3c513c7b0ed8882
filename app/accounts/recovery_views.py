"""Pages for accounts that recover themselves: forgot password, reset by link,
confirm an email address (and send the link again)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.accounts import recovery
from app.accounts.forms import ForgotPasswordForm, ResetPasswordForm
from app.extensions import db, limiter
from app.services_errors import ServiceError

bp = Blueprint("recovery", __name__)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5/minute", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        recovery.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("accounts/forgot_sent.html", email=form.email.data)
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def reset_password(token: str):
    try:
        user = recovery.user_for_reset(token)
    except ServiceError as exc:
        db.session.rollback()
        return render_template("accounts/reset_invalid.html", message=exc.message), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        recovery.reset_password(token, form.password.data)
        db.session.commit()
        if current_user.is_authenticated:
            logout_user()
        flash(
            _(
                "Your password was changed and every sign-in was ended. Log in "
                "with the new password."
            ),
            "success",
        )
        return redirect(url_for("accounts.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/reset.html", form=form, user=user), status


@bp.get("/account/verify/<token>")
def verify_email(token: str):
    try:
        user = recovery.confirm_email(token)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("catalog.home"))
    db.session.commit()
    flash(_("Thank you: %(email)s is confirmed.", email=user.email), "success")
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    return redirect(url_for("accounts.login"))


@bp.post("/account/verify/resend")
@login_required
@limiter.limit("3/minute")
def resend_verification():
    if current_user.email_verified_at is None:
        recovery.send_verification(current_user)
        db.session.commit()
    flash(
        _("We sent a new confirmation link to %(email)s.", email=current_user.email),
        "info",
    )
    return redirect(url_for("accounts.account"))
