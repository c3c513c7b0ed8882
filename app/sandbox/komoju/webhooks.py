"""Signed KOMOJU webhooks, delivered by RQ like the real thing retries them.

The envelope is serialised once; those exact bytes are signed (lowercase hex
HMAC-SHA256 with the webhook secret, gateways.md 2.6) and sent on every attempt.
Delivery runs on the RQ queue "sandbox", so a merchant endpoint that fails is
retried later and a slow one never holds up the customer's redirect.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import requests
from flask import current_app
from rq import Retry

from app.config import gateway_url
from app.jobs import get_queue, in_app_context
from app.sandbox.komoju import store
from app.sandbox.komoju.store import Record

WEBHOOK_RETRY_INTERVALS = [2, 10, 30, 60, 120]
WEBHOOK_TIMEOUT_SECONDS = 5
WEBHOOK_FAILURE_TTL = 7 * 24 * 3600


class WebhookDeliveryError(RuntimeError):
    """Raised by the delivery job so RQ retries it."""


def sign(secret: str, body: bytes) -> str:
    """`X-Komoju-Signature`: lowercase hex HMAC-SHA256 of the exact body bytes."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def build_event(event_type: str, payment: Record) -> tuple[str, bytes]:
    """The event envelope, serialised once: these bytes are signed and sent."""
    event_id = f"evt_{store.new_id()}"
    envelope = {
        "id": event_id,
        "type": event_type,
        "resource": "event",
        "data": payment,
        "created_at": store.iso(store.now()),
        "reason": None,
    }
    body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
    return event_id, body.encode("utf-8")


def send_event(event_type: str, payment: Record) -> str:
    """Queue a signed webhook for the payment's new state; returns the event id.

    URL and secret are read from config now, so a test that points the webhook
    elsewhere affects exactly the events raised after it did so.
    """
    event_id, body = build_event(event_type, payment)
    url = gateway_url(current_app.config, "KOMOJU_WEBHOOK_URL")
    secret = current_app.config.get("KOMOJU_WEBHOOK_SECRET") or ""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Komoju-Webhook",
        "X-Komoju-ID": event_id,
        "X-Komoju-Event": event_type,
        "X-Komoju-Signature": sign(secret, body),
    }
    session_id = payment["session"]
    store.record_event(
        session_id,
        {"id": event_id, "type": event_type, "payment": payment["id"], "url": url},
    )
    get_queue("sandbox").enqueue(
        deliver_webhook,
        args=(url, body, headers, session_id),
        retry=Retry(max=len(WEBHOOK_RETRY_INTERVALS), interval=WEBHOOK_RETRY_INTERVALS),
        description=f"komoju webhook {event_type} {event_id}",
        failure_ttl=WEBHOOK_FAILURE_TTL,
    )
    return event_id


@in_app_context
def deliver_webhook(
    url: str, body: bytes, headers: dict[str, str], session_id: str
) -> int:
    """POST one webhook; anything but a 2xx raises so RQ tries again later.

    Every attempt is recorded (time and status, or the connection error) for the
    sandbox index page.
    """
    attempt: Record = {
        "event_id": headers["X-Komoju-ID"],
        "at": store.iso(store.now()),
        "status": None,
        "error": None,
    }
    try:
        response = requests.post(
            url,
            data=body,
            headers=headers,
            timeout=WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        attempt["error"] = exc.__class__.__name__
        store.record_attempt(session_id, attempt)
        raise WebhookDeliveryError(f"webhook to {url} failed: {exc}") from exc
    attempt["status"] = response.status_code
    store.record_attempt(session_id, attempt)
    if not 200 <= response.status_code < 300:
        raise WebhookDeliveryError(f"webhook to {url} answered {response.status_code}")
    return response.status_code
