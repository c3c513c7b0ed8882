"""Gateway-facing endpoints: browser returns and signed webhooks."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.extensions import db, limiter
from app.http.responses import fail, ok
from app.orders.models import Order
from app.payments.browser import placed_here
from app.payments.gateways.registry import has_webhooks
from app.payments.inbound import record_redirect, record_webhook
from app.services_errors import NotFound, ServiceError
from app.urls import redirect_url_allowed, with_query

bp = Blueprint("payments_api", __name__)

RESULT_BY_HINT = {
    "captured": "success",
    "authorized": "success",
    "failed": "failure",
    "cancelled": "failure",
    "expired": "failure",
    "not_found": "failure",
}


def _wants_page() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "text/html"
        and request.accept_mimetypes[best]
        > request.accept_mimetypes["application/json"]
    )


@bp.route(
    "/redirect/<int:payment_id>/<any(success, failure):kind>", methods=["GET", "POST"]
)
@limiter.limit("120/minute")
def gateway_return(payment_id: int, kind: str):
    """Verify, record and book the job, then send the browser on (seed 000/001)."""
    params = {k: v for k, v in request.values.items() if isinstance(v, str)}
    try:
        outcome = record_redirect(payment_id, kind, params)
    except ServiceError as exc:
        db.session.rollback()
        if _wants_page():
            return (
                render_template(
                    "errors/error.html", status=exc.status, message=str(exc.message)
                ),
                exc.status,
            )
        return fail(exc.code, str(exc.message), exc.status, exc.details)
    db.session.commit()
    order = db.session.get(Order, outcome.order_id)
    # Gateways with a single return URL (Komoju, payment session) come back on
    # "success" whatever happened: report what the verified message said.
    result = RESULT_BY_HINT.get(outcome.verified_hint, "pending")
    if kind == "failure":
        result = "failure"
    # Checked again at the door out: a URL stored before the browser-exact check
    # (or edited in the database) must not send anyone off the allow-list.
    if order.return_url and redirect_url_allowed(order.return_url):
        return redirect(
            with_query(
                order.return_url,
                orderId=order.id,
                paymentId=outcome.payment_id,
                status=order.status,
                result=result,
            )
        )
    if not (outcome.authentic or placed_here(order)):
        # An unproven return (eSewa signs nothing on failure) from a browser that
        # did not place the order: say nothing about it.
        return render_template("payments/returned.html", result=result)
    return redirect(
        url_for(
            "payments.result",
            public_id=order.public_id,
            key=order.order_key,
            result=result,
        )
    )


@bp.post("/webhooks/<gateway>")
@limiter.exempt
def webhook(gateway: str):
    if not has_webhooks(gateway):
        raise NotFound("GATEWAY_NOT_FOUND", _("No such gateway."))
    headers = {k.lower(): v for k, v in request.headers.items()}
    outcome = record_webhook(gateway, headers, request.get_data(cache=False))
    db.session.commit()
    return ok({"received": True, "outcome": outcome})
