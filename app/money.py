"""Money is an integer in the currency's minor unit; rendering is per currency."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

ZERO_DECIMAL = {"JPY", "KRW"}


def decimals(currency: str) -> int:
    return 0 if currency.upper() in ZERO_DECIMAL else 2


def format_amount(minor: int, currency: str) -> str:
    """`250000, "NPR"` -> `"2500.00"`; `2500, "JPY"` -> `"2500"` (the API's form)."""
    places = decimals(currency)
    if places == 0:
        return str(int(minor))
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(int(minor)), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}"


def display_amount(minor: int, currency: str) -> str:
    """Human form with the currency and thousands separators: `NPR 2,500.00`."""
    places = decimals(currency)
    value = Decimal(int(minor)).scaleb(-places)
    return f"{currency.upper()} {value:,.{places}f}"


def parse_amount(text: str | int | float, currency: str) -> int:
    """Parse a decimal amount in major units into minor units, refusing precision
    the currency does not have (`"10.155"` INR, `"10.5"` JPY)."""
    try:
        value = Decimal(str(text).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    scaled = value.scaleb(decimals(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"too many decimal places for {currency}: {text!r}")
    return int(scaled)
