"""Money, numbers, dates and zones as each locale writes them (Babel/CLDR)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.i18n.formatting import (
    bikram_sambat,
    date_text,
    datetime_text,
    money,
    money_parts,
    number,
    same_wall_clock,
    time_text,
    zone_label,
)

# 2027-01-08 09:00 UTC: 18:00 in Tokyo, 14:45 in Kathmandu (UTC+05:45); in
# Nepal's Bikram Sambat calendar that day is 2083 Poush 24.
BS = "(वि.सं. २०८३ पुस २४)"
MOMENT = dt.datetime(2027, 1, 8, 9, 0)


@pytest.mark.parametrize(
    "locale, minor, currency, text",
    [
        ("en", 3000, "JPY", "¥3,000"),
        ("ja", 3000, "JPY", "3,000円"),
        ("ne", 3000, "JPY", "JPY ३,०००"),
        ("en", 110000, "NPR", "NPR 1,100.00"),
        ("ja", 110000, "NPR", "NPR 1,100.00"),
        ("ne", 110000, "NPR", "रू १,१००.००"),
        ("ne", 10000000, "NPR", "रू १,००,०००.००"),  # lakh grouping
        ("en", 10000000, "NPR", "NPR 100,000.00"),
        ("en", 250050, "NPR", "NPR 2,500.50"),
        ("en", 0, "JPY", "¥0"),
        ("en", 17000, "INR", "INR 170.00"),
    ],
)
def test_money_per_locale(app, locale, minor, currency, text):
    assert money(minor, currency, locale) == text


def test_numbers_use_the_locale_grouping_and_digits(app):
    assert number(1234567, "en") == "1,234,567"
    assert number(1234567, "ja") == "1,234,567"
    assert number(1234567, "ne") == "१२,३४,५६७"


@pytest.mark.parametrize(
    "locale, zone, text",
    [
        ("ja", "Asia/Tokyo", "2027年1月8日(金) 18:00 JST"),
        ("ja", "Asia/Kathmandu", "2027年1月8日(金) 14:45 ネパール時間"),
        ("en", "Asia/Kathmandu", "Fri, Jan 8, 2027, 2:45\u202fPM Nepal Time"),
        ("en", "UTC", "Fri, Jan 8, 2027, 9:00\u202fAM UTC"),
        ("ne", "Asia/Kathmandu", f"२०२७ जनवरी ८, शुक्र {BS}, १४:४५ नेपाल समय"),
        ("ne", "Asia/Tokyo", f"२०२७ जनवरी ८, शुक्र {BS}, १८:०० जापान समय"),
    ],
)
def test_dates_in_the_locale_format_with_the_zone_named(app, locale, zone, text):
    assert datetime_text(MOMENT, zone, locale) == text


def test_time_and_date_alone(app):
    assert time_text(MOMENT, "Asia/Tokyo", "ja") == "18:00 JST"
    assert date_text(dt.date(2027, 1, 8), "ja") == "2027年1月8日(金)"
    assert date_text(dt.date(2027, 1, 8), "ne") == f"२०२७ जनवरी ८, शुक्र {BS}"


def test_zone_labels(app):
    assert zone_label(MOMENT, "Asia/Tokyo", "ja") == "JST"
    assert zone_label(MOMENT, "Asia/Tokyo", "en") == "Japan Time"
    assert zone_label(MOMENT, "Asia/Kathmandu", "ne") == "नेपाल समय"
    assert zone_label(MOMENT, "UTC", "en") == "UTC"
    # A zone without a CLDR name still says which clock it is.
    assert "GMT" in zone_label(MOMENT, "Etc/GMT-14", "en")


def test_without_a_zone_the_readers_zone_is_used(app):
    app.config["DEFAULT_TIMEZONE"] = "Asia/Kathmandu"
    try:
        assert datetime_text(MOMENT, None, "ja").endswith("14:45 ネパール時間")
    finally:
        app.config["DEFAULT_TIMEZONE"] = "UTC"


def test_an_unknown_zone_falls_back_instead_of_failing(app):
    assert datetime_text(MOMENT, "Mars/Olympus", "en").endswith("UTC")


def test_same_wall_clock(app):
    assert same_wall_clock(MOMENT, "Asia/Tokyo", "Asia/Seoul")
    assert not same_wall_clock(MOMENT, "Asia/Tokyo", "Asia/Kathmandu")


def test_money_parts_let_a_script_print_the_same_money(app):
    assert money_parts("NPR", "ne") == {
        "prefix": "रू ",
        "suffix": "",
        "places": 2,
        "grouping": "lakh",
        "digits": "०१२३४५६७८९",
    }
    assert money_parts("JPY", "ja")["suffix"] == "円"
    assert money_parts("JPY", "en")["prefix"] == "¥"


def test_filters_on_literals_follow_the_reader_not_the_first_render(app):
    """Jinja folds filters on constants at compile time unless told not to; the
    first reader's language must not stick to a cached template."""
    from flask_babel import force_locale

    template = app.jinja_env.from_string(
        "{{ 'paid'|label('order') }} {{ 1000|number }} {{ 300|money('JPY') }}"
    )
    with force_locale("ja"):
        assert template.render() == "支払い済み 1,000 300円"
    with force_locale("ne"):
        assert template.render() == "भुक्तानी भयो १,००० JPY ३००"


def test_ranges_name_the_day_once_when_it_is_one_day(app):
    from app.i18n.formatting import datetime_range

    end = MOMENT + dt.timedelta(hours=4)
    assert datetime_range(MOMENT, end, "Asia/Tokyo", "ja") == (
        "2027年1月8日(金) 18:00～22:00 JST"
    )
    assert datetime_range(MOMENT, end, "Asia/Kathmandu", "ne") == (
        f"२०२७ जनवरी ८, शुक्र {BS}, १४:४५ – १८:४५ नेपाल समय"
    )
    overnight = MOMENT + dt.timedelta(hours=8)
    assert datetime_range(MOMENT, overnight, "Asia/Tokyo", "ja") == (
        "2027年1月8日(金) 18:00～2027年1月9日(土) 2:00 JST"
    )


@pytest.mark.parametrize(
    "gregorian, bikram_sambat_date",
    [
        # Nepali New Year (Baishakh 1) as Nepal's government calendar gave it
        (dt.date(2023, 4, 14), "२०८० वैशाख १"),
        (dt.date(2024, 4, 13), "२०८१ वैशाख १"),
        (dt.date(2025, 4, 14), "२०८२ वैशाख १"),
        (dt.date(2025, 4, 13), "२०८१ चैत ३१"),  # the day before: the old year
        (dt.date(2026, 11, 30), "२०८३ मंसिर १४"),  # MARKETS.md's example
    ],
)
def test_bikram_sambat_dates_match_the_calendar(gregorian, bikram_sambat_date):
    assert bikram_sambat(gregorian) == bikram_sambat_date


def test_bikram_sambat_only_in_nepali_and_only_in_range(app):
    assert "वि.सं." not in date_text(dt.date(2026, 11, 30), "en")
    assert "वि.सं." not in datetime_text(MOMENT, "Asia/Tokyo", "ja")
    # Outside the converter's table the Gregorian date stands alone, no error.
    assert bikram_sambat(dt.date(2100, 1, 1)) is None
    assert date_text(dt.date(2100, 1, 1), "ne").startswith("२१००")
