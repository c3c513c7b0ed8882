"""Offline KOMOJU simulator, mounted at /_sandbox/komoju in sandbox mode.

It speaks the protocol in ../shared/gateways.md section 2: the `/api/v1` session
and payment API with HTTP Basic auth, the hosted payment page in the session's
language, konbini slips that are paid, lapse or are cancelled later, partial
and full refunds, and webhooks signed with HMAC-SHA256 over the raw body. The
code is written independently of `app.payments`: two separate implementations
of the protocol catch each other's mistakes, so never import the merchant
adapter here.

- `store`: Redis state, sessions; `payments`: payments and their state changes
- `params`: API body parsing; `api`: the merchant API; `webhooks`: delivery
- `pages` and `texts`: the hosted page, store actions and index; `http`: answers
"""

from __future__ import annotations

from flask import Blueprint, render_template

from app.extensions import csrf
from app.sandbox.komoju import api, pages
from app.sandbox.komoju.http import answers_json, error_json
from app.sandbox.komoju.store import SandboxError

bp = Blueprint("sandbox_komoju", __name__)
# KOMOJU authenticates its API with the secret key and takes cross-site form posts
# on its hosted pages; there is no CSRF token in its protocol.
csrf.exempt(bp)
bp.before_request(api.gate)


@bp.errorhandler(SandboxError)
def _sandbox_error(exc: SandboxError):
    if answers_json():
        return error_json(exc.status, exc.code, exc.message, exc.param)
    page = render_template("sandbox/komoju_problem.html", error=exc)
    return page, exc.status


def _route(rule: str, view, methods: tuple[str, ...] = ("GET",)) -> None:
    bp.add_url_rule(rule, view_func=view, methods=list(methods))


# The merchant API (JSON, HTTP Basic).
_route("/api/v1/sessions", api.api_create_session, ("POST",))
_route("/api/v1/sessions/<session_id>", api.api_get_session)
_route("/api/v1/sessions/<session_id>/cancel", api.api_cancel_session, ("POST",))
_route("/api/v1/payments/<payment_id>", api.api_get_payment)
_route("/api/v1/payments/<payment_id>/capture", api.api_capture_payment, ("POST",))
_route("/api/v1/payments/<payment_id>/cancel", api.api_cancel_payment, ("POST",))
_route("/api/v1/payments/<payment_id>/refund", api.api_refund_payment, ("POST",))
_route(
    "/api/v1/<path:rest>",
    api.api_not_found,
    ("GET", "POST", "PUT", "PATCH", "DELETE"),
)
# The customer's hosted page and what happens at the convenience store.
_route("/sessions/<session_id>", pages.hosted_page)
_route("/sessions/<session_id>/complete", pages.complete, ("POST",))
_route("/sessions/<session_id>/pay_at_store", pages.pay_at_store, ("POST",))
_route("/sessions/<session_id>/expire", pages.expire, ("POST",))
_route("/sessions/<session_id>/cancel_payment", pages.cancel_payment, ("POST",))
# Test and demo controls.
_route("/mode", pages.mode, ("GET", "POST"))
_route("/", pages.index)
