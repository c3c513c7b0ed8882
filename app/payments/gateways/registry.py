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
    """Import adapters that register themselves, if they exist in this build."""
    for module in ("app.payments.gateways.komoju", "app.payments.gateways.paysession"):
        try:
            __import__(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
