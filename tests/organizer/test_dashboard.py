"""Dashboard and event page: vacancies per type, total sales, the SVG chart."""

from __future__ import annotations

import datetime as dt
import re

from app.db import utcnow
from app.organizer.charts import DayPoint, nice_step, sales_chart
from app.organizer.services import sales_per_day
from tests.organizer.conftest import login, make_order


def _row(body: str, type_id: int) -> str:
    match = re.search(rf'<tr data-ticket-type-id="{type_id}">(.*?)</tr>', body, re.S)
    assert match, f"no row for ticket type {type_id}"
    return match.group(1)


def _cell(row: str, cls: str) -> str:
    match = re.search(rf'class="right {cls}">(.*?)</td>', row, re.S)
    assert match, cls
    return match.group(1).strip()


def _orders_for_a(world):
    now = utcnow()
    paid = [
        make_order(world.types_a, {0: 2}, name="Two Regular"),  # JPY 6,000
        make_order(world.types_a, {1: 1}, paid_at=now - dt.timedelta(days=3)),
        make_order(world.types_a, {0: 1}, paid_at=now - dt.timedelta(days=3)),
    ]
    pending = make_order(world.types_a, {0: 1}, status="payment_pending")
    refunded = make_order(world.types_a, {0: 1}, status="refunded")
    old = make_order(world.types_a, {1: 1}, paid_at=now - dt.timedelta(days=40))
    make_order(world.types_b, {0: 3}, name="Other Organizer's Buyer")
    return paid, pending, refunded, old


def test_dashboard_shows_sold_seats_left_and_total_sales(client, world):
    _orders_for_a(world)
    login(client, world.alice)
    body = client.get("/organizer/").get_data(as_text=True)

    regular, vip = world.types_a
    row = _row(body, regular.id)
    assert _cell(row, "sold") == "3"  # 2 + 1 paid
    assert _cell(row, "reserved") == "1"  # the unpaid order's hold
    assert _cell(row, "seats-left") == "96"  # 100 - 3 - 1
    row = _row(body, vip.id)
    assert _cell(row, "sold") == "2"
    assert _cell(row, "seats-left") == "8"

    # 6,000 + 8,000 + 3,000 + 8,000 (paid 40 days ago); the refund is not a sale.
    assert '<strong class="total-sales" data-currency="JPY">¥25,000</strong>' in body
    assert '<strong class="sales-total">¥25,000</strong>' in body
    assert "refunded ¥3,000" in body
    assert "1 awaiting payment" in body
    assert 'id="tickets-sold">5<' in body
    assert world.event_b.title not in body
    for type_ in world.types_b:
        assert f'data-ticket-type-id="{type_.id}"' not in body


def test_chart_has_one_bar_per_day_with_sales(client, world):
    _orders_for_a(world)
    today = utcnow().date()
    three_days_ago = today - dt.timedelta(days=3)
    login(client, world.alice)
    for url in ("/organizer/", f"/organizer/events/{world.event_a.id}"):
        body = client.get(url).get_data(as_text=True)
        svg = body[body.index("<svg") : body.index("</svg>")]
        bars = re.findall(r'<rect class="bar" data-day="([\d-]+)"', svg)
        # Two days with sales inside the 30-day window (the 40-day-old one is not).
        assert sorted(bars) == sorted([today.isoformat(), three_days_ago.isoformat()])
        assert f"<title>{today.isoformat()}: ¥6,000 (1 order)</title>" in svg
        assert f"<title>{three_days_ago.isoformat()}: ¥11,000 (2 orders)</title>" in svg
        assert 'class="y-label"' in svg and 'class="x-label"' in svg
        assert today.strftime("%m-%d") in svg
        # The chart needs no script; the only ones are the site-wide zone probe,
        # the phone menu and the scrolling-table helper (base.html).
        for name in ("tz", "menu", "tables"):
            body = body.replace(
                f'<script src="/static/js/{name}.js" defer></script>', ""
            )
        assert "<script" not in body.lower()


def test_sales_per_day_counts_paid_orders_of_the_event_only(world, db):
    paid, _pending, _refunded, _old = _orders_for_a(world)
    series = sales_per_day([world.event_a.id])
    assert list(series) == ["JPY"]
    points = series["JPY"]
    assert len(points) == 30 and points[-1].day == utcnow().date()
    assert sum(p.amount for p in points) == 17000
    assert sum(p.orders for p in points) == 3
    assert sales_per_day([world.event_b.id])["JPY"][-1].amount == 6000


def test_event_page_shows_vacancies_and_chart(client, world):
    make_order(world.types_a, {1: 10})  # VIP sold out
    login(client, world.alice)
    body = client.get(f"/organizer/events/{world.event_a.id}").get_data(as_text=True)
    row = _row(body, world.types_a[1].id)
    assert "sold out" in _cell(row, "seats-left")
    assert _cell(_row(body, world.types_a[0].id), "seats-left") == "100"
    assert '<figure class="chart" data-currency="JPY">' in body
    assert "¥80,000" in body


def test_dashboard_without_sales_draws_an_empty_chart(client, world):
    login(client, world.alice)
    body = client.get("/organizer/").get_data(as_text=True)
    assert "No sales in this period" in body
    assert '<rect class="bar"' not in body
    assert "none yet" not in body  # an event exists, its total is zero
    assert "¥0" in body


def test_chart_is_currency_aware_and_escapes_text():
    day = dt.date(2026, 1, 31)
    svg = str(
        sales_chart(
            [DayPoint(day - dt.timedelta(days=1), 0), DayPoint(day, 250050, 3)],
            "NPR",
            "<b>Sales</b>",
        )
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<b>" not in svg and "&lt;b&gt;Sales&lt;/b&gt;" in svg
    assert "<title>2026-01-31: NPR 2,500.50 (3 orders)</title>" in svg
    assert svg.count('<rect class="bar"') == 1
    # Gridlines are round numbers of rupees, not paisa.
    labels = re.findall(r'class="y-label"[^>]*>([^<]+)<', svg)
    assert labels == ["0", "1,000", "2,000", "3,000", "4,000"]


def test_nice_step():
    assert nice_step(0) == 1
    assert nice_step(10) == 5
    assert nice_step(25000) == 10000
    assert nice_step(17000) == 5000
