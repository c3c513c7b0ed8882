"""The tax of a new order: the seller's configuration applied to its lines."""

from __future__ import annotations

from dataclasses import dataclass

from app.tax.compute import TaxResult, compute, share
from app.tax.sellers import config_for


@dataclass(frozen=True)
class OrderTax:
    result: TaxResult
    inclusive: bool
    registered: bool


def order_tax(
    seller: str, product_types: list[str], line_totals: list[int], discount: int
) -> OrderTax:
    """Spread the discount over the lines, then tax each rate once."""
    config = config_for(seller)
    amounts = [
        total - part
        for total, part in zip(line_totals, share(discount, line_totals), strict=False)
    ]
    if config is None or not config.registered:
        return OrderTax(compute(amounts, [0] * len(amounts), True), True, False)
    rates = [config.rate_for(kind) for kind in product_types]
    result = compute(amounts, rates, config.prices_include_tax, config.rounding)
    return OrderTax(result, config.prices_include_tax, True)
