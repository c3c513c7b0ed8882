"""Server-to-server API keys for merchant systems (seed 002's PaymentService).

A key authenticates the merchant's calls (stored as a SHA-256 hash) and also
signs the webhooks we send to the merchant's `notify_url`, the way the
payment-session gateway signs its own with the merchant's secret. To sign
without storing the key, it is *derived*: HMAC-SHA256 of the app's
`SECRET_KEY` over a random per-key salt, which is stored. Whoever reads the
database alone learns no key; the app recomputes it when it signs (and checks
it against the stored hash, so a changed `SECRET_KEY` is noticed, not used).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import select

from app.accounts.models import MerchantKey, hash_token
from app.db import utcnow
from app.extensions import db

_PURPOSE = b"merchant-api-key:"


def _derive(salt: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(secret, _PURPOSE + salt.encode(), hashlib.sha256).digest()
    return "mk_" + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def create_merchant_key(name: str) -> tuple[str, MerchantKey]:
    salt = secrets.token_hex(16)
    raw = _derive(salt)
    key = MerchantKey(
        name=name, key_prefix=raw[:10], key_hash=hash_token(raw), key_salt=salt
    )
    db.session.add(key)
    db.session.flush()
    return raw, key


def signing_key(key: MerchantKey) -> str | None:
    """The merchant's API key, to sign their webhooks; None for a key made
    before keys were derived, or after `SECRET_KEY` changed (reissue the key)."""
    if not key.key_salt:
        return None
    raw = _derive(key.key_salt)
    if not hmac.compare_digest(hash_token(raw).encode(), key.key_hash.encode()):
        return None
    return raw


def merchant_for_key(raw: str) -> MerchantKey | None:
    if not raw or len(raw) > 200:
        return None
    return db.session.scalar(
        select(MerchantKey).where(
            MerchantKey.key_hash == hash_token(raw), MerchantKey.revoked_at.is_(None)
        )
    )


def revoke_merchant_key(key_id: int) -> bool:
    key = db.session.get(MerchantKey, key_id)
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    return True
