"""`flask db upgrade` on an empty database gives exactly the models' schema."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL


def _diff(engine, metadata):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, metadata)


def _upgrade_and_compare(base_app, uri):
    from app.extensions import db

    old = base_app.config["SQLALCHEMY_DATABASE_URI"]
    base_app.config["SQLALCHEMY_DATABASE_URI"] = uri
    engine = create_engine(uri)
    try:
        # Flask-SQLAlchemy caches engines per app; a fresh app context with a new
        # URI needs its own engine, so we run alembic against `uri` explicitly.
        with base_app.app_context():
            db_ext = base_app.extensions["sqlalchemy"]
            saved = dict(db_ext._app_engines[base_app])
            db_ext._app_engines[base_app][None] = engine
            try:
                upgrade()
            finally:
                db_ext._app_engines[base_app].clear()
                db_ext._app_engines[base_app].update(saved)
        return _diff(engine, db.metadata)
    finally:
        base_app.config["SQLALCHEMY_DATABASE_URI"] = old
        engine.dispose()


def test_sqlite_migrations_match_models(base_app, tmp_path):
    diff = _upgrade_and_compare(base_app, f"sqlite:///{tmp_path / 'mig.db'}")
    assert diff == []


@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set")
def test_postgresql_migrations_match_models(base_app):
    name = f"storefront_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        uri = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        assert _upgrade_and_compare(base_app, uri) == []
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
