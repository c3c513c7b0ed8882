"""The two endpoints a merchant's systems call: the payment form and status check.

The form is posted by the customer's browser from the merchant's auto-submitting
page; the status API is called server to server (gateways.md 1.1, 1.2, 1.7).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import Response, jsonify, render_template, request

from app.sandbox.esewa import quirks, store
from app.sandbox.esewa.signing import (
    REQUEST_SIGNED_FIELDS,
    parse_amount,
    sign,
    signature_matches,
    signing_message,
)
from app.sandbox.states import ESEWA_MONEY_MOVED, EsewaStatus

FORM_FIELDS = (
    "amount",
    "tax_amount",
    "total_amount",
    "transaction_uuid",
    "product_code",
    "product_service_charge",
    "product_delivery_charge",
    "success_url",
    "failure_url",
    "signed_field_names",
    "signature",
)
CHARGE_FIELDS = (
    "amount",
    "tax_amount",
    "product_service_charge",
    "product_delivery_charge",
)
UUID_RE = re.compile(r"[A-Za-z0-9-]+")
MERCHANT_KEY_ERROR = (
    '{"error_message":"Unable to fetch merchant key. Please try again later.","code":0}'
)
STATUS_QUERY = ("product_code", "total_amount", "transaction_uuid")


# --- form validation ----------------------------------------------------------------


def missing_fields(form: dict[str, str]) -> list[str]:
    return [name for name in FORM_FIELDS if not form.get(name, "").strip()]


def amount_problems(form: dict[str, str]) -> list[str]:
    """Every charge must be a non-negative decimal and the total must add up."""
    values: dict[str, Decimal] = {}
    problems = []
    for name in (*CHARGE_FIELDS, "total_amount"):
        value = parse_amount(form[name])
        if value is None or value < 0:
            problems.append(f"{name} must be a non-negative number.")
        else:
            values[name] = value
    if problems:
        return problems
    if values["total_amount"] <= 0:
        return ["total_amount must be greater than zero."]
    expected = sum(values[name] for name in CHARGE_FIELDS)
    if values["total_amount"] != expected:
        return [
            f"total_amount {form['total_amount']} does not equal amount + "
            f"tax_amount + product_service_charge + product_delivery_charge "
            f"({expected})."
        ]
    return []


def signature_problems(form: dict[str, str]) -> list[str]:
    if form["signed_field_names"] != REQUEST_SIGNED_FIELDS:
        return [f"signed_field_names must be exactly {REQUEST_SIGNED_FIELDS}."]
    expected = sign(signing_message(form, REQUEST_SIGNED_FIELDS), store.secret_key())
    if not signature_matches(expected, form["signature"]):
        return ["Invalid signature."]
    return []


def form_problems(form: dict[str, str]) -> list[str]:
    """What eSewa would refuse in a form post; an empty list means accepted."""
    missing = missing_fields(form)
    if missing:
        return [f"Missing or empty field: {name}." for name in missing]
    if form["product_code"] != store.product_code():
        # eSewa cannot look up a key for an unknown merchant, so it stops here.
        return [MERCHANT_KEY_ERROR]
    problems = signature_problems(form)
    if not UUID_RE.fullmatch(form["transaction_uuid"]):
        problems.append(
            "transaction_uuid may contain only letters, digits and hyphens."
        )
    problems += amount_problems(form)
    return problems


def error_page(status: int, problems: list[str]) -> tuple[str, int]:
    html = render_template("sandbox/esewa_error.html", status=status, problems=problems)
    return html, status


# --- endpoints ----------------------------------------------------------------------


def form() -> tuple[str, int] | str:
    """The payment form endpoint the merchant's auto-submitting page posts to."""
    fields = {name: request.form.get(name, "") for name in FORM_FIELDS}
    problems = form_problems(fields)
    if problems:
        return error_page(400, problems)
    if store.start(fields) is None:
        return error_page(
            400, ["Duplicate transaction_uuid: this transaction is already paid."]
        )
    return render_template(
        "sandbox/esewa_pay.html", fields=fields, merchant=fields["product_code"]
    )


def status_body(query: dict[str, str], total: Decimal) -> dict[str, Any]:
    """The status answer; anything that does not match a record is NOT_FOUND."""
    record = store.load_transaction(query["transaction_uuid"])
    body: dict[str, Any] = {
        "product_code": query["product_code"],
        "transaction_uuid": query["transaction_uuid"],
        "total_amount": float(total),
        "status": EsewaStatus.NOT_FOUND.value,
        "ref_id": None,
    }
    if record is None:
        return body
    fields = record["fields"]
    if fields["product_code"] != query["product_code"]:
        return body
    if Decimal(fields["total_amount"]) != total:
        return body
    body["total_amount"] = float(Decimal(fields["total_amount"]))
    body["status"] = record["status"]
    if record["status"] in ESEWA_MONEY_MOVED:
        body["ref_id"] = record["transaction_code"]
    return body


def transaction_status() -> Response | tuple[Response, int]:
    """The server-to-server status check; the status mode applies only here.

    `total_amount` is matched numerically, with any thousands separator
    removed, because merchants pass on what the callback showed them.
    """
    faulty = quirks.faulty_reply(quirks.status_mode())
    if faulty is not None:
        return faulty
    query = {name: request.args.get(name, "").strip() for name in STATUS_QUERY}
    missing = [name for name in STATUS_QUERY if not query[name]]
    if missing:
        return quirks.api_error(f"Missing parameter(s): {', '.join(missing)}", 400)
    total = parse_amount(query["total_amount"].replace(",", ""))
    if total is None:
        return quirks.api_error("total_amount must be a number", 400)
    return jsonify(status_body(query, total))
