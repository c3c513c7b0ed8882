"""The arithmetic and the rules, without a server: rates, rounding, numbers,
fiscal years."""

from __future__ import annotations

import datetime as dt

from app.tax.compute import compute, share
from app.tax.fiscal import fiscal_year, local_date
from app.tax.registration import is_valid, japan_check_digit, normalise


def test_nepal_vat_inclusive_splits_1130_exactly():
    result = compute([113000], [1300], inclusive=True)
    assert (result.net, result.tax, result.gross) == (100000, 13000, 113000)


def test_exclusive_prices_add_tax():
    result = compute([100000, 50000], [1300, 1300], inclusive=False)
    assert result.tax == 19500 and result.gross == 169500
    assert [line.tax for line in result.lines] == [13000, 6500]


def test_japan_rounds_once_per_rate_not_per_line():
    # Three ¥98 items at 10 % (tax-inclusive): per line floor(98*10/110) = 8
    # each (24), but once over ¥294 the tax is floor(26.7) = 26.
    result = compute([98, 98, 98], [1000] * 3, inclusive=True, rounding="floor")
    assert result.tax == 26
    assert sum(line.tax for line in result.lines) == 26


def test_japan_rates_are_totalled_apart():
    result = compute([1080, 1100, 540], [800, 1000, 800], True, "floor")
    assert [(r.rate, r.net, r.tax) for r in result.rates] == [
        (800, 1500, 120),
        (1000, 1000, 100),
    ]


def test_share_adds_up_and_favours_largest_remainders():
    assert share(10, [1, 1, 1]) == [4, 3, 3]
    assert sum(share(1001, [333, 333, 334])) == 1001
    assert share(5, [0, 0]) == [0, 0]


def test_japan_registration_number_check_digit():
    # The National Tax Agency's own corporate number.
    assert japan_check_digit("000012050002") == 7
    assert is_valid("JP", "T7000012050002")
    assert not is_valid("JP", "T8000012050002")
    assert not is_valid("JP", "7000012050002")
    assert normalise("JP", "7000-0120-50002") == "T7000012050002"


def test_nepal_pan_has_nine_digits():
    assert is_valid("NP", "123456789")
    assert not is_valid("NP", "12345678")
    assert not is_valid("NP", "12345678A")


def test_nepal_fiscal_year_turns_on_shrawan_1():
    assert fiscal_year("NP", dt.date(2026, 7, 16)) == "2082/83"  # Asar 32
    assert fiscal_year("NP", dt.date(2026, 7, 17)) == "2083/84"  # Shrawan 1
    assert fiscal_year("NP", dt.date(2026, 11, 30)) == "2083/84"


def test_japan_fiscal_year_is_the_calendar_unless_set():
    assert fiscal_year("JP", dt.date(2027, 3, 31)) == "2027"
    assert fiscal_year("JP", dt.date(2027, 3, 31), start_month=4) == "2026"
    assert fiscal_year("JP", dt.date(2027, 4, 1), start_month=4) == "2027"


def test_local_date_is_the_sellers_day():
    late = dt.datetime(2026, 12, 31, 16, 30)  # 01:30 on 1 January in Tokyo
    assert local_date("JP", late) == dt.date(2027, 1, 1)
    assert local_date("NP", late) == dt.date(2026, 12, 31)
