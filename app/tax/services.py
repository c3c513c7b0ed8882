"""Saving a seller's tax configuration, with the checks each system needs."""

from __future__ import annotations

from flask_babel import gettext as _

from app.extensions import db
from app.services_errors import ServiceError
from app.tax import registration
from app.tax.models import TaxConfig
from app.tax.sellers import config_for

COUNTRIES = ("NP", "JP")
# The rates each system allows (basis points): Nepal's VAT, Japan's standard
# and reduced consumption tax.
ALLOWED_RATES = {"NP": (1300,), "JP": (1000, 800)}
DEFAULT_RATE = {"NP": 1300, "JP": 1000}
# Japan rounds tax down once per rate (the common choice); Nepal to the paisa.
DEFAULT_ROUNDING = {"NP": "half_up", "JP": "floor"}
ROUNDINGS = ("half_up", "floor")
PRODUCT_KINDS = ("course", "digital_book", "training", "booklet", "ticket")


def save_config(
    seller: str,
    *,
    country: str,
    registered: bool,
    legal_name: str = "",
    address: str = "",
    registration_number: str = "",
    prices_include_tax: bool = True,
    rates: dict[str, int] | None = None,
    rounding: str | None = None,
    fiscal_year_start_month: int = 1,
    invoice_prefix: str = "INV",
) -> TaxConfig:
    """Create or replace `seller`'s configuration (flushes only). Orders made
    before keep the tax they were made with."""
    country = (country or "").upper()
    if country not in COUNTRIES:
        raise ServiceError(
            "VALIDATION_ERROR", _("Choose Nepal or Japan."), 422, {"country": "invalid"}
        )
    number = registration.normalise(country, registration_number)
    if registered and not registration.is_valid(country, number):
        if country == "JP":
            message = _(
                "A qualified invoice registration number is T followed by 13 "
                "digits, and its check digit must match."
            )
        else:
            message = _("A PAN/VAT number has 9 digits.")
        raise ServiceError(
            "VALIDATION_ERROR", message, 422, {"registration_number": "invalid"}
        )
    if registered and not legal_name.strip():
        raise ServiceError(
            "VALIDATION_ERROR",
            _("Enter the registered name of the seller."),
            422,
            {"legal_name": "invalid"},
        )
    chosen = {k: int(v) for k, v in (rates or {}).items() if k in PRODUCT_KINDS}
    if any(v not in ALLOWED_RATES[country] for v in chosen.values()):
        raise ServiceError(
            "VALIDATION_ERROR",
            _("That tax rate does not exist in this country."),
            422,
            {"rates": "invalid"},
        )
    rounding = rounding or DEFAULT_ROUNDING[country]
    if rounding not in ROUNDINGS:
        raise ServiceError(
            "VALIDATION_ERROR",
            _("Choose how tax is rounded."),
            422,
            {"rounding": "invalid"},
        )
    if not 1 <= int(fiscal_year_start_month) <= 12:
        raise ServiceError(
            "VALIDATION_ERROR",
            _("Choose a month."),
            422,
            {"fiscal_year_start_month": "invalid"},
        )
    prefix = (invoice_prefix or "INV").strip().upper()
    if not prefix.isalnum() or len(prefix) > 12:
        raise ServiceError(
            "VALIDATION_ERROR",
            _("The invoice prefix is up to 12 letters or digits."),
            422,
            {"invoice_prefix": "invalid"},
        )
    config = config_for(seller) or TaxConfig(seller=seller)
    config.country = country
    config.registered = bool(registered)
    config.legal_name = legal_name.strip()[:200]
    config.address = address.strip()[:1000]
    config.registration_number = number if registered else number[:20]
    config.prices_include_tax = bool(prices_include_tax)
    config.standard_rate = DEFAULT_RATE[country]
    config.rates = chosen
    config.rounding = rounding
    config.fiscal_year_start_month = (
        1 if country == "NP" else int(fiscal_year_start_month)
    )
    config.invoice_prefix = prefix
    db.session.add(config)
    db.session.flush()
    return config
