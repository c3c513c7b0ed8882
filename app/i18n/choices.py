"""Options for the account page's language and time-zone selects."""

from __future__ import annotations

import functools

import pytz
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES
from app.i18n.preferences import CURRENCY_ZONES, valid_timezone

FOLLOW_BROWSER = ""
MARKET_ZONES = ("Asia/Kathmandu", "Asia/Tokyo", "UTC")


def language_choices() -> list[SelectChoice]:
    return [SelectChoice(FOLLOW_BROWSER, _("Same as this browser"))] + [
        SelectChoice(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES
    ]


@functools.cache
def _zone_names() -> tuple[str, ...]:
    """IANA's common zones (pytz keeps the curated list) that zoneinfo knows."""
    return tuple(z for z in pytz.common_timezones if valid_timezone(z))


def timezone_choices() -> list[SelectChoice]:
    """The shop's markets first, then every common zone, Area/City sorted."""
    markets = list(MARKET_ZONES)
    markets += [z for z in CURRENCY_ZONES.values() if z not in markets]
    ours, everyone = _("The shop's markets"), _("All time zones")
    return [
        SelectChoice(FOLLOW_BROWSER, _("Same as this browser")),
        *(SelectChoice(z, z, optgroup=ours) for z in markets),
        *(SelectChoice(z, z, optgroup=everyone) for z in _zone_names()),
    ]
