"""Merchant systems authenticate with a server API key: `Authorization: Bearer mk_…`.

Keys are created by an admin (back office, or `flask merchant-keys create NAME`,
which prints the key once), stored as a SHA-256 hash, and revocable. A missing,
malformed, unknown or revoked key is the same 401 `unauthenticated`.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from app.accounts.merchant_keys import merchant_for_key
from app.accounts.models import MerchantKey
from app.services_errors import ServiceError


class Unauthenticated(ServiceError):
    status = 401


def current_merchant() -> MerchantKey:
    cache = request.environ.setdefault("storefront.rpc_merchant", {})
    if "merchant" in cache:
        return cache["merchant"]
    header = request.headers.get("Authorization", "")
    scheme, _space, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthenticated(
            "UNAUTHENTICATED",
            _("Send your API key as 'Authorization: Bearer <key>'."),
        )
    merchant = merchant_for_key(raw.strip())
    if merchant is None:
        raise Unauthenticated(
            "UNAUTHENTICATED", _("The API key is invalid or revoked.")
        )
    cache["merchant"] = merchant
    return merchant
