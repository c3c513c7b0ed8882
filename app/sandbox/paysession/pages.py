"""The hosted checkout a shopper sees, and the sandbox's index and mode switch.

The checkout page is keyed by `payment_session_id`, offers the order's payment
methods (all, or those in `order_meta.payment_methods`) and lets the tester end
the attempt as a success, a decline or a drop-out (§3.5, §3.6).
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from flask import redirect, render_template, request, url_for

from app.sandbox import faults
from app.sandbox.faults import FaultMode
from app.sandbox.paysession import methods, store
from app.sandbox.paysession.http import PageProblem, error_body, json_response
from app.sandbox.paysession.validation import digits
from app.sandbox.paysession.webhooks import send_webhook
from app.sandbox.states import (
    PAYSESSION_ORDER_MOVES,
    IllegalMove,
    PaysessionPaymentStatus,
    next_status,
)

PLACEHOLDER_RE = re.compile(r"\{order_id\}|%7Border_id%7D", re.IGNORECASE)
OUTCOMES = {
    "success": PaysessionPaymentStatus.SUCCESS,
    "failed": PaysessionPaymentStatus.FAILED,
    "dropped": PaysessionPaymentStatus.USER_DROPPED,
}
MESSAGES = {
    PaysessionPaymentStatus.SUCCESS: "Transaction successful",
    PaysessionPaymentStatus.FAILED: "Transaction declined by the issuer",
    PaysessionPaymentStatus.USER_DROPPED: "User dropped out of the payment flow",
}
ERRORS: dict[str, dict | None] = {
    PaysessionPaymentStatus.SUCCESS: None,
    PaysessionPaymentStatus.FAILED: {
        "error_code": "TRANSACTION_DECLINED",
        "error_description": "issuer bank or payment service provider declined "
        "the transaction",
        "error_reason": "auth_declined",
        "error_source": "customer",
        "error_code_raw": "ZM",
        "error_description_raw": "transaction declined",
    },
    PaysessionPaymentStatus.USER_DROPPED: {
        "error_code": "USER_DROPPED",
        "error_description": "user dropped and did not complete the payment",
        "error_reason": "user_dropped",
        "error_source": "customer",
        "error_code_raw": None,
        "error_description_raw": None,
    },
}


# --- hosted checkout ----------------------------------------------------------


def open_order(session_id: str) -> dict:
    """The order behind a session, or a 404/409 page for the shopper."""
    order = store.order_for_session(session_id)
    if order is None:
        raise PageProblem(
            404, "Unknown payment session", "This payment link is not valid."
        )
    ensure_payable(order)
    return order


def ensure_payable(order: dict) -> None:
    status = store.status_of(order)
    try:
        next_status(PAYSESSION_ORDER_MOVES, status, "pay")
    except IllegalMove:
        raise PageProblem(
            409,
            "This order cannot be paid",
            f"Order {order['order_id']} is {status.lower()}; start a new checkout.",
        ) from None


def checkout(session_id: str) -> str:
    order = open_order(session_id)
    return render_template(
        "sandbox/paysession_checkout.html",
        order=order,
        amount=store.money(order["order_amount"]),
        session_id=session_id,
        methods=methods.offered(order),
    )


def chosen_method(order: dict) -> str:
    """The method the shopper picked; without a choice, the first one offered."""
    offered = [m.code for m in methods.offered(order)]
    code = request.form.get("payment_method", "").strip() or offered[0]
    if code not in offered:
        raise PageProblem(
            400,
            "Payment method not offered",
            f"{code} is not offered for order {order['order_id']}.",
        )
    return code


def new_payment(order: dict, status: PaysessionPaymentStatus, method: str) -> dict:
    """One payment attempt; only a success carries a bank reference."""
    success = status == PaysessionPaymentStatus.SUCCESS
    return {
        "cf_payment_id": digits(13),
        "status": status,
        "method": method,
        "amount": order["order_amount"],
        "message": MESSAGES[status],
        "time": store.iso(store.now_ist()),
        "bank_reference": digits(12) if success else None,
        "error_details": ERRORS[status],
        "delivery_id": secrets.token_hex(8)
        if order["order_meta"].get("notify_url")
        else None,
    }


def record_attempt(
    snapshot: dict, status: PaysessionPaymentStatus, method: str
) -> tuple[dict, dict]:
    """Append the attempt atomically: a second tab cannot pay a PAID order.

    Failed and dropped attempts leave the order ACTIVE so the shopper may retry.
    """
    payment = new_payment(snapshot, status, method)
    event = "pay" if status == PaysessionPaymentStatus.SUCCESS else "attempt_failed"

    def change(order: dict | None) -> dict:
        if order is None:
            raise PageProblem(404, "Unknown order", "This order no longer exists.")
        ensure_payable(order)
        order["payments"].append(payment)
        order["status"] = next_status(
            PAYSESSION_ORDER_MOVES, store.status_of(order), event
        )
        return order

    return store.update(store.order_key(snapshot["order_id"]), change), payment


def return_target(return_url: str, order_id: str) -> str:
    """Fill the `{order_id}` placeholder; without one, append `order_id=`."""
    if PLACEHOLDER_RE.search(return_url):
        filled = quote(order_id, safe="")
        return PLACEHOLDER_RE.sub(lambda _match: filled, return_url)
    parts = urlsplit(return_url)
    if any(name == "order_id" for name, _ in parse_qsl(parts.query)):
        return return_url
    extra = urlencode({"order_id": order_id})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


def complete(session_id: str) -> Any:
    outcome = request.form.get("outcome", "")
    if outcome not in OUTCOMES:
        raise PageProblem(400, "Unknown outcome", "Choose success, failed or dropped.")
    order = open_order(session_id)
    order, payment = record_attempt(order, OUTCOMES[outcome], chosen_method(order))
    send_webhook(order, payment)
    return_url = order["order_meta"].get("return_url")
    if return_url:
        return redirect(return_target(return_url, order["order_id"]), 302)
    return render_template(
        "sandbox/paysession_message.html",
        title=f"Payment {payment['status'].lower().replace('_', ' ')}",
        message=f"Order {order['order_id']}: {payment['message']}.",
    )


# --- fault mode and index -------------------------------------------------------


def mode() -> Any:
    """Switch the API between ok, fail and hang; hosted pages are never affected."""
    if request.method == "POST":
        data = request.get_json(silent=True) if request.is_json else request.form
        value = faults.parse(
            FaultMode, data.get("mode") if isinstance(data, dict) else None
        )
        if value is None:
            body = error_body(
                f"mode : should be one of {faults.choices(FaultMode)}",
                "mode_invalid",
                "invalid_request_error",
            )
            return json_response(body, 400)
        store.set_mode(value)
        if request.form.get("redirect"):
            return redirect(url_for(".index"), 303)
    return json_response({"mode": store.get_mode()})


def order_row(order: dict) -> dict:
    """What the index shows per order: attempts and their webhook deliveries."""
    ids = [p["delivery_id"] for p in order["payments"] if p.get("delivery_id")]
    return {
        "order": order,
        "amount": store.money(order["order_amount"]),
        "status": store.status_of(order),
        "deliveries": store.deliveries(ids),
    }


def index() -> str:
    rows = [order_row(o) for o in store.recent_orders()]
    return render_template(
        "sandbox/paysession_index.html",
        rows=rows,
        mode=store.get_mode(),
        modes=list(FaultMode),
    )
