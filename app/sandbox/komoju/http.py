"""How the KOMOJU simulator answers: JSON for programs, pages for people.

The API always answers KOMOJU's error JSON. The store actions (pay at the store,
expire, cancel the slip) and the mode switch are used both by scripts and from
the sandbox's pages, so they look at the Accept header.
"""

from __future__ import annotations

from flask import Response, jsonify, request

# Endpoints a script or a person may call: JSON for scripts, pages for browsers.
NEGOTIATED_ENDPOINTS = ("pay_at_store", "expire", "cancel_payment", "mode")


def error_json(
    status: int, code: str, message: str, param: str | None = None
) -> tuple[Response, int]:
    """KOMOJU's error body: `{"error": {"code", "message", "param"}}`."""
    body = {"error": {"code": code, "message": message, "param": param}}
    return jsonify(body), status


def view_name() -> str:
    return (request.endpoint or "").rpartition(".")[2]


def is_api_call() -> bool:
    return view_name().startswith("api_")


def prefers_html() -> bool:
    """Browsers list text/html first; scripts send `*/*` and get JSON."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def answers_json() -> bool:
    if is_api_call():
        return True
    return view_name() in NEGOTIATED_ENDPOINTS and not prefers_html()
