"""The gateways' own records: every capture the sandboxes know of.

Read straight from the sandboxes' Redis (never restarted during the soak), the
way a reconciliation reads a gateway's settlement report: the shop's database
is not consulted here.
"""

from __future__ import annotations

import json

import redis


def _records(client: redis.Redis, pattern: str):
    for key in client.scan_iter(match=pattern, count=500):
        raw = client.get(key)
        if raw is None:
            continue
        try:
            yield key.decode(), json.loads(raw)
        except (ValueError, TypeError):
            continue


def captures(redis_url: str) -> dict[str, set[str]]:
    """Per gateway, the transaction ids (as the shop stores them in
    payments.gateway_txn_id) whose money moved: captured, or captured and
    refunded since."""
    client = redis.Redis.from_url(redis_url)
    out: dict[str, set[str]] = {"esewa": set(), "komoju": set(), "paysession": set()}
    for key, rec in _records(client, "sandbox:esewa:txn:*"):
        if isinstance(rec, dict) and rec.get("status") in ("COMPLETE", "FULL_REFUND"):
            out["esewa"].add(key.rsplit(":", 1)[1])
    for _key, rec in _records(client, "sandbox:komoju:payment:*"):
        if isinstance(rec, dict) and rec.get("status") in ("captured", "refunded"):
            session = rec.get("session") or rec.get("session_id")
            if session:
                out["komoju"].add(session)
    for key, rec in _records(client, "sandbox:paysession:order:*"):
        if isinstance(rec, dict) and rec.get("status") == "PAID":
            out["paysession"].add(rec.get("order_id") or key.rsplit(":", 1)[1])
    return out
