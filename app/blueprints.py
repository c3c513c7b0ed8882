"""Every blueprint in one list; the sandbox is mounted only in sandbox mode."""

from __future__ import annotations

import os
from importlib import import_module

from flask import Flask

from app.extensions import csrf

# (module path, blueprint attribute, url prefix, csrf exempt)
BLUEPRINTS = [
    ("app.catalog.views", "bp", None, False),
    ("app.accounts.views", "bp", None, False),
    ("app.cart.views", "bp", None, False),
    ("app.orders.views", "bp", None, False),
    ("app.payments.views", "bp", None, False),
    ("app.training.views", "bp", None, False),
    ("app.events.views", "bp", None, False),
    ("app.organizer.views", "bp", "/organizer", False),
    ("app.mail.views", "bp", None, False),
    ("app.api.views", "bp", "/api", True),
    ("app.cart.api", "bp", "/api", True),
    ("app.checkout.api", "bp", "/api", True),
    ("app.orders.api", "bp", "/api", True),
    ("app.training.api", "bp", "/api", True),
    ("app.events.api", "bp", "/api", True),
    ("app.payments.api", "bp", "/api/payments", True),
    ("app.rpc.views", "bp", "/rpc", True),
    ("app.admin.views", "bp", None, False),
    ("app.booklets.views", "bp", None, False),
    ("app.booklets.api", "bp", "/api", True),
    ("app.checkout.order_key", "bp", "/api", True),
    ("app.downloads.views", "bp", None, False),
]

SANDBOX_BLUEPRINTS = [
    ("app.sandbox.esewa", "bp", "/_sandbox/esewa"),
    ("app.sandbox.komoju", "bp", "/_sandbox/komoju"),
    ("app.sandbox.paysession", "bp", "/_sandbox/paysession"),
]


def _load(module_path: str, attr: str):
    return getattr(import_module(module_path), attr)


def register_all(app: Flask) -> None:
    for module_path, attr, prefix, exempt in BLUEPRINTS:
        bp = _load(module_path, attr)
        if exempt:
            csrf.exempt(bp)
        app.register_blueprint(bp, url_prefix=prefix)
    if app.config["GATEWAY_MODE"] == "sandbox":
        for module_path, attr, prefix in SANDBOX_BLUEPRINTS:
            bp = _load(module_path, attr)
            app.register_blueprint(bp, url_prefix=prefix)
    if os.environ.get("BENCH_ENDPOINTS") == "1":  # `make bench` ceilings only
        from app.bench.views import bp as bench_bp

        csrf.exempt(bench_bp)
        app.register_blueprint(bench_bp, url_prefix="/_bench")
