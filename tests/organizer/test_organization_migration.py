"""The migration that introduced organizations gives every existing organizer
one, as its owner, and moves their events into it."""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import create_engine, text


def _upgrade(base_app, engine, revision: str) -> None:
    with base_app.app_context():
        ext = base_app.extensions["sqlalchemy"]
        saved = dict(ext._app_engines[base_app])
        ext._app_engines[base_app][None] = engine
        try:
            upgrade(revision=revision)
        finally:
            ext._app_engines[base_app].clear()
            ext._app_engines[base_app].update(saved)


def test_existing_organizers_own_their_events(base_app, tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'orgs.db'}")
    try:
        _upgrade(base_app, engine, "c3f9a7d215e4")
        with engine.begin() as conn:
            for n, role in ((1, "organizer"), (2, "organizer"), (3, "customer")):
                conn.execute(
                    text(
                        "INSERT INTO users (id, email, name, phone, password_hash,"
                        " role, created_at, session_version) VALUES (:id, :email,"
                        " :name, '', 'x', :role, CURRENT_TIMESTAMP, 0)"
                    ),
                    {
                        "id": n,
                        "email": f"u{n}@example.com",
                        "name": f"U{n}",
                        "role": role,
                    },
                )
            for n, organizer in ((1, 1), (2, 1), (3, 3)):
                conn.execute(
                    text(
                        "INSERT INTO events (id, organizer_id, slug, title,"
                        " description, venue, starts_at, ends_at, timezone,"
                        " currency, active, created_at) VALUES (:id, :o, :slug,"
                        " 'E', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'UTC',"
                        " 'JPY', 1, CURRENT_TIMESTAMP)"
                    ),
                    {"id": n, "o": organizer, "slug": f"e{n}"},
                )
        _upgrade(base_app, engine, "d4a8e1c6b2f7")
        with engine.connect() as conn:
            owners = dict(
                conn.execute(
                    text(
                        "SELECT user_id, organization_id FROM organization_members"
                        " WHERE role = 'owner'"
                    )
                ).all()
            )
            assert set(owners) == {1, 2, 3}  # both organizers and one event owner
            events = dict(
                conn.execute(text("SELECT id, organization_id FROM events")).all()
            )
            assert events == {1: owners[1], 2: owners[1], 3: owners[3]}
            names = dict(conn.execute(text("SELECT id, name FROM organizations")).all())
            assert names[owners[2]] == "U2"
    finally:
        engine.dispose()
