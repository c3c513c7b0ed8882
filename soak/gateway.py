"""The gateway sandboxes as a separate system: their own gunicorn and RQ worker.

The simulators keep their records in the Redis of the app that serves them. The
soak restarts the shop's Redis empty, which must not erase what "eSewa" or
"KOMOJU" know (a real gateway does not forget a capture when the shop's Redis
restarts), so the sandboxes run as a second instance of the app with a Redis of
their own - the same split `tests/reliability` uses. `SOAK_HANG_SECONDS` keeps a
hanging gateway API shorter than the 30 s default, so a hang holds one of the
shop's threads for a few seconds rather than half a minute.

    gunicorn -c gunicorn.conf.py soak.gateway:app   # the sandbox pages and APIs
    python -m soak.gateway                           # delivers their webhooks
"""

from __future__ import annotations

import logging
import os
import sys

from app import create_app

app = create_app(
    {"SANDBOX_HANG_SECONDS": float(os.environ.get("SOAK_HANG_SECONDS", "5"))}
)


def main() -> int:
    """An RQ worker for the sandboxes' webhook queue only (no shop maintenance)."""
    import worker
    from app.jobs import get_queue

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    worker.AppWorker.flask_app = app
    with app.app_context():
        rq_worker = worker.AppWorker(
            [get_queue("sandbox")], connection=app.extensions["redis"]
        )
        rq_worker.work(with_scheduler=True, logging_level="WARNING")
    return 0


if __name__ == "__main__":
    sys.exit(main())
