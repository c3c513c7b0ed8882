"""Languages, time zones, money and dates for the shop's two markets.

Nepal (eSewa, NPR, Asia/Kathmandu) and Japan (Komoju, konbini, JPY, Asia/Tokyo):
every page and email is rendered in English, Japanese or Nepali, every time in a
named zone, every amount with the locale's own number format. Times stay naive
UTC in the database; only rendering changes. The API keeps its machine formats.

`setup.init_app` wires Flask-Babel, the locale/zone selection and the Jinja
filters (called by the app factory; the language switch's blueprint is mounted by
`app.composition`); `preferences` decides who sees what, `formatting` prints it.
"""

from __future__ import annotations

SUPPORTED_LOCALES = ("en", "ja", "ne")
DEFAULT_LOCALE = "en"

# Each language names itself in the switch, so a reader finds their own.
LANGUAGE_NAMES = {"en": "English", "ja": "日本語", "ne": "नेपाली"}
