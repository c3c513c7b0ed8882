"""What the shopper sees before paying: each line (and whether they already own
it), the promo code's discount and the total - decided by the same rules that
checkout applies, so the page and the order never disagree.

Buying a course or book again used to extend access silently. Now an owned
item is flagged in the cart and at checkout: a lifetime item cannot be bought
again, and a limited one only when the shopper ticks "extend my access" for it
(the API says `extendAccess: true`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from flask_babel import gettext

from app.catalog.models import Product
from app.library.services import active_accesses
from app.promotions.services import PricedLine, apply_promotion
from app.services_errors import Conflict, ServiceError
from app.tax.compute import RateTotal
from app.tax.orders import order_tax
from app.tax.sellers import SHOP


@dataclass(frozen=True)
class Line:
    product: Product
    owned: bool = False
    # Access end of an owned limited item (None with owned=True: lifetime).
    owned_until: dt.datetime | None = None

    @property
    def extendable(self) -> bool:
        return self.owned and self.owned_until is not None

    @property
    def lifetime_owned(self) -> bool:
        return self.owned and self.owned_until is None


@dataclass(frozen=True)
class Quote:
    lines: list[Line]
    currency: str | None
    subtotal: int
    discount: int
    promo_code: str | None
    promo_error: str | None
    # The shop's tax on these lines, as checkout will compute it.
    tax: int = 0
    tax_inclusive: bool = True
    tax_rates: tuple[RateTotal, ...] = ()

    @property
    def total(self) -> int:
        added = 0 if self.tax_inclusive else self.tax
        return self.subtotal - self.discount + added


def lines_for(products: list[Product], user_id: int | None) -> list[Line]:
    owned = active_accesses(user_id, [p.id for p in products]) if user_id else {}
    lines = []
    for product in products:
        access = owned.get(product.id)
        if access is None:
            lines.append(Line(product))
        else:
            until = access.valid_until if product.validity_days is not None else None
            lines.append(Line(product, owned=True, owned_until=until))
    return lines


def quote(
    products: list[Product], user_id: int | None, promo_code: str | None
) -> Quote:
    """Price the cart as checkout would; a code that does not apply is reported
    (`promo_error`, checkout's own reason) instead of raised."""
    lines = lines_for(products, user_id)
    currency = products[0].currency if products else None
    subtotal = sum(p.price for p in products)
    discount, error = 0, None
    code = (promo_code or "").strip() or None
    if code and currency:
        try:
            _promo, discount = apply_promotion(
                code, priced(products), currency, user_id, lock=False
            )
        except ServiceError as exc:
            error = str(exc.message)
    taxed = order_tax(
        SHOP, [p.type for p in products], [p.price for p in products], discount
    )
    return Quote(
        lines,
        currency,
        subtotal,
        discount,
        code,
        error,
        tax=taxed.result.tax,
        tax_inclusive=taxed.inclusive,
        tax_rates=tuple(taxed.result.rates) if taxed.registered else (),
    )


def priced(products: list[Product]) -> list[PricedLine]:
    return [PricedLine(p.id, p.type, p.price) for p in products]


def check_ownership(lines: list[Line], extend: Collection[int] | bool) -> None:
    """Refuse a checkout that would re-buy what the shopper already has, unless
    it is an explicit extension of limited access (409, nothing created)."""
    lifetime = [line.product for line in lines if line.lifetime_owned]
    if lifetime:
        raise Conflict(
            "ALREADY_OWNED",
            gettext(
                "You already own “%(title)s” with lifetime access; remove it from "
                "your cart.",
                title=lifetime[0].title,
            ),
            details={"productIds": [p.id for p in lifetime]},
        )
    missing = [
        line.product
        for line in lines
        if line.extendable
        and not (extend is True or (extend and line.product.id in extend))
    ]
    if missing:
        raise Conflict(
            "EXTEND_ACCESS_REQUIRED",
            gettext(
                "You already have access to “%(title)s”. Choose “Extend my access” "
                "to buy more time, or remove it from your cart.",
                title=missing[0].title,
            ),
            details={"productIds": [p.id for p in missing]},
        )
