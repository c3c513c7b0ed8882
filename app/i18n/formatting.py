"""Money, numbers, dates and zones in the reader's locale, with Babel (CLDR).

One formatter per kind, used by every page and email, so a page never mixes
`NPR 1100.00` with `NPR 1,100.00`:

| locale | JPY 3000  | NPR 110000 (minor) | 2027-01-08 09:00 UTC shown in Asia/Tokyo |
|--------|-----------|--------------------|------------------------------------------|
| en     | ¥3,000    | NPR 1,100.00       | Fri, Jan 8, 2027, 6:00 PM Japan Time     |
| ja     | 3,000円   | NPR 1,100.00       | 2027年1月8日(金) 18:00 JST               |
| ne     | JPY ३,००० | रू १,१००.००         | २०२७ जनवरी ८, शुक्र (वि.सं. २०८३ पुस २४), |
|        |           |                    | १८:०० जापान समय                          |

Nepali is printed the way a Nepali shop prints it: the रू sign, lakh grouping
(CLDR's `#,##,##0.00`) and Devanagari digits (CLDR's default numbering system for
`ne`; Babel applies the grouping but not the digits, so they are mapped here),
and every date with its Bikram Sambat date beside the Gregorian one.
Every time carries its zone's name. Stored times are naive UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_time as babel_format_time
from babel.numbers import format_currency, format_decimal
from nepali_datetime import date as bs_date

from app.i18n.preferences import current_locale, current_timezone, valid_timezone
from app.money import decimals, parse_amount

# CLDR numbering systems whose digits Babel does not substitute itself.
NATIVE_DIGITS = {"deva": "०१२३४५६७८९"}

# (locale, currency) -> CLDR number pattern; "*" is any other currency.
# "¤¤" prints the ISO code, a literal sign is written out.
MONEY_PATTERNS = {
    "en": {"JPY": "¤#,##0", "*": "¤¤ #,##0.00"},
    "ja": {"JPY": "#,##0円", "*": "¤¤ #,##0.00"},
    "ne": {"NPR": "रू #,##,##0.00", "*": "¤¤ #,##,##0.00"},
}

_OFFSET_ONLY = re.compile(r"^[+\-−]?\d")

# Bikram Sambat months as Nepal's official calendar prints them (the package
# converts dates; its month names are the formal Sanskrit spellings).
BS_MONTHS = (
    "वैशाख",
    "जेठ",
    "असार",
    "साउन",
    "भदौ",
    "असोज",
    "कात्तिक",
    "मंसिर",
    "पुस",
    "माघ",
    "फागुन",
    "चैत",
)


def _locale(locale: str | None) -> str:
    return locale or current_locale()


def native_digits(text: str, locale: str | None = None) -> str:
    """Write the digits of `text` in the locale's own numbering system."""
    system = Locale.parse(_locale(locale)).default_numbering_system
    digits = NATIVE_DIGITS.get(system)
    if not digits:
        return text
    return text.translate(str.maketrans("0123456789", digits))


def money(minor: int | None, currency: str, locale: str | None = None) -> str:
    """An amount in the currency's minor unit, as the reader's locale prints it."""
    if minor is None:
        return "—"
    loc = _locale(locale)
    code = (currency or "").upper()
    places = decimals(code)
    patterns = MONEY_PATTERNS.get(loc, MONEY_PATTERNS["en"])
    pattern = patterns.get(code, patterns["*"])
    if places == 0:
        pattern = pattern.replace(".00", "")
    value = Decimal(int(minor)).scaleb(-places)
    text = format_currency(
        value, code, format=pattern, locale=loc, currency_digits=False
    )
    return native_digits(text, loc)


def money_parts(currency: str, locale: str | None = None) -> dict[str, str | int]:
    """What a script needs to print amounts exactly like `money` (the ticket
    total on the event page): sign before and after, places, grouping, digits."""
    loc = _locale(locale)
    places = decimals(currency)
    sample = money(0, currency, loc)
    zero = native_digits("0", loc)
    start, end = sample.index(zero), sample.rindex(zero)
    system = Locale.parse(loc).default_numbering_system
    patterns = MONEY_PATTERNS.get(loc, MONEY_PATTERNS["en"])
    pattern = patterns.get((currency or "").upper(), patterns["*"])
    return {
        "prefix": sample[:start],
        "suffix": sample[end + 1 :],
        "places": places,
        "grouping": "lakh" if "#,##,##0" in pattern else "thousands",
        "digits": NATIVE_DIGITS.get(system, "0123456789"),
    }


def money_amount(text: str | None, currency: str, locale: str | None = None) -> str:
    """An amount in the API's form (`"2500.00"`) printed like `money`."""
    if text is None:
        return "—"
    return money(parse_amount(text, currency), currency, locale)


def address_text(address: dict | None) -> str:
    """A shipping address on one line, in the order the buyer typed its parts."""
    if not address:
        return "—"
    parts = [address.get("name"), address.get("line1"), address.get("line2")]
    place = " ".join(p for p in (address.get("postcode"), address.get("city")) if p)
    parts += [place, address.get("country")]
    return ", ".join(str(p) for p in parts if p)


