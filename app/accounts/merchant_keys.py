"""Server-to-server API keys for merchant systems (seed 002's PaymentService)."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from app.accounts.models import MerchantKey, hash_token
from app.db import utcnow
from app.extensions import db


def create_merchant_key(name: str) -> tuple[str, MerchantKey]:
    raw = "mk_" + secrets.token_urlsafe(32)
    key = MerchantKey(name=name, key_prefix=raw[:10], key_hash=hash_token(raw))
    db.session.add(key)
    db.session.flush()
    return raw, key


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
