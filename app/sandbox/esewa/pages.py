"""What a person uses: the customer's pay page and the test and demo controls.

`pay` is the button on eSewa's hosted page. The controls (status mode, callback
format, forcing a transaction's status) let tests and demos reproduce what real
eSewa does without a real account; they answer JSON.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, redirect, render_template, request, url_for

from app.sandbox import faults
from app.sandbox.esewa import quirks, store
from app.sandbox.esewa.protocol import error_page
from app.sandbox.esewa.quirks import CallbackFormat, StatusMode
from app.sandbox.states import EsewaStatus

OUTCOMES = ("success", "failure")


def pay() -> Response | tuple[str, int]:
    """The customer's choice on the payment page: pay, or give up."""
    transaction_uuid = request.form.get("transaction_uuid", "")
    outcome = request.form.get("outcome", "")
    if store.load_transaction(transaction_uuid) is None:
        return error_page(404, ["Unknown transaction_uuid."])
    if outcome not in OUTCOMES:
        return error_page(400, ["outcome must be success or failure."])
    if outcome == "failure":
        record = store.move(transaction_uuid, "abandon")
        return redirect(record["fields"]["failure_url"], code=302)
    record = store.move(transaction_uuid, "pay")
    if record["status"] != EsewaStatus.COMPLETE:
        return error_page(
            409, [f"The transaction is {record['status']} and cannot be paid."]
        )
    url = quirks.success_redirect_url(record, quirks.callback_format())
    return redirect(url, code=302)


def index() -> str:
    """A glance at recent sandbox transactions, for demos and debugging."""
    return render_template(
        "sandbox/esewa_index.html",
        transactions=store.recent_transactions(),
        mode=quirks.status_mode(),
        modes=list(StatusMode),
        callback_format=quirks.callback_format(),
        formats=list(CallbackFormat),
    )


# --- test and demo controls ----------------------------------------------------------


def posted_value(name: str) -> str:
    """A field from a form post or a JSON body, whichever the caller sent."""
    if request.is_json:
        payload = request.get_json(silent=True)
        payload = payload if isinstance(payload, dict) else {}
        return str(payload.get(name, "")).strip()
    return request.form.get(name, "").strip()


def mode() -> Response | tuple[Response, int]:
    """Read or switch what the status API answers (see `quirks.StatusMode`)."""
    if request.method == "POST":
        wanted = faults.parse(StatusMode, posted_value("mode"))
        if wanted is None:
            choices = faults.choices(StatusMode)
            return quirks.api_error(f"mode must be one of {choices}", 400)
        faults.put(quirks.STATUS_MODE_KEY, wanted)
        if request.form.get("redirect"):
            return redirect(url_for(".index"), 303)
    return jsonify({"mode": quirks.status_mode()})


def quirk() -> Response | tuple[Response, int]:
    """Read or switch the success redirect's format (see `quirks.CallbackFormat`)."""
    if request.method == "POST":
        wanted = faults.parse(CallbackFormat, posted_value("quirk"))
        if wanted is None:
            choices = faults.choices(CallbackFormat)
            return quirks.api_error(f"quirk must be one of {choices}", 400)
        faults.put(quirks.CALLBACK_KEY, wanted)
        if request.form.get("redirect"):
            return redirect(url_for(".index"), 303)
    return jsonify({"quirk": quirks.callback_format()})


def public_view(record: dict[str, Any]) -> dict[str, Any]:
    fields = record["fields"]
    return {
        "transaction_uuid": fields["transaction_uuid"],
        "total_amount": fields["total_amount"],
        "status": record["status"],
        "transaction_code": record["transaction_code"],
    }


def force_status(transaction_uuid: str) -> Response | tuple[Response, int]:
    """Put a transaction in any documented state, e.g. a refund eSewa made."""
    wanted = faults.parse(EsewaStatus, posted_value("status"))
    if wanted is None:
        choices = faults.choices(EsewaStatus)
        return quirks.api_error(f"status must be one of {choices}", 400)
    record = store.force(transaction_uuid, wanted)
    if record is None:
        return quirks.api_error("Unknown transaction_uuid", 404)
    return jsonify(public_view(record))
