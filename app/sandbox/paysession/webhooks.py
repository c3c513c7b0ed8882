"""Signed payment webhooks to `order_meta.notify_url`, delivered by RQ (§3.7).

Each attempt gets a fresh timestamp and signature over the same body bytes, and
RQ retries on the gateway's schedule shape, so a slow merchant never holds up
the shopper's redirect and a failing one sees the retries the real one sends.
"""

from __future__ import annotations

import time

import requests
from rq import Retry, get_current_job

from app.jobs import get_queue, in_app_context
from app.sandbox.paysession import store, wire
from app.sandbox.states import DeliveryState

# The real schedule is 2, 10 and 30 minutes (§3.7); seconds keep demos moving.
WEBHOOK_RETRY = Retry(max=3, interval=[2, 10, 30])
WEBHOOK_TIMEOUT_SECONDS = 10
WEBHOOK_FAILURE_TTL = 24 * 3600


class WebhookNotDelivered(RuntimeError):
    """Raised by the delivery job so RQ schedules the next retry."""


def send_webhook(order: dict, payment: dict) -> None:
    """Queue the signed notification of one attempt, if the order has a notify_url."""
    delivery_id = payment["delivery_id"]
    if not delivery_id:
        return
    url = order["order_meta"]["notify_url"]
    event = wire.WEBHOOK_TYPES[payment["status"]]
    store.new_delivery(delivery_id, order["order_id"], event, url)
    get_queue("sandbox").enqueue(
        deliver_webhook,
        url,
        wire.webhook_body(order, payment),
        store.credentials()[1],
        delivery_id,
        retry=WEBHOOK_RETRY,
        description=f"paysession {event} for {order['order_id']}",
        failure_ttl=WEBHOOK_FAILURE_TTL,
    )


def webhook_headers(secret: str, body: str, attempt: int) -> dict[str, str]:
    """A fresh timestamp and signature per attempt, like the real gateway."""
    timestamp = str(int(time.time() * 1000))
    return {
        "content-type": "application/json",
        "x-webhook-timestamp": timestamp,
        "x-webhook-signature": wire.sign(secret, timestamp, body),
        "x-webhook-version": store.API_VERSION,
        "x-webhook-attempt": str(attempt),
    }


def failure_state() -> DeliveryState:
    """`retrying` while RQ has retries left, `failed` after the last one."""
    job = get_current_job()
    if job is not None and job.retries_left:
        return DeliveryState.RETRYING
    return DeliveryState.FAILED


@in_app_context
def deliver_webhook(url: str, body: str, secret: str, delivery_id: str) -> int:
    """POST the exact body bytes; raise on anything but 2xx so RQ retries.

    Redirects are not followed: the gateway counts a 3xx as a failed delivery.
    """
    attempt = store.start_attempt(delivery_id)
    headers = webhook_headers(secret, body, attempt)
    try:
        response = requests.post(
            url,
            data=body.encode(),
            headers=headers,
            timeout=WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        store.finish_attempt(
            delivery_id, {"error": exc.__class__.__name__}, failure_state()
        )
        raise WebhookNotDelivered(f"{url}: {exc.__class__.__name__}") from exc
    code = response.status_code
    if not 200 <= code < 300:
        store.finish_attempt(delivery_id, {"status_code": code}, failure_state())
        raise WebhookNotDelivered(f"{url} answered {code}")
    store.finish_attempt(delivery_id, {"status_code": code}, DeliveryState.DELIVERED)
    return code
