"""The shapes real eSewa answers take, so the merchant's parser meets them all.

Two switches, kept in Redis and set over HTTP (`/quirk`, `/mode`):

- `CallbackFormat`: how the success redirect carries `data` (gateways.md 1.5).
  The default is the documented form, `total_amount` as the string "N.0"; the
  others are formats seen from real eSewa: a thousands separator the signature
  was not computed over, a JSON number, `?data=` glued to a URL that already has
  a query, and base64 left unescaped (its `+` arrives as a space).
- `StatusMode`: what the status API answers (gateways.md 1.7): the truth, an
  outage or a slow answer, or a body that is not the documented JSON (`null`, a
  bare number, a proxy's HTML page, nothing at all, an error object with 200).
"""

from __future__ import annotations

import base64
import json
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from flask import Response, jsonify

from app.sandbox import faults
from app.sandbox.esewa.signing import (
    RESPONSE_SIGNED_FIELDS,
    callback_amount,
    sign,
    signing_message,
    with_query_param,
    with_thousands,
)
from app.sandbox.esewa.store import KEY_PREFIX, Record, secret_key
from app.sandbox.states import EsewaStatus

CALLBACK_KEY = f"{KEY_PREFIX}callback_format"
STATUS_MODE_KEY = f"{KEY_PREFIX}mode"
UNAVAILABLE = "Service is currently unavailable"


class CallbackFormat(StrEnum):
    STANDARD = "standard"  # {"total_amount": "2700.0", ...}, data percent-encoded
    THOUSANDS = "thousands"  # "2,700.0", signed over "2700.0"
    NUMBER = "number"  # "total_amount": 2700.0, a JSON number
    QUESTION_MARK = "question_mark"  # success_url?a=1?data=... (no `&`)
    RAW_BASE64 = "raw_base64"  # ?data=ab+c= unescaped: `+` reads as a space


class StatusMode(StrEnum):
    OK = "ok"
    FAIL = "fail"  # 503 {"code": 0, "error_message": ...}
    HANG = "hang"  # sleeps, then answers
    NULL = "null"  # 200, body `null`
    NUMBER = "number"  # 200, body `0`
    HTML = "html"  # 200, a proxy's HTML page
    EMPTY = "empty"  # 200, no body at all
    ERROR = "error"  # 200 {"code": 0, "error_message": ...}


def callback_format() -> CallbackFormat:
    return faults.get(CALLBACK_KEY, CallbackFormat, CallbackFormat.STANDARD)


def status_mode() -> StatusMode:
    return faults.get(STATUS_MODE_KEY, StatusMode, StatusMode.OK)


# --- the success redirect ---------------------------------------------------------


def success_redirect_url(record: Record, fmt: CallbackFormat) -> str:
    """The success_url plus `data`: base64 of the signed JSON eSewa sends.

    The signature is always computed over the plain "N.0" amount; only the way
    it is shown to the merchant differs between formats.
    """
    fields = record["fields"]
    signed = {
        "transaction_code": record["transaction_code"],
        "status": EsewaStatus.COMPLETE.value,
        "total_amount": callback_amount(fields["total_amount"]),
        "transaction_uuid": fields["transaction_uuid"],
        "product_code": fields["product_code"],
        "signed_field_names": RESPONSE_SIGNED_FIELDS,
    }
    shown: dict[str, Any] = {
        **signed,
        "signature": sign(
            signing_message(signed, RESPONSE_SIGNED_FIELDS), secret_key()
        ),
    }
    if fmt == CallbackFormat.THOUSANDS:
        shown["total_amount"] = with_thousands(signed["total_amount"])
    elif fmt == CallbackFormat.NUMBER:
        # eSewa's side prints a Java double; one decimal place round-trips.
        shown["total_amount"] = float(signed["total_amount"])
    compact = json.dumps(shown, separators=(",", ":"))
    data = base64.b64encode(compact.encode()).decode()
    url = fields["success_url"]
    if fmt == CallbackFormat.QUESTION_MARK:
        return f"{url}?data={quote(data, safe='')}"
    if fmt == CallbackFormat.RAW_BASE64:
        return f"{url}{'&' if '?' in url else '?'}data={data}"
    return with_query_param(url, "data", data)


# --- status API replies --------------------------------------------------------------


def api_error(message: str, status: int) -> tuple[Response, int]:
    return jsonify({"code": 0, "error_message": message}), status


def faulty_reply(mode: StatusMode) -> Response | tuple[Response, int] | None:
    """The answer a fault mode gives instead of the truth, or None for the truth."""
    if mode == StatusMode.HANG:
        faults.hang()
        return None
    if mode == StatusMode.FAIL:
        return api_error(UNAVAILABLE, 503)
    if mode == StatusMode.ERROR:
        return api_error(UNAVAILABLE, 200)
    bodies = {
        StatusMode.NULL: ("null", "application/json"),
        StatusMode.NUMBER: ("0", "application/json"),
        StatusMode.HTML: (
            "<html><head><title>502 Bad Gateway</title></head>"
            "<body><h1>Bad Gateway</h1></body></html>",
            "text/html",
        ),
        StatusMode.EMPTY: ("", "application/json"),
    }
    if mode in bodies:
        body, mimetype = bodies[mode]
        return Response(body, 200, mimetype=mimetype)
    return None
