"""Fiscal years, in the seller's own zone and calendar.

Nepal: from Shrawan 1 (mid-July) to the end of Asar in Bikram Sambat, named
like "2083/84". Japan: the calendar year ("2026") unless the seller's year
starts in another month (then named by the year it starts in, as 年度 are).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import nepali_datetime

ZONES = {"NP": "Asia/Kathmandu", "JP": "Asia/Tokyo"}
SHRAWAN = 4


def local_date(country: str, moment: dt.datetime) -> dt.date:
    """The calendar day of a naive-UTC moment in the seller's country."""
    zone = ZoneInfo(ZONES.get(country, "UTC"))
    return moment.replace(tzinfo=dt.UTC).astimezone(zone).date()


def bs_date(day: dt.date) -> nepali_datetime.date:
    return nepali_datetime.date.from_datetime_date(day)


def fiscal_year(country: str, day: dt.date, start_month: int = 1) -> str:
    if country == "NP":
        bs = bs_date(day)
        start = bs.year if bs.month >= SHRAWAN else bs.year - 1
        return f"{start}/{(start + 1) % 100:02d}"
    if start_month <= 1:
        return str(day.year)
    return str(day.year if day.month >= start_month else day.year - 1)
