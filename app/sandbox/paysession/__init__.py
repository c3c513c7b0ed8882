"""Payment-session gateway sandbox: a Cashfree PG (2023-08-01) look-alike.

The storefront cannot reach the real gateway, so this blueprint plays it on
loopback: an orders API under `/pg`, a hosted checkout page keyed by
`payment_session_id` that offers the order's payment methods, and signed
webhooks delivered by an RQ job with the gateway's retry shape. Fault modes let
tests and demos see a gateway that is down (`fail`) or slow (`hang`).
Protocol facts: shared/gateways.md section 3.

- `store`: orders and deliveries in Redis; `wire`: entities, JSON, signatures
- `validation` and `api`: the orders API; `webhooks`: signed notifications
- `pages` and `methods`: the hosted checkout, its payment methods, the index
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from werkzeug.exceptions import HTTPException

from app.extensions import csrf
from app.sandbox.paysession import api, pages
from app.sandbox.paysession.http import (
    ApiProblem,
    PageProblem,
    error_body,
    json_response,
)

bp = Blueprint("sandbox_paysession", __name__)
pg = Blueprint("pg", __name__)
csrf.exempt(bp)
csrf.exempt(pg)  # nested blueprints are looked up by their own name
pg.before_request(api.gate)


@pg.errorhandler(ApiProblem)
def _api_problem(exc: ApiProblem) -> Response:
    return json_response(error_body(exc.message, exc.code, exc.kind), exc.status)


@pg.errorhandler(HTTPException)
def _api_http_error(exc: HTTPException) -> Response:
    """Keep even framework errors (413, 405, ...) in the gateway's error shape."""
    status = exc.code or 400
    message = exc.description or "request failed"
    body = error_body(message, "request_invalid", "invalid_request_error")
    return json_response(body, status)


@bp.errorhandler(PageProblem)
def _page_problem(exc: PageProblem) -> tuple[str, int]:
    page = render_template(
        "sandbox/paysession_message.html", title=exc.title, message=exc.message
    )
    return page, exc.status


# The orders API (JSON, client id and secret headers).
pg.add_url_rule("/orders", view_func=api.create_order, methods=["POST"])
pg.add_url_rule("/orders/<order_id>", view_func=api.fetch_order)
pg.add_url_rule("/orders/<order_id>", view_func=api.terminate_order, methods=["PATCH"])
pg.add_url_rule("/orders/<order_id>/payments", view_func=api.list_payments)
pg.add_url_rule(
    "/orders/<order_id>/payments/<cf_payment_id>", view_func=api.fetch_payment
)
pg.add_url_rule(
    "/orders/<order_id>/refunds", view_func=api.create_refund, methods=["POST"]
)
pg.add_url_rule("/orders/<order_id>/refunds", view_func=api.list_refunds)
pg.add_url_rule("/orders/<order_id>/refunds/<refund_id>", view_func=api.fetch_refund)
bp.register_blueprint(pg, url_prefix="/pg")

# The shopper's hosted checkout, then the test and demo controls.
bp.add_url_rule("/checkout/<session_id>", view_func=pages.checkout)
bp.add_url_rule(
    "/checkout/<session_id>/complete", view_func=pages.complete, methods=["POST"]
)
bp.add_url_rule("/mode", view_func=pages.mode, methods=["GET", "POST"])
bp.add_url_rule("/", view_func=pages.index)
