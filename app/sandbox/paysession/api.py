"""The orders API under `/pg`, as a merchant's server calls it (§3.1-3.2).

Every call passes the fault mode first (a gateway that is down checks nothing),
then the credentials, then the API version header.
"""

from __future__ import annotations

import hmac

from flask import Response, request

from app.sandbox import faults
from app.sandbox.faults import FaultMode
from app.sandbox.paysession import store, wire
from app.sandbox.paysession.http import ApiProblem, invalid, json_response
from app.sandbox.paysession.validation import json_body, new_order, new_refund
from app.sandbox.states import (
    PAYSESSION_ORDER_MOVES,
    IllegalMove,
    PaysessionOrderStatus,
    next_status,
)


def gate() -> None:
    """Fault mode, then credentials, then the version header."""
    mode = store.get_mode()
    if mode == FaultMode.FAIL:
        raise ApiProblem(503, "service unavailable", "api_error", "api_error")
    if mode == FaultMode.HANG:
        faults.hang()
    authenticate()
    require_version()


def authenticate() -> None:
    client_id, secret = store.credentials()
    given_id = request.headers.get("x-client-id", "")
    given_secret = request.headers.get("x-client-secret", "")
    id_ok = hmac.compare_digest(given_id.encode(), client_id.encode())
    secret_ok = hmac.compare_digest(given_secret.encode(), secret.encode())
    if not (id_ok and secret_ok):
        raise ApiProblem(
            401, "authentication Failed", "request_failed", "authentication_error"
        )


def require_version() -> None:
    version = request.headers.get("x-api-version")
    if not version:
        raise ApiProblem(
            400, "x-api-version : is missing in the request", "api_version_missing"
        )
    if version != store.API_VERSION:
        raise ApiProblem(
            400,
            f"x-api-version : {version} is not supported by this sandbox "
            f"(use {store.API_VERSION})",
            "api_version_invalid",
        )


# --- orders ---------------------------------------------------------------------


def not_found() -> ApiProblem:
    return ApiProblem(404, "order not found", "order_not_found")


def find_order(order_id: str) -> dict:
    order = store.get_order(order_id)
    if order is None:
        raise not_found()
    return order


def create_order() -> Response:
    order = new_order(json_body())
    if not store.insert_order(order):
        raise ApiProblem(
            409, "order with same id is already present", "order_already_exists"
        )
    return json_response(wire.order_entity(order))


def fetch_order(order_id: str) -> Response:
    return json_response(wire.order_entity(find_order(order_id)))


def terminate_order(order_id: str) -> Response:
    """Only an ACTIVE order can be terminated; it answers TERMINATED at once."""
    if json_body().get("order_status") != "TERMINATED":
        raise invalid("order_status", "only TERMINATED is allowed")

    def change(order: dict | None) -> dict:
        if order is None:
            raise not_found()
        try:
            order["status"] = next_status(
                PAYSESSION_ORDER_MOVES, store.status_of(order), "terminate"
            )
        except IllegalMove as exc:
            raise ApiProblem(
                409,
                f"order is {exc.current} and cannot be terminated",
                "order_not_active",
            ) from None
        return order

    order = store.update(store.order_key(order_id), change)
    return json_response(wire.order_entity(order))


def list_payments(order_id: str) -> Response:
    order = find_order(order_id)
    return json_response([wire.payment_entity(order, p) for p in order["payments"]])


def fetch_payment(order_id: str, cf_payment_id: str) -> Response:
    order = find_order(order_id)
    for payment in order["payments"]:
        if payment["cf_payment_id"] == cf_payment_id:
            return json_response(wire.payment_entity(order, payment))
    raise ApiProblem(404, "payment not found", "payment_not_found")


# --- refunds --------------------------------------------------------------------


def add_refund(order: dict | None, refund: dict) -> dict:
    """Refuse refunds on unpaid orders, reused ids and amounts above what is left."""
    if order is None:
        raise not_found()
    if store.status_of(order) != PaysessionOrderStatus.PAID:
        raise ApiProblem(
            409, "refund is allowed only on a paid order", "order_not_paid"
        )
    if any(r["refund_id"] == refund["refund_id"] for r in order["refunds"]):
        raise ApiProblem(
            409, "refund with same id is already present", "refund_already_exists"
        )
    left = store.refundable(order)
    if store.money(refund["amount"]) > left:
        raise invalid("refund_amount", f"exceeds the refundable amount {left}")
    order["refunds"].append(refund)
    return order


def create_refund(order_id: str) -> Response:
    refund = new_refund(json_body())
    order = store.update(store.order_key(order_id), lambda o: add_refund(o, refund))
    return json_response(wire.refund_entity(order, refund))


def list_refunds(order_id: str) -> Response:
    order = find_order(order_id)
    return json_response([wire.refund_entity(order, r) for r in order["refunds"]])


def fetch_refund(order_id: str, refund_id: str) -> Response:
    order = find_order(order_id)
    for refund in order["refunds"]:
        if refund["refund_id"] == refund_id:
            return json_response(wire.refund_entity(order, refund))
    raise ApiProblem(404, "refund not found", "refund_not_found")
