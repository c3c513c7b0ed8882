"""JSON API for the mobile client: auth, catalog, order status, OpenAPI."""

from __future__ import annotations

from flask import Blueprint, make_response, request
from flask_babel import gettext as _

from app.accounts import login_guard, recovery
from app.accounts import services as accounts
from app.api.openapi import build_spec
from app.catalog import services as catalog
from app.extensions import db, limiter
from app.http.auth import api_user
from app.http.parsing import field, json_body
from app.http.responses import ok
from app.services_errors import ServiceError

bp = Blueprint("api", __name__)


@bp.post("/auth/register")
@limiter.limit("10/minute")
def register():
    body = json_body()
    user = accounts.register_user(
        field(body, "email", str),
        field(body, "password", str),
        field(body, "name", str),
        field(body, "phone", str, required=False, default=""),
    )
    db.session.commit()
    return ok(
        {"id": user.id, "email": user.email, "name": user.name, "phone": user.phone},
        201,
    )


@bp.post("/auth/token")
@limiter.limit("10/minute")
def token():
    body = json_body()
    email, password = field(body, "email", str), field(body, "password", str)
    login_guard.check(email)  # 429 + Retry-After once the account is locked
    user = accounts.authenticate(email, password)
    if user is None:
        login_guard.failed(email)
        raise ServiceError("INVALID_CREDENTIALS", _("Email or password is wrong."), 401)
    raw = accounts.issue_token(user)
    db.session.commit()
    response = make_response(
        *ok({"token": raw, "tokenType": "Bearer", "userId": user.id})
    )
    return login_guard.remember_device(response, user.email)


@bp.post("/auth/password-reset")
@limiter.limit("5/minute")
def password_reset():
    """`{email}` -> 200 whether or not an account has it (reveals nothing);
    the owner gets a single-use link by email."""
    body = json_body()
    email = field(body, "email", str)
    recovery.request_password_reset(email)
    db.session.commit()
    return ok(
        {
            "message": "If an account uses this address, a link to choose a new "
            "password is on its way."
        }
    )


@bp.post("/auth/password-reset/confirm")
@limiter.limit("10/minute")
def password_reset_confirm():
    """`{token, password}` -> 200; the old password, every session and API
    token, and the link itself stop working."""
    body = json_body()
    user = recovery.reset_password(
        field(body, "token", str), field(body, "password", str)
    )
    db.session.commit()
    return ok({"userId": user.id, "passwordChanged": True})


@bp.get("/me")
def me():
    user = api_user()
    return ok(
        {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "phone": user.phone,
            "role": user.role,
        }
    )


@bp.get("/products")
def products():
    product_type = request.args.get("type") or None
    items = catalog.active_products(product_type)
    return ok([catalog.product_summary(p) for p in items])


@bp.get("/products/<int:product_id>")
def product(product_id: int):
    return ok(catalog.product_detail(catalog.get_product(product_id)))


@bp.get("/events")
def events():
    return ok([catalog.event_detail(e) for e in catalog.active_events()])


@bp.get("/events/<int:event_id>")
def event(event_id: int):
    return ok(catalog.event_detail(catalog.get_event(event_id)))


@bp.get("/openapi.json")
def openapi():
    return build_spec()
