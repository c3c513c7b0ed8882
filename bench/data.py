"""The bench database: create, migrate, seed, then scale with plain SQL."""

from __future__ import annotations

import json
import subprocess
import time

import psycopg

from bench.procs import BIN, ROOT

BENCH_PRODUCTS = ("python-basics", "data-handbook")  # every bench cart: both, NPR
ORDER_TABLES = (
    "idempotency_keys",
    "payment_events",
    "outbox_events",
    "email_log",
    "product_access",
    "payments",
    "order_items",
    "orders",
)


def pg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def connect(url: str, autocommit: bool = True) -> psycopg.Connection:
    """Sessions in UTC, so `localtimestamp` is the app's naive-UTC `utcnow()`."""
    return psycopg.connect(
        pg_dsn(url), autocommit=autocommit, options="-c TimeZone=UTC"
    )


def recreate_database(url: str) -> None:
    dsn = pg_dsn(url)
    name = dsn.rsplit("/", 1)[1].split("?")[0]
    admin = dsn.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def schema_drift(app) -> list[str]:
    """Tables or columns the models have and the migrated database lacks."""
    from sqlalchemy import inspect

    from app.extensions import db

    with app.app_context():
        insp = inspect(db.engine)
        existing = set(insp.get_table_names())
        problems = []
        for name, table in db.metadata.tables.items():
            if name not in existing:
                problems.append(f"table {name}")
                continue
            have = {c["name"] for c in insp.get_columns(name)}
            problems += [f"{name}.{c.name}" for c in table.c if c.name not in have]
        db.engine.dispose()
    return problems


def migrate(url: str, env: dict, app_factory, log) -> str:
    """`flask db upgrade`; when migrations lag the models, `create_all` instead."""
    recreate_database(url)
    result = flask(env, "db", "upgrade")
    how = "flask db upgrade"
    drift = schema_drift(app_factory()) if result.returncode == 0 else ["failed"]
    if result.returncode != 0 or drift:
        why = result.stderr.strip().splitlines()[-1:] if result.returncode else drift
        log(f"  migrations do not match the models ({', '.join(why)[:200]});")
        log("  using db.create_all() on a fresh database instead")
        recreate_database(url)
        from app.extensions import db

        app = app_factory()
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        how = "db.create_all() (migrations were behind the models: " + (
            ", ".join(why)[:160] + ")"
        )
    return how


def seed(env: dict) -> None:
    result = flask(env, "seed-demo")
    if result.returncode != 0:
        raise RuntimeError(f"seed-demo failed:\n{result.stdout}\n{result.stderr}")


def add_users(conn: psycopg.Connection, n: int) -> list[str]:
    """n customers, each with an API token ("sft_bench_<id>") and a cart."""
    from werkzeug.security import generate_password_hash

    pw = generate_password_hash(PASSWORD)
    conn.execute(
        """
        INSERT INTO users (email, name, phone, password_hash, role, created_at)
        SELECT 'bench-' || g || '@bench.test', 'Bench User ' || g,
               '+97798' || lpad(g::text, 8, '0'), %s, 'customer', localtimestamp
        FROM generate_series(1, %s) g
        """,
        (pw, n),
    )
    conn.execute(
        """
        INSERT INTO api_tokens (user_id, token_hash, name, created_at)
        SELECT id, encode(sha256(('sft_bench_' || id)::bytea), 'hex'), 'bench',
          localtimestamp
        FROM users WHERE email LIKE 'bench-%%'
        """
    )
    conn.execute(
        """
        INSERT INTO carts (user_id, created_at, updated_at)
        SELECT id, localtimestamp, localtimestamp FROM users WHERE email LIKE 'bench-%%'
        """
    )
    refill_carts(conn)
    rows = conn.execute(
        "SELECT id FROM users WHERE email LIKE 'bench-%%' ORDER BY id"
    ).fetchall()
    return [f"sft_bench_{r[0]}" for r in rows]


PASSWORD = "bench-pass-123"


def empty_carts(conn: psycopg.Connection) -> None:
    """Empty every bench cart (whole purchases start from an empty cart)."""
    conn.execute(
        "DELETE FROM cart_items WHERE cart_id IN (SELECT c.id FROM carts c "
        "JOIN users u ON u.id = c.user_id WHERE u.email LIKE 'bench-%%')"
    )


def refill_carts(conn: psycopg.Connection) -> None:
    """Put the two bench products back in every bench cart (paying empties it)."""
    conn.execute(
        """
        INSERT INTO cart_items (cart_id, product_id, quantity, created_at)
        SELECT c.id, p.id, 1, localtimestamp
        FROM carts c JOIN users u ON u.id = c.user_id
        CROSS JOIN products p
        WHERE u.email LIKE 'bench-%%' AND p.slug = ANY(%s)
        ON CONFLICT DO NOTHING
        """,
        (list(BENCH_PRODUCTS),),
    )


