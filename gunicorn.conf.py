"""Production gunicorn settings for a small (2-core) host running the worker too."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 30
keepalive = 5
# Each worker listens on its own SO_REUSEPORT socket, so the kernel spreads new
# connections over the workers. With one shared socket, kept-alive connections
# (a proxy's, a load tool's) pile onto whichever worker accepts first: `make
# bench` saw 13 of 16 on one worker, which then ran the pages on one core.
reuse_port = True
accesslog = "-"


def post_worker_init(worker):
    """Keep the garbage collector off the objects built at start-up (the app,
    its models, templates and routes): every full collection would walk them
    again (`make bench` measured ~0.4 ms of GC per catalog page without this)."""
    import gc

    gc.collect()
    gc.freeze()
