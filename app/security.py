"""Default-on response hardening: CSP with per-request nonces, framing, HSTS."""

from __future__ import annotations

import secrets

from flask import Flask, abort, g, request
from flask_babel import gettext as _

from app.http.json_depth import MAX_JSON_DEPTH, too_deep


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


_NUL_MARKERS = (b"\x00", b"\\u0000", b"%00")


def _has_nul(data: bytes) -> bool:
    lowered = data.lower()
    return any(marker in lowered for marker in _NUL_MARKERS)


def register_security(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.before_request
    def _refuse_nul_bytes():
        """No text field anywhere accepts NUL (PostgreSQL cannot store it): refuse
        it at the door with a 400 instead of failing deep in a query."""
        if _has_nul(request.query_string) or _has_nul(request.path.encode()):
            abort(400, description=_("Text may not contain NUL characters."))
        if not request.content_length:
            return
        if request.mimetype == "multipart/form-data":
            # Uploaded files are binary; only the text fields are checked.
            if any("\x00" in v for v in request.form.values()):
                abort(400, description=_("Text may not contain NUL characters."))
        elif _has_nul(request.get_data()):
            abort(400, description=_("Text may not contain NUL characters."))

    @app.before_request
    def _refuse_deep_json():
        """A JSON body nested past any real request would exhaust the parser's
        recursion (a 500): refuse it here, for every endpoint at once, whatever
        content type it claims (the RPC reads JSON with `force=True`)."""
        if request.mimetype == "multipart/form-data":
            return  # files are binary; a url-encoded form percent-encodes brackets
        data = request.get_data()
        if data and too_deep(data):
            abort(
                400,
                description=_(
                    "The JSON body is nested too deeply (at most %(limit)s levels).",
                    limit=MAX_JSON_DEPTH,
                ),
            )

    production = app.config["APP_ENV"] == "production"

    @app.after_request
    def _headers(response):
        nonce = csp_nonce()
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if production:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
            )
        return response
