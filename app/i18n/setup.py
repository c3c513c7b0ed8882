"""Wire Flask-Babel, the per-request language and zone, and the Jinja filters."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, g, request
from flask_babel import Babel, refresh
from jinja2 import pass_context

from app.db import utcnow
from app.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES, formatting, labels
from app.i18n.preferences import (
    LOCALE_COOKIE,
    current_locale,
    current_timezone,
    normalize_locale,
    payment_zone,
    select_locale,
    set_locale_cookie,
)

babel = Babel()


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def _choose_language():
        # The app context (and so Flask-Babel's cache on `g`) can outlive one
        # request, e.g. in tests; each request chooses afresh.
        refresh()
        g.pop("i18n_timezone", None)
        g.i18n_query_locale = normalize_locale(request.args.get("lang"))

    @app.teardown_request
    def _forget_language(_exc=None):
        # Nothing chosen for this request may leak into work done after it in
        # the same app context (a job run in-process, the next test request).
        refresh()
        g.pop("i18n_timezone", None)

    @app.after_request
    def _remember_language(response):
        chosen = g.get("i18n_query_locale")
        if chosen and request.cookies.get(LOCALE_COOKIE) != chosen:
            set_locale_cookie(response, chosen)
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response

    env = app.jinja_env
    env.policies["ext.i18n.trimmed"] = True  # msgids without layout whitespace
    # Locale-dependent filters must run at render time: Jinja folds a filter on
    # a literal (`'paid'|label('order')`, `0|number`) into a constant when it
    # compiles the template, which would freeze the first reader's language.
    env.filters.update(
        {
            name: _per_render(func)
            for name, func in {
                "money": formatting.money,
                "money_amount": formatting.money_amount,
                "address": formatting.address_text,
                "number": formatting.number,
                "datetime": formatting.datetime_text,
                "datetime_range": formatting.datetime_range,
                "time": formatting.time_text,
                "date": formatting.date_text,
                "zone_label": formatting.zone_label,
                "label": labels.label,
                "method_name": labels.method_name,
                "payment_zone": payment_zone,
            }.items()
        }
    )
    env.tests["same_wall_clock"] = _per_render(formatting.same_wall_clock)
    env.globals.update(
        current_locale=current_locale,
        current_timezone=current_timezone,
        language_links=language_links,
        money_parts=formatting.money_parts,
        now_label=lambda: formatting.zone_label(utcnow()),
        LANGUAGE_NAMES=LANGUAGE_NAMES,
    )


def _per_render(func):
    """Wrap a filter or test so Jinja never evaluates it at compile time (only
    `pass_context` functions are exempt from constant folding)."""

    @pass_context
    def call(_context, *args, **kwargs):
        return func(*args, **kwargs)

    call.__doc__ = func.__doc__
    return call


def language_links(keep_query: bool = True) -> list[dict[str, str | bool]]:
    """The switch: this page again with `?lang=` for each language (a plain GET
    link, so it works without JavaScript and changes nothing but the cookie).

    Links are relative (`?…`), so a page never prints its own path; an error
    page passes `keep_query=False` and looks the same whatever was asked for.
    """
    args = []
    if keep_query:
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return [
        {
            "code": code,
            "name": LANGUAGE_NAMES[code],
            "url": "?" + urlencode([*args, ("lang", code)]),
            "current": code == current_locale(),
        }
        for code in SUPPORTED_LOCALES
    ]
