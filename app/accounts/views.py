"""Register, log in, log out, and the account page (API tokens)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import login_guard, services, sessions
from app.accounts.forms import LoginForm, PreferencesForm, RegisterForm, TokenForm
from app.accounts.models import User
from app.cart import guest as guest_cart
from app.extensions import db, limiter, login_manager
from app.i18n.preferences import set_locale_cookie
from app.services_errors import ServiceError
from app.urls import safe_next, same_site_path

bp = Blueprint("accounts", __name__)


@bp.before_app_request
def _load_user_afresh() -> None:
    """Each request asks the user loader again: Flask-Login keeps the user on
    `g`, which outlives a request when an app context spans several (a job run
    in-process, tests), and a session ended meanwhile must not ride on it."""
    g.pop("_login_user", None)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """`<id>.<session key>` (`User.get_id`): a cookie whose server-side session
    was ended (logout, password change, disabling) names nobody."""
    return sessions.load(user_id)


@login_manager.unauthorized_handler
def ask_to_sign_in():
    """Send a visitor to log in and back. A POST cannot be replayed after login
    (it would become a GET of a POST-only address: a 405), so the way back is
    the page the form was on."""
    if request.method == "GET":
        target = request.full_path.rstrip("?")
    else:
        target = same_site_path(request.referrer) or url_for("catalog.home")
    flash(_("Please log in to continue."), "info")
    return redirect(url_for("accounts.login", next=target))


# Pages "Log in" / "Register" in the navigation come back to. Only shop pages:
# an order, ticket or payment page carries its key or id in the address, which
# must not be copied into links on that page.
RETURNABLE = (
    "catalog.",
    "cart.",
    "training.training_page",
    "booklets.buy_page",
    "events.event_page",
)


@bp.app_template_global("login_next")
def login_next() -> str | None:
    """Where "Log in" / "Register" come back to: this shop page (its path
    only), or the `next` a login or register page was given."""
    if request.endpoint in ("accounts.login", "accounts.register"):
        return safe_next(request.args.get("next"), "") or None
    if request.method != "GET" or not (request.endpoint or "").startswith(RETURNABLE):
        return None
    return request.path


def _next_page() -> str:
    return safe_next(request.args.get("next"), url_for("catalog.home"))


def _welcome_back(user: User) -> None:
    """After login or registration: the visitor's cart becomes theirs."""
    moved = guest_cart.adopt(user.id)
    if moved.added:
        flash(
            _("Your cart now holds %(titles)s.", titles=", ".join(moved.added)),
            "success",
        )
    for title, why in moved.skipped:
        flash(
            _("“%(title)s” stayed out of your cart: %(why)s", title=title, why=why),
            "error",
        )


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
        _welcome_back(user)
        sessions.sign_in(user)
        db.session.commit()
        flash(_("Welcome! Your account is ready."), "success")
        return redirect(_next_page())
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            login_guard.check(form.email.data)
        except login_guard.TooManyAttempts as exc:
            flash(str(exc.message), "error")
            page = make_response(render_template("accounts/login.html", form=form))
            page.status_code = 429
            page.headers["Retry-After"] = str(exc.retry_after)
            return page
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            login_guard.failed(form.email.data)
            flash(_("Email or password is wrong."), "error")
            return render_template("accounts/login.html", form=form), 401
        _welcome_back(user)
        sessions.sign_in(user)
        db.session.commit()
        flash(_("Logged in as %(name)s.", name=user.name), "success")
        return login_guard.remember_device(redirect(_next_page()), user.email)
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    user = current_user._get_current_object() if current_user.is_authenticated else None
    sessions.sign_out(user)
    db.session.commit()
    flash(_("You are logged out."), "info")
    return redirect(url_for("catalog.home"))


@bp.get("/account")
@login_required
def account():
    prefs_form = PreferencesForm(
        formdata=None,
        locale=current_user.locale or "",
        timezone=current_user.timezone or "",
    )
    return render_template("accounts/account.html", prefs_form=prefs_form)


@bp.route("/account/developer", methods=["GET", "POST"])
@login_required
def developer():
    """API tokens for the mobile client and scripts: a developer's page, linked
    quietly from the account page, so customers meet no talk of bearer tokens."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = services.issue_token(current_user, form.name.data or "mobile")
        db.session.commit()
        flash(_("Token created. Copy it now: it is shown only once."), "success")
    tokens = [t for t in current_user.tokens if t.revoked_at is None]
    return render_template(
        "accounts/developer.html", form=form, tokens=tokens, new_token=new_token
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
    return redirect(url_for("accounts.developer"))
