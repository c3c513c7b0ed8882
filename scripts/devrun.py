"""`make run`: start the embedded Redis, the web server and `worker.py` together.

This process owns the embedded Redis (so it outlives restarts of web or worker)
and stops everything on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from dotenv import load_dotenv

    load_dotenv(ROOT / ".env")
    from app import redis_conn
    from app.cli import DEMO_PASSWORD, DEMO_USERS

    instance = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))
    env = dict(os.environ)
    if not env.get("REDIS_URL"):
        client = redis_conn.connect("", str(instance))
        client.ping()
        print(f"Embedded Redis on {redis_conn.embedded_socket(instance)}")
    host = env.get("HOST", "127.0.0.1")
    port = env.get("PORT", "5000")
    # Gateways send the browser back (and post webhooks) to PUBLIC_BASE_URL: on
    # another PORT it must follow, unless it was set on purpose.
    env.setdefault("PUBLIC_BASE_URL", f"http://{host}:{port}")
    py = sys.executable
    procs = [
        subprocess.Popen([py, "worker.py"], cwd=ROOT, env=env),
        subprocess.Popen(
            [
                py,
                "-m",
                "flask",
                "--app",
                "wsgi",
                "run",
                "--host",
                host,
                "--port",
                port,
                "--no-reload",
                "--with-threads",
            ],
            cwd=ROOT,
            env=env,
        ),
    ]
    time.sleep(1.5)
    print()
    print(f"Storefront is running at http://{host}:{port}")
    print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, _name, role, _phone in DEMO_USERS:
        print(f"  {role:<10} {email}")
    print(f"Sent mail (development): http://{host}:{port}/_dev/mail")
    print("Press Ctrl-C to stop.")
    sys.stdout.flush()

    def stop(*_args):
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(proc.poll() is None for proc in procs):
            time.sleep(0.5)
    finally:
        stop()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis_conn.shutdown_embedded()
    return 0


if __name__ == "__main__":
    sys.exit(main())