def number(value: int | float | Decimal | None, locale: str | None = None) -> str:
    """A count or quantity with the locale's grouping and digits."""
    if value is None:
        return "—"
    loc = _locale(locale)
    return native_digits(format_decimal(value, locale=loc), loc)


def _zone(zone: str | None) -> ZoneInfo:
    return ZoneInfo(valid_timezone(zone) or current_timezone())


def _aware(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # stored as naive UTC
    return value.astimezone(zone)


def zone_label(value: dt.datetime, zone: str | None = None, locale=None) -> str:
    """The zone's name as readers of the locale know it: `JST`, `Nepal Time`,
    `日本時間`, `नेपाल समय`. An abbreviation when CLDR has one for this
    locale, else the zone's generic name, else the GMT offset."""
    loc = _locale(locale)
    tz = _zone(zone)
    moment = _aware(value, tz)
    short = babel_format_datetime(moment, "z", tzinfo=tz, locale=loc)
    if short and not _OFFSET_ONLY.match(short):
        return native_digits(short, loc)
    generic = babel_format_datetime(moment, "vvvv", tzinfo=tz, locale=loc)
    if generic and "(" not in generic:
        return generic
    return native_digits(
        babel_format_datetime(moment, "ZZZZ", tzinfo=tz, locale=loc), loc
    )


def bikram_sambat(value: dt.date) -> str | None:
    """`२०८३ मंसिर १४` for 2026-11-30; None outside the converter's range
    (about 1918-2043 AD)."""
    try:
        day = bs_date.from_datetime_date(value)
    except (OverflowError, ValueError):
        return None
    return native_digits(f"{day.year} {BS_MONTHS[day.month - 1]} {day.day}", "ne")


def _calendar_date(value: dt.date, loc: str) -> str:
    """The locale's date with its weekday; Nepali adds the Bikram Sambat date."""
    text = babel_format_date(
        value, Locale.parse(loc).datetime_skeletons["yMMMEd"], locale=loc
    )
    if loc == "ne" and (bs := bikram_sambat(value)):
        text = f"{text} (वि.सं. {bs})"
    return text


def datetime_text(
    value: dt.datetime | None,
    zone: str | None = None,
    locale: str | None = None,
    *,
    with_zone: bool = True,
) -> str:
    """`2027年1月8日(金) 18:00 JST`: the date with its weekday, the time, the zone.

    `zone` is an IANA name (an event's own zone); None means the reader's zone.
    """
    if value is None:
        return "—"
    loc = _locale(locale)
    tz = _zone(zone)
    moment = _aware(value, tz)
    babel_locale = Locale.parse(loc)
    date_part = _calendar_date(moment.date(), loc)
    time_part = babel_format_time(moment, "short", tzinfo=tz, locale=loc)
    text = (
        babel_locale.datetime_formats["medium"]
        .replace("{1}", date_part)
        .replace("{0}", time_part)
    )
    text = native_digits(text, loc)
    if with_zone:
        text = f"{text} {zone_label(value, tz.key, loc)}"
    return text


# How each locale joins the two ends of a time range.
RANGE_SEPARATORS = {"ja": "～"}


def datetime_range(
    start: dt.datetime | None,
    end: dt.datetime | None,
    zone: str | None = None,
    locale: str | None = None,
) -> str:
    """`2027年1月9日(土) 18:00～22:00 JST`: one date when both ends fall on the
    same day in `zone`, the zone named once."""
    if start is None or end is None:
        return datetime_text(start or end, zone, locale)
    loc = _locale(locale)
    tz = _zone(zone)
    first, last = _aware(start, tz), _aware(end, tz)
    separator = RANGE_SEPARATORS.get(loc, " – ")
    label = zone_label(end, tz.key, loc)
    if first.date() != last.date():
        opening = datetime_text(start, tz.key, loc, with_zone=False)
        return f"{opening}{separator}{datetime_text(end, tz.key, loc)}"
    babel_locale = Locale.parse(loc)
    date_part = _calendar_date(first.date(), loc)
    times = separator.join(
        babel_format_time(t, "short", tzinfo=tz, locale=loc) for t in (first, last)
    )
    text = (
        babel_locale.datetime_formats["medium"]
        .replace("{1}", date_part)
        .replace("{0}", times)
    )
    return f"{native_digits(text, loc)} {label}"


def time_text(value: dt.datetime | None, zone: str | None = None, locale=None) -> str:
    """Only the time and zone, `18:00 JST`, for a second zone beside a full date."""
    if value is None:
        return "—"
    loc = _locale(locale)
    tz = _zone(zone)
    text = babel_format_time(_aware(value, tz), "short", tzinfo=tz, locale=loc)
    return f"{native_digits(text, loc)} {zone_label(value, tz.key, loc)}"


def date_text(value: dt.date | dt.datetime | None, locale: str | None = None) -> str:
    """A calendar date (a cohort's first day): `2027年1月8日(金)`."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = value.date()
    loc = _locale(locale)
    return native_digits(_calendar_date(value, loc), loc)


def same_wall_clock(value: dt.datetime, zone_a: str | None, zone_b: str | None) -> bool:
    """True when two zones show the same local time for this moment."""
    if value is None:
        return True
    a = _aware(value, _zone(zone_a))
    b = _aware(value, _zone(zone_b))
    return a.utcoffset() == b.utcoffset()
