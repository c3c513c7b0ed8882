"""Jinja filters: money with its currency, times with their zone."""

from __future__ import annotations

import datetime as dt

from flask import Flask

from app.money import display_amount, format_amount


def format_utc(value: dt.datetime | dt.date | None, with_time: bool = True) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M UTC")
            if with_time
            else value.strftime("%Y-%m-%d")
        )
    return value.strftime("%Y-%m-%d")


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["money"] = lambda minor, cur: display_amount(minor, cur)
    app.jinja_env.filters["amount"] = lambda minor, cur: format_amount(minor, cur)
    app.jinja_env.filters["utc"] = format_utc
    app.jinja_env.globals["GATEWAY_MODE"] = lambda: app.config["GATEWAY_MODE"]
