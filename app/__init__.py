"""Application factory."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask
from werkzeug.routing import IntegerConverter

from app import (
    models,  # noqa: F401 - every table, for metadata and migrations
    redis_conn,
)
from app.cli import register_commands
from app.composition import wire
from app.config import check_production_settings, load_config
from app.db_retry import retry_once
from app.db_setup import configure_engine
from app.errors import close_db_session, register_error_handlers
from app.extensions import csrf, db, limiter, login_manager, migrate
from app.security import register_security
from app.templating import register_filters

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app from the environment (and `.env`), then apply `overrides`."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.json.sort_keys = False  # keep the seeds' field order in responses
    app.config.update(load_config(app.instance_path))
    if overrides:
        app.config.update(overrides)
    check_production_settings(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_converters(app)
    register_extensions(app)
    wire(app)
    register_error_handlers(app)
    register_commands(app)
    register_filters(app)
    register_security(app)
    register_retries(app)
    return app


def register_retries(app: Flask) -> None:
    """Every view runs its transaction again, once, after a deadlock or a
    serialization failure (`app.db_retry`); names are kept, so CSRF exemptions
    and rate limits still find their views."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static" and not getattr(view, "retries_once", False):
            app.view_functions[endpoint] = retry_once(view)


class IdConverter(IntegerConverter):
    """`<int:…>` in every route stops at the database's integer range, so an id
    like 10**30 is a plain 404 instead of an overflow deep in the driver.
    ASCII digits only (Werkzeug's `\\d` also matches `١٢`), as `app.digits`."""

    regex = r"[0-9]+"

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def register_converters(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    app.teardown_appcontext(close_db_session)  # runs before Flask-SQLAlchemy's
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    csrf.init_app(app)

    redis_client = app.config.get("REDIS_CONNECTION") or redis_conn.connect(
        app.config["REDIS_URL"], app.instance_path
    )
    app.extensions["redis"] = redis_client
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        pool_kwargs = redis_client.connection_pool.connection_kwargs
        if "path" in pool_kwargs:
            app.config["RATELIMIT_STORAGE_URI"] = f"redis+unix://{pool_kwargs['path']}"
        else:
            host = pool_kwargs.get("host", "127.0.0.1")
            port = pool_kwargs.get("port", 6379)
            dbn = pool_kwargs.get("db", 0)
            app.config["RATELIMIT_STORAGE_URI"] = f"redis://{host}:{port}/{dbn}"
    limiter.init_app(app)

    with app.app_context():
        configure_engine(db.engine)
