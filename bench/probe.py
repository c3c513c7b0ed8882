"""Deterministic evidence behind the load figures: per request, in one process
with no concurrency, how many SQL statements and how much CPU each endpoint costs.

Runs the app in the bench driver through Flask's test client (so no HTTP server
and no load tool are counted), after a warm-up, with the garbage collector frozen
as the gunicorn workers have it.
"""

from __future__ import annotations

import gc
import time
import uuid

from sqlalchemy import event

# the hand-written checkout (app/bench/views.py) sends these, plus COMMIT
HAND_WRITTEN_STATEMENTS = 8


def per_request(app, tokens: list[str], repeat: int = 60) -> dict:
    from app.extensions import db

    client = app.test_client()
    counter = iter(range(10**9))

    def checkout(path: str):
        def call():
            n = next(counter)
            resp = client.post(
                path,
                json={"gateway": "esewa"},
                headers={
                    "Authorization": f"Bearer {tokens[n % len(tokens)]}",
                    "Idempotency-Key": f"probe-{uuid.uuid4().hex}",
                },
            )
            assert resp.status_code == 200, resp.get_data(as_text=True)[:300]

        return call

    def get(path: str):
        def call():
            resp = client.get(path)
            assert resp.status_code == 200, resp.status_code

        return call

    endpoints = {
        "bare": get("/_bench/bare"),
        "bench_checkout": checkout("/_bench/checkout"),
        "catalog": get("/"),
        "product": get("/products/python-basics"),
        "checkout": checkout("/api/orders/checkout"),
    }
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    out = {}
    for name, call in endpoints.items():
        for _ in range(10):
            call()
        gc.collect()
        gc.freeze()
        event.listen(engine, "before_cursor_execute", count)
        statements.clear()
        call()
        n_statements = len(statements)
        event.remove(engine, "before_cursor_execute", count)
        started = time.process_time()
        wall = time.perf_counter()
        for _ in range(repeat):
            call()
        out[name] = {
            "statements": (
                HAND_WRITTEN_STATEMENTS if name == "bench_checkout" else n_statements
            ),
            "cpu_ms": (time.process_time() - started) / repeat * 1000,
            "wall_ms": (time.perf_counter() - wall) / repeat * 1000,
        }
        gc.unfreeze()
    return out
