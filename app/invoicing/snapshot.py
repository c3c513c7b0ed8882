"""What a document says, frozen when it is issued: the seller's details as
configured then, the buyer, the lines and the totals per tax rate."""

from __future__ import annotations

from typing import Any

from app.orders.models import Order
from app.tax.compute import share, tax_for
from app.tax.models import TaxConfig

COUNTRY_BY_CURRENCY = {"JPY": "JP", "NPR": "NP"}


def country_of(config: TaxConfig | None, currency: str) -> str:
    if config is not None:
        return config.country
    return COUNTRY_BY_CURRENCY.get(currency.upper(), "NP")


def seller_part(config: TaxConfig | None, currency: str, fallback_name: str) -> dict:
    return {
        "country": country_of(config, currency),
        "registered": bool(config and config.registered),
        "name": (config.legal_name if config else "") or fallback_name,
        "address": config.address if config else "",
        "number": config.registration_number if config else "",
        "inclusive": config.prices_include_tax if config else True,
    }


def buyer_part(order: Order) -> dict:
    return {
        "name": order.customer_name,
        "email": order.customer_email,
        "company": order.buyer_company,
        "number": order.buyer_tax_number,
    }


def invoice_lines(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "title": item.title,
            "quantity": item.quantity,
            "unit_price": item.unit_price,
            "net": item.net_amount,
            "tax": item.tax_amount,
            "rate": item.tax_rate,
            "gross": item.net_amount + item.tax_amount,
        }
        for item in order.items
    ]


def rate_totals(lines: list[dict[str, Any]]) -> list[dict[str, int]]:
    totals: dict[int, dict[str, int]] = {}
    for line in lines:
        row = totals.setdefault(
            line["rate"], {"rate": line["rate"], "net": 0, "tax": 0, "gross": 0}
        )
        for key in ("net", "tax", "gross"):
            row[key] += line[key]
    return [totals[rate] for rate in sorted(totals)]


def credit_lines(
    order: Order, lines: dict[int, int], amount: int, rounding: str
) -> list[dict[str, Any]]:
    """The lines a refund gives back, worth `amount` in all.

    With `lines` (item id -> quantity) only those items are credited; an
    amount-only refund is spread over every line. Tax is backed out of each
    rate's share once (as on the invoice), then shared over its lines."""
    items = [i for i in order.items if not lines or i.id in lines]
    quantities = [lines.get(i.id, i.quantity) if lines else i.quantity for i in items]
    weights = [
        (i.net_amount + i.tax_amount) * q // max(i.quantity, 1)
        for i, q in zip(items, quantities, strict=False)
    ]
    grosses = share(amount, weights)
    taxes = [0] * len(items)
    for rate in sorted({i.tax_rate for i in items}):
        indexes = [n for n, i in enumerate(items) if i.tax_rate == rate]
        base = sum(grosses[n] for n in indexes)
        tax = tax_for(base, rate, True, rounding)
        for n, part in zip(
            indexes, share(tax, [grosses[n] for n in indexes]), strict=False
        ):
            taxes[n] = part
    return [
        {
            "title": item.title,
            "quantity": quantity,
            "unit_price": item.unit_price,
            "net": gross - tax,
            "tax": tax,
            "rate": item.tax_rate,
            "gross": gross,
        }
        for item, quantity, gross, tax in zip(
            items, quantities, grosses, taxes, strict=False
        )
    ]
