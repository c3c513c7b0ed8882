"""The ledger audit: the database against the gateways' records and itself.

Each check is a row (invariant, expected, actual); a row whose actual differs
from its expected value means something was lost, doubled or left stuck. The
queries are plain SQL over the soak database, so the audit trusts nothing the
app computes about itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bench.data import connect
from soak import ledger

MONEY = ("captured", "refunded")  # payment statuses whose money moved
SETTLED = ("paid", "refunded")  # order statuses that were paid at some point


@dataclass
class Row:
    group: str
    name: str
    expected: int
    actual: int
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


def passed(rows: list[Row]) -> bool:
    return all(r.ok for r in rows)


def _one(conn, sql: str, *args) -> int:
    return int(conn.execute(sql, args).fetchone()[0] or 0)


def run(stack, fx: dict) -> list[Row]:
    gateway = ledger.captures(stack.gateway_redis.url)
    with connect(stack.s.db_url) as conn:
        return money(conn, gateway) + fulfilment(conn, fx) + messages(conn)


def money(conn, gateway: dict[str, set[str]]) -> list[Row]:
    rows = []
    captured = {(g, t) for g, ids in gateway.items() for t in ids}
    known = {
        (g, t): (pstatus, ostatus, flagged)
        for g, t, pstatus, ostatus, flagged in conn.execute(
            """
            SELECT p.gateway, p.gateway_txn_id, p.status, o.status, o.needs_refund
            FROM payments p JOIN orders o ON o.id = p.order_id
            WHERE p.gateway IN ('esewa', 'komoju', 'paysession')
            """
        )
    }
    unknown = [c for c in captured if c not in known]
    not_paid = [
        c
        for c in captured
        if c in known
        and not (known[c][0] in MONEY and (known[c][1] in SETTLED or known[c][2]))
    ]
    rows.append(Row("money", "captures at the gateways", len(captured), len(captured)))
    rows.append(Row("money", "captures the shop has no payment for", 0, len(unknown)))
    rows.append(
        Row(
            "money",
            "captures not on a paid (or needs-refund) order",
            0,
            len(not_paid),
            "; ".join(f"{c[0]} {c[1]}: {known[c]}" for c in not_paid[:5]),
        )
    )
    phantom = [
        k
        for k, (pstatus, _o, _f) in known.items()
        if pstatus in MONEY and k not in captured
    ]
    rows.append(
        Row(
            "money",
            "payments captured that the gateway never captured",
            0,
            len(phantom),
        )
    )
    rows.append(
        Row(
            "money",
            "orders paid with no captured payment",
            0,
            _one(
                conn,
                """
                SELECT count(*) FROM orders o WHERE o.status IN ('paid', 'refunded')
                AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id
                                AND p.status IN ('captured', 'refunded'))
                """,
            ),
        )
    )
    rows.append(
        Row(
            "money",
            "orders with two captures, not flagged needs_refund",
            0,
            _one(
                conn,
                """
                SELECT count(*) FROM (SELECT p.order_id FROM payments p
                  JOIN orders o ON o.id = p.order_id AND NOT o.needs_refund
                  WHERE p.status IN ('captured', 'refunded')
                  GROUP BY p.order_id HAVING count(*) > 1) d
                """,
            ),
        )
    )
    rows.append(
        Row(
            "money",
            "orders with more than one paid transition",
            0,
            _one(
                conn,
                """
                SELECT count(*) FROM (SELECT order_id FROM payment_events
                  WHERE outcome = 'order_paid' GROUP BY order_id HAVING count(*) > 1) d
                """,
            ),
        )
    )
    return rows


# What the paid orders imply, line by line: an order refunded whole keeps nothing,
# and one paid too late to be delivered (flagged needs_refund) gets nothing.
KEPT = """
  CASE WHEN o.status = 'paid' AND NOT o.needs_refund
       THEN oi.quantity - coalesce(oi.refunded_quantity, 0) ELSE 0 END
