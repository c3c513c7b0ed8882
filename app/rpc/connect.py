"""Connect protocol errors: `{"code", "message", "details"}` with an HTTP status.

Our services raise `ServiceError` (stable code, message, HTTP status); this module
turns one into a Connect error so Connect clients read `code` from the body. Each
error carries a `google.rpc.ErrorInfo` detail (reason = our stable code, e.g.
`PAYMENT_METHOD_NOT_ALLOWED`), and validation errors a `google.rpc.BadRequest`
with one field violation per bad field. Details are real protobuf bytes (hand
encoded: both messages are only strings), with a readable `debug` copy.

HTTP statuses follow seed 003's error contract, which wins over Connect's own
table where they differ: an order that is paid, cancelled or expired answers
`failed_precondition` with **409** (Connect would say 400).
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Response, jsonify

from app.services_errors import ServiceError

DOMAIN = "storefront"

# HTTP status of a ServiceError -> (Connect code, HTTP status we answer with)
BY_STATUS: dict[int, tuple[str, int]] = {
    400: ("invalid_argument", 400),
    401: ("unauthenticated", 401),
    403: ("permission_denied", 403),
    404: ("not_found", 404),
    405: ("unimplemented", 404),
    409: ("failed_precondition", 409),
    413: ("resource_exhausted", 413),
    415: ("invalid_argument", 415),
    422: ("invalid_argument", 400),
    429: ("resource_exhausted", 429),
    503: ("unavailable", 503),
    504: ("deadline_exceeded", 504),
}
# Stable codes whose Connect code is more specific than their HTTP status says.
BY_CODE: dict[str, tuple[str, int]] = {
    "IDEMPOTENCY_KEY_REUSED": ("already_exists", 409),
}


# --- protobuf wire format (length-delimited string fields only) --------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, data: bytes) -> bytes:
    return _varint((number << 3) | 2) + _varint(len(data)) + data


def _string(number: int, text: str) -> bytes:
    return _field(number, text.encode())


def error_info(reason: str, metadata: dict[str, str]) -> bytes:
    """google.rpc.ErrorInfo{reason=1, domain=2, map<string,string> metadata=3}."""
    body = _string(1, reason) + _string(2, DOMAIN)
    for key, value in metadata.items():
        body += _field(3, _string(1, key) + _string(2, value))
    return body


def bad_request(fields: dict[str, str]) -> bytes:
    """google.rpc.BadRequest{repeated FieldViolation{field=1, description=2}=1}."""
    return b"".join(
        _field(1, _string(1, name) + _string(2, text)) for name, text in fields.items()
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


# --- rendering -----------------------------------------------------------------


def connect_code(code: str, status: int) -> tuple[str, int]:
    if code in BY_CODE:
        return BY_CODE[code]
    if status in BY_STATUS:
        return BY_STATUS[status]
    return ("internal", 500) if status >= 500 else ("invalid_argument", 400)


def error_response(
    code: str,
    message: str,
    status: int,
    details: dict[str, Any] | None = None,
) -> Response:
    """Render our (code, message, status, details) as a Connect error."""
    details = dict(details or {})
    fields = details.pop("fields", None) or {}
    connect, http_status = connect_code(code, status)
    metadata = {str(k): _flat(v) for k, v in details.items()}
    items = [
        {
            "type": "google.rpc.ErrorInfo",
            "value": _b64(error_info(code, metadata)),
            "debug": {"reason": code, "domain": DOMAIN, "metadata": metadata},
        }
    ]
    if fields:
        violations = [{"field": k, "description": v} for k, v in fields.items()]
        items.append(
            {
                "type": "google.rpc.BadRequest",
                "value": _b64(bad_request(fields)),
                "debug": {"fieldViolations": violations},
            }
        )
    response = jsonify({"code": connect, "message": message, "details": items})
    response.status_code = http_status
    if connect == "unavailable":
        response.headers["Retry-After"] = "5"
    return response


def from_service_error(exc: ServiceError) -> Response:
    return error_response(exc.code, str(exc.message), exc.status, exc.details)


def _flat(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)
