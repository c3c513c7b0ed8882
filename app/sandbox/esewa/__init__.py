"""Offline eSewa ePay v2 simulator, mounted at /_sandbox/esewa in sandbox mode.

It speaks the wire protocol in ../shared/gateways.md section 1 (form post,
browser redirects, status API) so the storefront can be tested without the real
gateway, and it can answer in each of the formats real eSewa is known to use
(`quirks`). All state lives in Redis under `sandbox:esewa:`; there are no tables.

- `signing`: signatures, amounts and URLs as eSewa writes them
- `store`: transactions in Redis, changed only through the transition table
- `quirks`: the callback formats and status-API answers real eSewa produces
- `protocol`: the form and status endpoints a merchant's systems call
- `pages`: the customer's pay button, the index page and the test controls
"""

from __future__ import annotations

from flask import Blueprint

from app.extensions import csrf
from app.sandbox.esewa import pages, protocol

bp = Blueprint("sandbox_esewa", __name__)
# eSewa receives cross-site form posts from merchants' pages; there is no token.
csrf.exempt(bp)

bp.add_url_rule("/api/epay/main/v2/form", view_func=protocol.form, methods=["POST"])
bp.add_url_rule(
    "/api/epay/transaction/status/",
    view_func=protocol.transaction_status,
    strict_slashes=False,
)
bp.add_url_rule("/pay", view_func=pages.pay, methods=["POST"])
bp.add_url_rule("/", view_func=pages.index)
bp.add_url_rule("/mode", view_func=pages.mode, methods=["GET", "POST"])
bp.add_url_rule("/quirk", view_func=pages.quirk, methods=["GET", "POST"])
bp.add_url_rule(
    "/transactions/<transaction_uuid>/status",
    view_func=pages.force_status,
    methods=["POST"],
)
