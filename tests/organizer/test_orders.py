"""The event's order list (filter, search, pages) and its CSV export."""

from __future__ import annotations

import csv
import io
import re

from app.events.models import Ticket
from app.extensions import db
from app.organizer.export import safe_cell
from tests.organizer.conftest import login, make_order


def _ids(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-order-id="(\d+)">', body)]


def _list(client, world, **params):
    resp = client.get(
        f"/organizer/events/{world.event_a.id}/orders", query_string=params
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_data(as_text=True)


def test_filter_by_status_and_search(client, world, db):
    paid = make_order(world.types_a, name="Hanako Sato", email="hanako@example.com")
    pending = make_order(
        world.types_a, status="payment_pending", name="Taro Yamada", email="t@ex.jp"
    )
    failed = make_order(world.types_a, status="failed", name="Jiro", email="j@x.jp")
    other = make_order(world.types_b, name="Hanako Other")
    login(client, world.alice)

    assert _ids(_list(client, world)) == [failed.id, pending.id, paid.id]
    assert _ids(_list(client, world, status="paid")) == [paid.id]
    assert _ids(_list(client, world, status="payment_pending")) == [pending.id]
    assert _ids(_list(client, world, status="refunded")) == []
    assert _ids(_list(client, world, status="needs_refund")) == []
    paid.needs_refund = True
    db.session.commit()
    assert _ids(_list(client, world, status="needs_refund")) == [paid.id]
    # name and email, case-insensitive; public id; numeric id (with or without #)
    assert _ids(_list(client, world, q="hanako")) == [paid.id]
    assert _ids(_list(client, world, q="T@EX.JP")) == [pending.id]
    assert _ids(_list(client, world, q=pending.public_id.upper())) == [pending.id]
    assert _ids(_list(client, world, q=str(failed.id))) == [failed.id]
    assert _ids(_list(client, world, q=f"#{failed.id}")) == [failed.id]
    assert _ids(_list(client, world, q=str(other.id))) == []
    # LIKE wildcards are literal text
    assert _ids(_list(client, world, q="%")) == []
    assert _ids(_list(client, world, q="hanako", status="failed")) == []
    body = _list(client, world, q="taro", status="payment_pending")
    assert _ids(body) == [pending.id]
    assert f'href="/organizer/orders/{pending.id}"' in body


def test_bad_filter_is_a_clear_400(client, world):
    login(client, world.alice)
    url = f"/organizer/events/{world.event_a.id}/orders"
    assert client.get(url, query_string={"status": "bogus"}).status_code == 400
    assert client.get(url, query_string={"page": "zero"}).status_code == 400
    assert client.get(url + ".csv", query_string={"status": "x"}).status_code == 400


def test_pagination_25_per_page_with_prev_next(client, world):
    orders = [make_order(world.types_a, name=f"Buyer {n:02d}") for n in range(30)]
    newest_first = [o.id for o in reversed(orders)]
    login(client, world.alice)

    page1 = _list(client, world)
    assert _ids(page1) == newest_first[:25]
    assert "30 orders · page 1 of 2" in page1
    assert 'rel="next"' in page1 and 'rel="prev"' not in page1
    next_url = re.search(
        r'<a rel="next" class="button secondary" href="([^"]+)"', page1
    )
    page2 = client.get(next_url.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _ids(page2) == newest_first[25:]
    assert 'rel="prev"' in page2 and 'rel="next"' not in page2
    # Filters survive paging; a page past the end shows the last page.
    body = _list(client, world, q="buyer", page=2)
    assert (
        f'href="/organizer/events/{world.event_a.id}/orders?page=1&amp;q=buyer"' in body
    )
    assert _ids(_list(client, world, page=99)) == newest_first[25:]


def _csv(client, world, **params):
    resp = client.get(
        f"/organizer/events/{world.event_a.id}/orders.csv", query_string=params
    )
    assert resp.status_code == 200
    return resp, list(csv.reader(io.StringIO(resp.get_data(as_text=True))))


def test_csv_export_of_the_filtered_list(client, world):
    paid = make_order(world.types_a, {0: 2, 1: 1}, name="Hanako Sato")
    pending = make_order(
        world.types_a, status="payment_pending", name="Taro", email="taro@ex.jp"
    )
    for n in range(30):  # more than one page: the export is not paginated
        make_order(
            world.types_a, status="failed", name=f"Failed {n}", email=f"f{n}@ex.jp"
        )
    make_order(world.types_b, name="Not Mine")
    login(client, world.alice)

    resp, rows = _csv(client, world)
    assert resp.mimetype == "text/csv"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="event-{world.event_a.id}-orders.csv"' in disposition
    assert rows[0] == [
        "order id",
        "public id",
        "created (UTC)",
        "status",
        "customer name",
        "email",
        "phone",
        "items",
        "total",
        "currency",
        "paid at (UTC)",
        "needs refund",
        "ticket code",
        "ticket type",
        "attendee name",
        "attendee email",
        "ticket status",
        "checked in at (UTC)",
        "gate",
    ]
    # one row per ticket (the paid order has 3), one per order without tickets
    assert len(rows) == 1 + 3 + 31
    assert "Not Mine" not in resp.get_data(as_text=True)
    paid_rows = [r for r in rows[1:] if int(r[0]) == paid.id]
    codes = {t.code for t in Ticket.query.filter_by(order_id=paid.id)}
    assert {r[12] for r in paid_rows} == codes
    assert sorted(r[13:17] for r in paid_rows) == [
        ["Type 0", "Hanako Sato 1", "hanako@example.com", "valid"],
        ["Type 0", "Hanako Sato 2", "hanako@example.com", "valid"],
        ["Type 1", "Hanako Sato 1", "hanako@example.com", "valid"],
    ]
    by_id = {int(r[0]): r for r in rows[1:]}
    assert by_id[pending.id][12:] == [""] * 7
    row = by_id[paid.id]
    assert row[1] == paid.public_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row[2])
    assert row[3:6] == ["paid", "Hanako Sato", "hanako@example.com"]
    assert row[6] == "'+819012345678"  # starts with +, so neutralised
    assert row[7] == "Type 0 x2; Type 1 x1"
    assert row[8:10] == ["14000", "JPY"]
    assert row[10] and row[11] == "no"
    assert by_id[pending.id][10] == ""

    resp, rows = _csv(client, world, status="payment_pending")
    assert [int(r[0]) for r in rows[1:]] == [pending.id]
    assert "payment_pending" in resp.headers["Content-Disposition"]
    _resp, rows = _csv(client, world, q="hanako")
    assert {int(r[0]) for r in rows[1:]} == {paid.id}


def test_search_finds_orders_by_attendee_and_ticket_code(client, world):
    buyer = make_order(world.types_a, {0: 1}, name="Buyer Person", email="b@ex.jp")
    other = make_order(world.types_a, {0: 1}, name="Someone Else", email="s@ex.jp")
    ticket = Ticket.query.filter_by(order_id=buyer.id).one()
    ticket.attendee_name = "Yuki Attendee"
    ticket.attendee_email = "yuki@guest.example"
    db.session.commit()
    login(client, world.alice)
    url = f"/organizer/events/{world.event_a.id}/orders"
    for q in ("yuki attendee", "GUEST.EXAMPLE", ticket.code.lower()):
        page = client.get(url, query_string={"q": q}).get_data(as_text=True)
        assert buyer.public_id in page, q
        assert other.public_id not in page, q
    _resp, rows = _csv(client, world, q=ticket.code)
    assert [r[14] for r in rows[1:]] == ["Yuki Attendee"]


def test_csv_neutralises_spreadsheet_formulas(client, world):
    evil = make_order(
        world.types_a,
        name='=HYPERLINK("http://evil.example","click")',
        email="@SUM(A1:A9)@example.com",
        phone="-2+3",
    )
    login(client, world.alice)
    _resp, rows = _csv(client, world)
    row = next(r for r in rows[1:] if int(r[0]) == evil.id)
    assert row[4] == '\'=HYPERLINK("http://evil.example","click")'
    assert row[5] == "'@SUM(A1:A9)@example.com"
    assert row[6] == "'-2+3"
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_safe_cell():
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+1") == "'+1"
    assert safe_cell("-1") == "'-1"
    assert safe_cell("@x") == "'@x"
    assert safe_cell("\t=x") == "'\t=x"
    assert safe_cell("plain = text") == "plain = text"
    assert safe_cell(3000) == "3000"
    assert safe_cell(None) == ""