def user_range(conn) -> tuple[int, int]:
    return conn.execute(
        "SELECT min(id), count(*) FROM users WHERE email LIKE 'bench-%%'"
    ).fetchone()


def truncate_orders(conn) -> None:
    tables = [
        t
        for (t,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        if t in ORDER_TABLES
    ]
    conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def count_orders(conn) -> int:
    return conn.execute("SELECT count(*) FROM orders").fetchone()[0]


def add_history(conn, n: int, chunk: int = 250_000, log=None) -> float:
    """n finished orders, each with an item, a payment, a gateway event and an
    idempotency record, as years of trading would leave them. Returns seconds."""
    lo, users = user_range(conn)
    product = conn.execute(
        "SELECT id, title, price FROM products WHERE slug = %s", (BENCH_PRODUCTS[0],)
    ).fetchone()
    started = time.monotonic()
    conn.execute("SET synchronous_commit = off")
    # The rows are consistent by construction: skip the foreign-key triggers
    # while loading (superuser only; the bench connects as postgres).
    conn.execute("SET session_replication_role = replica")
    done = 0
    while done < n:
        size = min(chunk, n - done)
        with conn.transaction():
            first = conn.execute("SELECT coalesce(max(id), 0) FROM orders").fetchone()[
                0
            ]
            conn.execute(
                """
                INSERT INTO orders (public_id, user_id, kind, status, subtotal,
                  discount, total, currency, customer_name, customer_email,
                  customer_phone, allowed_methods, note, tags, expires_at, order_key,
                  needs_refund, cancel_reason, paid_at, cancelled_at, created_at,
                  updated_at)
                SELECT 'ord_h' || lpad(to_hex(%(first)s + g), 11, '0'),
                  %(lo)s + (g %% %(users)s), 'cart', st, %(price)s, 0, %(price)s,
                  'NPR', 'Bench User', 'bench@bench.test', '', '', '', '{}',
                  ts + interval '30 minutes',
                  md5('k' || (%(first)s + g)) || md5('o' || (%(first)s + g)),
                  false, '', CASE WHEN st = 'paid' THEN ts END,
                  CASE WHEN st = 'cancelled' THEN ts END, ts, ts
                FROM generate_series(1, %(size)s) g,
                LATERAL (SELECT localtimestamp - (g || ' minutes')::interval AS ts,
                  (ARRAY['paid','paid','paid','paid','paid','paid','paid',
                         'paid','cancelled','failed'])[1 + g %% 10] AS st) x
                """,
                {
                    "first": first,
                    "lo": lo,
                    "users": users,
                    "price": product[2],
                    "size": size,
                },
            )
            conn.execute(
                """
                INSERT INTO order_items (order_id, product_id, title, product_type,
                  unit_price, quantity, line_total, attendees)
                SELECT id, %s, %s, 'course', total, 1, total, '[]'
                FROM orders WHERE id > %s
                """,
                (product[0], product[1], first),
            )
            conn.execute(
                """
                INSERT INTO payments (order_id, gateway, method, amount, currency,
                  status, gateway_txn_id, gateway_reference, initiation_type,
                  payload, error_details, message, verified, verify_attempts,
                  captured_amount, completed_at, created_at, updated_at)
                SELECT id, 'esewa', 'esewa', total, currency,
                  CASE status WHEN 'paid' THEN 'captured'
                              WHEN 'cancelled' THEN 'expired' ELSE 'failed' END,
                  'h' || id, 'H' || id, 'form_post', '{}', '{}', '', status = 'paid',
                  1, CASE WHEN status = 'paid' THEN total END, paid_at,
                  created_at, updated_at
                FROM orders WHERE id > %s
                """,
                (first,),
            )
            conn.execute(
                """
                INSERT INTO payment_events (payment_id, order_id, gateway, kind,
                  outcome, detail, body, created_at)
                SELECT p.id, p.order_id, 'esewa', 'note',
                  CASE p.status WHEN 'captured' THEN 'order_paid' ELSE p.status END,
                  '', '', p.updated_at
                FROM payments p WHERE p.order_id > %s
                """,
                (first,),
            )
            conn.execute(
                """
                INSERT INTO idempotency_keys (owner, scope, key, fingerprint,
                  status_code, response, created_at)
                SELECT 'user:' || user_id, 'orders.checkout', 'h' || id,
                  md5(id::text) || md5(id::text), 200, '{}', created_at
                FROM orders WHERE id > %s
                """,
                (first,),
            )
        done += size
        if log:
            log(f"    {done:,} / {n:,} orders ({time.monotonic() - started:.0f} s)")
    conn.execute("SET session_replication_role = DEFAULT")
    conn.execute("SET synchronous_commit = on")
    return time.monotonic() - started


def analyze(conn) -> None:
    """Fresh statistics, and the bulk load's dirty pages written out now rather
    than by a checkpoint in the middle of the next measurement."""
    conn.execute("VACUUM (ANALYZE)")
    conn.execute("CHECKPOINT")


def payable_orders(conn, n: int) -> list[dict]:
    """n unpaid orders whose eSewa payment is already COMPLETE at the sandbox,
    each with its `order.payment_success` outbox event (as a verified redirect
    leaves it). The sandbox records are written by the caller."""
    lo, users = user_range(conn)
    product = conn.execute(
        "SELECT id, title, price FROM products WHERE slug = %s", (BENCH_PRODUCTS[0],)
    ).fetchone()
    stamp = int(time.time() * 1000)
    with conn.transaction():
        first = conn.execute("SELECT coalesce(max(id), 0) FROM orders").fetchone()[0]
        conn.execute(
            """
            INSERT INTO orders (public_id, user_id, kind, status, subtotal, discount,
              total, currency, customer_name, customer_email, customer_phone,
              allowed_methods, note, tags, expires_at, order_key, needs_refund,
              cancel_reason, created_at, updated_at)
            SELECT 'ord_p' || lpad(to_hex(%(first)s + g), 11, '0'),
              %(lo)s + ((g - 1) %% %(users)s), 'cart', 'payment_pending',
              %(price)s, 0, %(price)s, 'NPR', 'Bench User',
              'bench-' || g || '@bench.test', '', '', '', '{}',
              localtimestamp + interval '30 minutes',
              md5('pk' || (%(first)s + g)) || md5('po' || (%(first)s + g)),
              false, '', localtimestamp, localtimestamp
            FROM generate_series(1, %(n)s) g
            """,
            {"first": first, "lo": lo, "users": users, "price": product[2], "n": n},
        )
        conn.execute(
            """
            INSERT INTO order_items (order_id, product_id, title, product_type,
              unit_price, quantity, line_total, attendees)
            SELECT id, %s, %s, 'course', total, 1, total, '[]'
            FROM orders WHERE id > %s
            """,
            (product[0], product[1], first),
        )
        rows = conn.execute(
            """
            INSERT INTO payments (order_id, gateway, method, amount, currency, status,
              gateway_txn_id, initiation_type, payload, error_details, message,
              verified, verify_attempts, created_at, updated_at)
            SELECT id, 'esewa', 'esewa', total, currency, 'pending',
              'p' || id || '-' || %s, 'form_post', '{}', '{}', '', false, 0,
              localtimestamp, localtimestamp
            FROM orders WHERE id > %s
            RETURNING id, order_id, gateway_txn_id, amount
            """,
            (stamp, first),
        ).fetchall()
        out = []
        for payment_id, order_id, uuid, amount in rows:
            event_id = conn.execute(
                """
                INSERT INTO outbox_events (topic, payload, dedupe_key, status,
                  attempts, available_at, last_error, created_at, updated_at)
                VALUES ('order.payment_success', %s, %s, 'pending', 0,
                  localtimestamp, '', localtimestamp, localtimestamp)
                RETURNING id
                """,
                (
                    json.dumps({"payment_id": payment_id, "source": "redirect"}),
                    f"order.payment_success-{payment_id}-captured",
                ),
            ).fetchone()[0]
            out.append(
                {
                    "payment_id": payment_id,
                    "order_id": order_id,
                    "uuid": uuid,
                    "amount": amount,
                    "event_id": event_id,
                }
            )
    return out


def sandbox_complete(redis_client, payments: list[dict], product_code: str) -> None:
    """Mark each payment COMPLETE at the eSewa sandbox (its Redis record)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    with redis_client.pipeline(transaction=False) as pipe:
        for p in payments:
            whole, frac = divmod(p["amount"], 100)
            total = f"{whole}.{frac:02d}"
            record = {
                "fields": {
                    "amount": total,
                    "tax_amount": "0.00",
                    "total_amount": total,
                    "transaction_uuid": p["uuid"],
                    "product_code": product_code,
                    "product_service_charge": "0.00",
                    "product_delivery_charge": "0.00",
                    "success_url": "",
                    "failure_url": "",
                    "signed_field_names": "total_amount,transaction_uuid,product_code",
                    "signature": "",
                },
                "status": "COMPLETE",
                "transaction_code": f"B{p['payment_id']:06d}"[-7:],
                "created_at": now,
                "updated_at": now,
            }
            pipe.set(f"sandbox:esewa:txn:{p['uuid']}", json.dumps(record), ex=24 * 3600)
        pipe.execute()
