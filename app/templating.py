"""Jinja set-up: the i18n filters (money, dates with their zone, labels) and a
few globals. The API never renders through these; it keeps machine formats."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from app.i18n import setup as i18n_setup
from app.i18n.formatting import date_text, datetime_text
from app.money import format_amount


def format_utc(value: dt.datetime | dt.date | None, with_time: bool = True) -> str:
    """Kept for Python callers (back-office columns): now the reader's locale and
    zone, with the zone named, like the `datetime` filter."""
    if isinstance(value, dt.datetime) and with_time:
        return datetime_text(value)
    return date_text(value)


def register_filters(app: Flask) -> None:
    i18n_setup.init_app(app)
    app.jinja_env.filters["amount"] = lambda minor, cur: format_amount(minor, cur)
    app.jinja_env.filters["utc"] = format_utc
    app.jinja_env.globals["GATEWAY_MODE"] = lambda: app.config["GATEWAY_MODE"]
