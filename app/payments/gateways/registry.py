"""Build the adapter for a backend name from the app's configuration.

`FACTORIES` is the one list of gateways: a new adapter is a module next to this
one plus one entry here (see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app

from app.config import gateway_url
from app.payments.gateways.base import PaymentGateway
from app.payments.gateways.esewa import EsewaGateway
from app.payments.gateways.komoju import KomojuGateway
from app.payments.gateways.manual import ManualGateway
from app.payments.gateways.paysession import (
    DEFAULT_TOLERANCE_SECONDS,
    PaysessionGateway,
)

Config = Mapping[str, Any]


def _esewa(cfg: Config) -> PaymentGateway:
    return EsewaGateway(
        product_code=cfg["ESEWA_PRODUCT_CODE"],
        secret=cfg["ESEWA_SECRET_KEY"],
        form_url=gateway_url(cfg, "ESEWA_FORM_URL"),
        status_url=gateway_url(cfg, "ESEWA_STATUS_URL"),
        timeout=cfg["GATEWAY_TIMEOUT_SECONDS"],
    )


def _komoju(cfg: Config) -> PaymentGateway:
    return KomojuGateway(
        api_base=gateway_url(cfg, "KOMOJU_API_BASE"),
        secret_key=cfg["KOMOJU_SECRET_KEY"],
        webhook_secret=cfg["KOMOJU_WEBHOOK_SECRET"],
        timeout=cfg["GATEWAY_TIMEOUT_SECONDS"],
    )


def _paysession(cfg: Config) -> PaymentGateway:
    return PaysessionGateway(
        api_base=gateway_url(cfg, "PAYSESSION_API_BASE"),
        checkout_url=gateway_url(cfg, "PAYSESSION_CHECKOUT_URL"),
        client_id=cfg["PAYSESSION_CLIENT_ID"],
        client_secret=cfg["PAYSESSION_CLIENT_SECRET"],
        timeout=cfg["GATEWAY_TIMEOUT_SECONDS"],
        webhook_tolerance=int(
            cfg.get("PAYSESSION_WEBHOOK_TOLERANCE_SECONDS", DEFAULT_TOLERANCE_SECONDS)
        ),
    )


def _manual(cfg: Config) -> PaymentGateway:
    return ManualGateway()


# backend name (PaymentMethod.backend, Payment.gateway) -> adapter factory
FACTORIES: dict[str, Callable[[Config], PaymentGateway]] = {
    "esewa": _esewa,
    "komoju": _komoju,
    "paysession": _paysession,
    "manual": _manual,
}


def get_gateway(name: str) -> PaymentGateway:
    try:
        factory = FACTORIES[name]
    except KeyError as exc:
        raise LookupError(f"no gateway adapter named {name!r}") from exc
    return factory(current_app.config)


def has_webhooks(name: str) -> bool:
    """A backend whose webhooks we judge. Manual payments have none (404);
    eSewa's adapter refuses every webhook as unsigned, which is answered 401."""
    return name in FACTORIES and name != "manual"
