"""Build the adapter for a backend name from the app's configuration."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from app.config import gateway_url
from app.payments.gateways.base import PaymentGateway


def _esewa(cfg) -> PaymentGateway:
    from app.payments.gateways.esewa import EsewaGateway

    return EsewaGateway(
        product_code=cfg["ESEWA_PRODUCT_CODE"],
        secret=cfg["ESEWA_SECRET_KEY"],
        form_url=gateway_url(cfg, "ESEWA_FORM_URL"),
        status_url=gateway_url(cfg, "ESEWA_STATUS_URL"),
        timeout=cfg["GATEWAY_TIMEOUT_SECONDS"],
    )


def _manual(cfg) -> PaymentGateway:
    from app.payments.gateways.manual import ManualGateway

    return ManualGateway()


FACTORIES: dict[str, Callable] = {"esewa": _esewa, "manual": _manual}


def register(name: str, factory: Callable) -> None:
    """Gateway modules add themselves here (Komoju, payment session)."""
    FACTORIES[name] = factory


def get_gateway(name: str) -> PaymentGateway:
    _load_optional()
    try:
        factory = FACTORIES[name]
    except KeyError as exc:
        raise LookupError(f"no gateway adapter named {name!r}") from exc
    return factory(current_app.config)


def _load_optional() -> None:
    """Import the adapters that register themselves (lazily: they import this
    module, so importing them at the top would be circular)."""
    from app.payments.gateways import komoju, paysession  # noqa: F401


def has_webhooks(name: str) -> bool:
    """A gateway adapter that can judge a webhook (manual payments have none;
    eSewa's adapter refuses every webhook as unsigned, which is answered 401)."""
    _load_optional()
    return name in FACTORIES and name != "manual"
