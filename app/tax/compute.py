"""Tax arithmetic, in integers of the minor unit.

Tax is computed once per rate over the whole order (Japan's qualified invoice
rounds once per invoice per rate, never per line; Nepal's VAT invoice shows one
VAT amount), then shared out to the lines by largest remainder so the lines add
up to the per-rate totals exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

BASIS = 10_000  # rates are basis points: 1300 = 13 %


@dataclass(frozen=True)
class TaxedLine:
    gross: int  # what the buyer pays for the line (after its share of discount)
    net: int  # taxable value
    tax: int
    rate: int


@dataclass(frozen=True)
class RateTotal:
    rate: int
    net: int
    tax: int

    @property
    def gross(self) -> int:
        return self.net + self.tax


@dataclass(frozen=True)
class TaxResult:
    lines: list[TaxedLine]
    rates: list[RateTotal]

    @property
    def tax(self) -> int:
        return sum(r.tax for r in self.rates)

    @property
    def net(self) -> int:
        return sum(r.net for r in self.rates)

    @property
    def gross(self) -> int:
        return sum(r.gross for r in self.rates)


def _divide(numerator: int, denominator: int, rounding: str) -> int:
    if rounding == "floor":
        return numerator // denominator
    return (2 * numerator + denominator) // (2 * denominator)  # half up


def share(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights`, largest remainder first; the
    parts add up to `total` exactly."""
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    remainders = sorted(
        range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i)
    )
    for i in remainders[: total - sum(parts)]:
        parts[i] += 1
    return parts


def tax_for(base: int, rate: int, inclusive: bool, rounding: str) -> int:
    if rate <= 0 or base <= 0:
        return 0
    if inclusive:
        return _divide(base * rate, BASIS + rate, rounding)
    return _divide(base * rate, BASIS, rounding)


def compute(
    amounts: list[int], rates: list[int], inclusive: bool, rounding: str = "half_up"
) -> TaxResult:
    """Tax on lines priced `amounts` (after discount) at `rates` (basis points).

    Inclusive: the amounts already hold the tax. Exclusive: tax is added."""
    by_rate: dict[int, list[int]] = {}
    for index, rate in enumerate(rates):
        by_rate.setdefault(rate, []).append(index)
    line_tax = [0] * len(amounts)
    totals = []
    for rate in sorted(by_rate):
        indexes = by_rate[rate]
        base = sum(amounts[i] for i in indexes)
        tax = tax_for(base, rate, inclusive, rounding)
        for i, part in zip(
            indexes, share(tax, [amounts[i] for i in indexes]), strict=False
        ):
            line_tax[i] = part
        totals.append(RateTotal(rate, base - tax if inclusive else base, tax))
    lines = [
        TaxedLine(
            gross=amount if inclusive else amount + tax,
            net=amount - tax if inclusive else amount,
            tax=tax,
            rate=rate,
        )
        for amount, tax, rate in zip(amounts, line_tax, rates, strict=False)
    ]
    return TaxResult(lines, totals)