"""


def fulfilment(conn, fx: dict) -> list[Row]:
    rows = []
    expected = _one(
        conn,
        f"""
        SELECT coalesce(sum(CASE WHEN {KEPT} > 0 THEN 1 ELSE 0 END), 0)
        FROM orders o JOIN order_items oi ON oi.order_id = o.id
        JOIN products p ON p.id = oi.product_id
        WHERE o.status IN ('paid', 'refunded') AND p.type IN ('course', 'digital_book')
        """,  # noqa: S608 - KEPT is this module's constant
    )
    actual = _one(
        conn,
        """
        SELECT count(*) FROM product_access a JOIN products p ON p.id = a.product_id
        WHERE a.revoked_at IS NULL AND p.type IN ('course', 'digital_book')
        """,
    )
    rows.append(Row("fulfilment", "access grants (courses, books)", expected, actual))

    paid_seats = _one(
        conn,
        """
        SELECT count(*) FROM orders o JOIN order_items oi ON oi.order_id = o.id
        WHERE o.status = 'paid' AND NOT o.needs_refund AND oi.cohort_id IS NOT NULL
        """,
    )
    enrolled = _one(conn, "SELECT count(*) FROM enrollments WHERE status = 'enrolled'")
    taken = _one(conn, "SELECT coalesce(sum(seats_taken), 0) FROM training_cohorts")
    rows.append(
        Row("fulfilment", "enrollments (paid training orders)", paid_seats, enrolled)
    )
    rows.append(Row("fulfilment", "cohort seats taken", paid_seats, taken))
    rows.append(
        Row(
            "fulfilment",
            "cohorts over capacity",
            0,
            _one(
                conn,
                "SELECT count(*) FROM training_cohorts WHERE seats_taken > capacity",
            ),
        )
    )
    held = _one(
        conn,
        "SELECT count(*) FROM enrollments WHERE status = 'pending' AND holds_seat",
    )
    rows.append(
        Row(
            "fulfilment",
            "seats held (pending enrollments)",
            held,
            _one(conn, "SELECT coalesce(sum(seats_held), 0) FROM training_cohorts"),
        )
    )

    implied = _one(
        conn,
        f"""
        SELECT coalesce(sum({KEPT}), 0) FROM orders o
        JOIN order_items oi ON oi.order_id = o.id
        WHERE o.status IN ('paid', 'refunded') AND oi.ticket_type_id IS NOT NULL
        """,  # noqa: S608 - KEPT is this module's constant
    )
    rows.append(
        Row(
            "fulfilment",
            "tickets sold (ticket_types.quantity_sold)",
            implied,
            _one(conn, "SELECT coalesce(sum(quantity_sold), 0) FROM ticket_types"),
        )
    )
    rows.append(
        Row(
            "fulfilment",
            "tickets issued (not voided)",
            implied,
            _one(conn, "SELECT count(*) FROM tickets WHERE voided_at IS NULL"),
        )
    )
    rows.append(
        Row(
            "fulfilment",
            "ticket types oversold",
            0,
            _one(
                conn,
                "SELECT count(*) FROM ticket_types "
                "WHERE quantity_sold > quantity_total",
            ),
        )
    )

    shipped = _one(
        conn,
        f"""
        SELECT coalesce(sum({KEPT}), 0) FROM orders o
        JOIN order_items oi ON oi.order_id = o.id
        WHERE o.status IN ('paid', 'refunded') AND oi.product_id = %s
        """,  # noqa: S608 - KEPT is this module's constant
        fx["booklet_id"],
    )
    left = _one(conn, "SELECT stock FROM products WHERE id = %s", fx["booklet_id"])
    rows.append(
        Row("fulfilment", "booklet stock taken", shipped, fx["booklet_stock"] - left)
    )

    promo_orders = _one(
        conn,
        """
        SELECT count(*) FROM orders o JOIN promotions p ON p.id = o.promotion_id
        WHERE o.status IN ('paid', 'refunded') AND p.code = %s
        """,
        fx["promo_code"],
    )
    usages, max_uses = conn.execute(
        """
        SELECT (SELECT count(*) FROM promotion_usages u WHERE u.promotion_id = p.id),
               p.max_uses
        FROM promotions p WHERE p.code = %s
        """,
        (fx["promo_code"],),
    ).fetchone()
    rows.append(
        Row(
            "fulfilment",
            "promotion uses (paid orders with the code)",
            promo_orders,
            usages,
        )
    )
    rows.append(
        Row(
            "fulfilment",
            "promotion uses beyond max_uses, not flagged",
            0,
            _one(
                conn,
                """
                SELECT greatest(count(*) - %s, 0) FROM promotion_usages u
                JOIN orders o ON o.id = u.order_id
                 AND NOT o.needs_refund AND NOT o.promotion_past_limit
                JOIN promotions p ON p.id = u.promotion_id WHERE p.code = %s
                """,
                max_uses,
                fx["promo_code"],
            ),
        )
    )
    return rows


def messages(conn) -> list[Row]:
    paid = _one(
        conn, "SELECT count(*) FROM orders WHERE status IN ('paid', 'refunded')"
    )
    once = _one(
        conn,
        """
        SELECT count(*) FROM orders o WHERE o.status IN ('paid', 'refunded')
        AND (SELECT count(*) FROM email_log m
             WHERE m.dedupe_key = 'receipt-order-' || o.id) = 1
        """,
    )
    extra = _one(
        conn,
        """
        SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) n FROM email_log
          WHERE dedupe_key LIKE 'receipt-order-%%' GROUP BY dedupe_key) d
        """,
    )
    return [
        Row("messages", "paid orders with exactly one receipt", paid, once),
        Row("messages", "receipts sent twice", 0, extra),
        Row(
            "stuck",
            "outbox rows pending, due over 30 s ago",
            0,
            _one(
                conn,
                """
                SELECT count(*) FROM outbox_events WHERE status = 'pending'
                AND available_at < localtimestamp - interval '30 seconds'
                """,
            ),
        ),
        Row(
            "stuck",
            "outbox rows failed",
            0,
            _one(conn, "SELECT count(*) FROM outbox_events WHERE status = 'failed'"),
        ),
    ]


ACCESS_500 = re.compile(r'" 500 ')


def logs(stack, stats) -> list[Row]:
    """HTTP 500s: in the shop's and the gateways' access logs, and as the clients
    saw them."""
    in_logs = 0
    for name in ("shop", "gateway"):
        path = stack.log_dir / f"{name}.log"
        if path.exists():
            in_logs += sum(
                1
                for line in path.read_text(errors="replace").splitlines()
                if ACCESS_500.search(line)
            )
    return [
        Row("errors", "HTTP 500 in the access logs", 0, in_logs),
        Row("errors", "HTTP 500 seen by the clients", 0, len(stats.http_500)),
    ]
