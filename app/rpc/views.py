"""`/rpc/payment.v1.PaymentService/…`: Connect-style JSON RPC for merchant systems.

Unary RPCs are `POST /rpc/payment.v1.PaymentService/<Method>` with the request
message as the JSON body and the response message as the JSON answer (no
envelope). Errors are Connect errors (`app.rpc.connect`). Read access to the
seed's Order and Payment structures is also offered as plain GETs, which the
`payments` / `refunds` / `settlements` URLs inside an Order point at.
Every call needs `Authorization: Bearer <merchant API key>`.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.errors import http_message
from app.extensions import db, limiter
from app.http.idempotency import run_idempotent
from app.payments.bill import bill_dict
from app.rpc import connect, serializers
from app.rpc.auth import current_merchant
from app.rpc.requests import parse_create_order
from app.rpc.services import (
    create_service_order,
    merchant_order,
    merchant_orders,
    merchant_payment,
    order_id_field,
    settlement_window,
    verify_order_payment,
)
from app.rpc.settlements import settlements
from app.services_errors import ServiceError

log = logging.getLogger(__name__)
bp = Blueprint("rpc", __name__)
SERVICE = "/payment.v1.PaymentService"


# --- errors: Connect, never the ResponseDto ------------------------------------


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError):
    db.session.rollback()
    return connect.from_service_error(exc)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    db.session.rollback()
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        return connect.error_response("HTTP_ERROR", http_message(exc), status)
    if isinstance(exc, OperationalError):
        return connect.error_response(
            "SERVICE_UNAVAILABLE", _("The service is temporarily unavailable."), 503
        )
    log.exception("unhandled error in the PaymentService RPC")
    return connect.error_response("INTERNAL_ERROR", _("Internal error"), 500)


def message_body() -> dict:
    """The request message: a JSON object (Connect's JSON codec)."""
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ServiceError(
            "VALIDATION_ERROR", _("The request body must be a JSON object."), 400
        )
    return body


# --- RPCs ---------------------------------------------------------------------


@bp.post(f"{SERVICE}/CreateOrder")
@limiter.limit("120/minute")
def create_order():
    """CreateOrderRequest → CreateOrderResponse {payment_session_id, return_url,
    order_id}. An `Idempotency-Key` header makes retries safe: the same key and
    body answer the same order; the same key with another body is refused."""
    merchant = current_merchant()
    body = message_body()
    req = parse_create_order(body)
    status, data = run_idempotent(
        f"merchant:{merchant.id}",
        "rpc.CreateOrder",
        request.headers.get("Idempotency-Key"),
        body,
        lambda: create_service_order(merchant, req),
    )
    return jsonify(data), status


@bp.post(f"{SERVICE}/VerifyPayment")
@limiter.limit("300/minute")
def verify_payment():
    """VerifyPaymentRequest {order_id} → {message, code, status}."""
    merchant = current_merchant()
    answer = verify_order_payment(merchant, order_id_field(message_body()))
    db.session.commit()
    return jsonify(answer)


@bp.post(f"{SERVICE}/GetOrder")
def get_order_rpc():
    """{order_id} → the seed's Order structure, and the log of the webhooks sent
    to its notify_url (`notifications`: each one's deliveries and answers)."""
    merchant = current_merchant()
    order = merchant_order(merchant, order_id_field(message_body()))
    return jsonify(serializers.order_message(order))


# --- read access (the URLs an Order links to) -----------------------------------


@bp.get(f"{SERVICE}/orders/<order_id>")
def get_order(order_id: str):
    order = merchant_order(current_merchant(), order_id)
    return jsonify(serializers.order_message(order))


@bp.get(f"{SERVICE}/orders/<order_id>/payments")
def list_payments(order_id: str):
    order = merchant_order(current_merchant(), order_id)
    return jsonify([serializers.payment_message(p) for p in order.payments])


@bp.get(f"{SERVICE}/orders/<order_id>/payments/<payment_id>")
def get_payment(order_id: str, payment_id: str):
    order = merchant_order(current_merchant(), order_id)
    return jsonify(serializers.payment_message(merchant_payment(order, payment_id)))


@bp.get(f"{SERVICE}/orders/<order_id>/refunds")
def list_refunds(order_id: str):
    order = merchant_order(current_merchant(), order_id)
    return jsonify(serializers.refund_messages(order))


@bp.get(f"{SERVICE}/orders/<order_id>/settlements")
def list_settlements(order_id: str):
    """What this order captured, refunded and left due, per day."""
    order = merchant_order(current_merchant(), order_id)
    return jsonify(settlements([order]))


@bp.get(f"{SERVICE}/orders/<order_id>/notifications")
def list_notifications(order_id: str):
    """The webhooks sent to the order's notify_url and how each delivery went."""
    order = merchant_order(current_merchant(), order_id)
    return jsonify(serializers.delivery_log(order))


@bp.get(f"{SERVICE}/settlements")
def all_settlements():
    """Every order of this merchant, per day (`from` / `to`: ISO dates, UTC
    creation of the orders, at most 92 days apart)."""
    merchant = current_merchant()
    start, end = settlement_window(request.args.get("from"), request.args.get("to"))
    return jsonify(settlements(merchant_orders(merchant, start, end)))


@bp.get(f"{SERVICE}/orders/<order_id>/bills")
def list_bills(order_id: str):
    """Seed 003's bill for each payment attempt."""
    order = merchant_order(current_merchant(), order_id)
    return jsonify([bill_dict(p) for p in order.payments])


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str):
    return connect.error_response(
        "UNKNOWN_PROCEDURE", _("No such procedure: /%(name)s", name=rest), 405
    )
