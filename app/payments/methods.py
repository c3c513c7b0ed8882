"""Payment methods (seed 003): which ways to pay are valid for an order."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.i18n.formatting import money
from app.i18n.labels import method_name
from app.payments.models import PaymentMethod
from app.services_errors import ServiceError


@dataclass(frozen=True)
class OrderFacts:
    """What a method's rules look at; plain values so carts and orders both fit."""

    currency: str
    total: int
    product_types: frozenset[str]


def active_methods() -> list[PaymentMethod]:
    return list(
        db.session.scalars(
            select(PaymentMethod)
            .where(PaymentMethod.active.is_(True))
            .order_by(PaymentMethod.sort_order, PaymentMethod.id)
        )
    )


def problem(method: PaymentMethod, facts: OrderFacts) -> str | None:
    """Why `method` cannot pay this order, or None if it can."""
    name = method_name(method.code, method.name)
    if not method.active:
        return _("%(method)s is not available.", method=name)
    settings = method.settings or {}
    currencies = settings.get("currencies")
    if currencies and facts.currency not in currencies:
        return _(
            "%(method)s does not accept %(currency)s.",
            method=name,
            currency=facts.currency,
        )
    minimum = settings.get("min_amount")
    if minimum is not None and facts.total < int(minimum):
        return _(
            "%(method)s needs an order total of at least %(amount)s.",
            method=name,
            amount=money(int(minimum), facts.currency),
        )
    maximum = settings.get("max_amount")
    if maximum is not None and facts.total > int(maximum):
        return _(
            "%(method)s cannot take an order over %(amount)s.",
            method=name,
            amount=money(int(maximum), facts.currency),
        )
    types = settings.get("product_types")
    if types and not facts.product_types <= set(types):
        return _("%(method)s cannot pay for these kinds of product.", method=name)
    return None


def methods_for(facts: OrderFacts) -> list[PaymentMethod]:
    return [m for m in active_methods() if problem(m, facts) is None]


def resolve_method(
    code_or_backend: str, payment_type: str | None = None
) -> PaymentMethod:
    """Find a method by its code, or by backend (+ payment type for Komoju)."""
    if not isinstance(code_or_backend, str) or not code_or_backend:
        raise ServiceError("VALIDATION_ERROR", _("Choose a payment method."), 400)
    method = db.session.scalar(
        select(PaymentMethod).where(PaymentMethod.code == code_or_backend)
    )
    if method is None:
        candidates = list(
            db.session.scalars(
                select(PaymentMethod).where(PaymentMethod.backend == code_or_backend)
            )
        )
        if payment_type:
            candidates = [
                m
                for m in candidates
                if (m.settings or {}).get("payment_type") == payment_type
            ]
        if len(candidates) == 1:
            method = candidates[0]
    if method is None:
        raise ServiceError(
            "PAYMENT_METHOD_NOT_FOUND",
            _("Unknown payment method '%(method)s'.", method=code_or_backend),
            400,
            {"gateway": code_or_backend},
        )
    return method


def check_method(method: PaymentMethod, facts: OrderFacts) -> None:
    reason = problem(method, facts)
    if reason:
        raise ServiceError(
            "PAYMENT_METHOD_NOT_ALLOWED", reason, 400, {"gateway": method.code}
        )
