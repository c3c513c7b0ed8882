"""Issue #13 finding 3: the order search (page and CSV) reads only ASCII digits
as an order number; other scripts' digits are searched as text, never a 500."""

from __future__ import annotations

import pytest

from tests.organizer.conftest import login, make_order


@pytest.mark.parametrize("q", ["²", "#²", "١٢", "#３", "1_0", "+1"])
def test_unicode_digits_in_the_search_are_plain_text(client, world, q):
    make_order(world.types_a)
    login(client, world.alice)
    for suffix in ("orders", "orders.csv"):
        url = f"/organizer/events/{world.event_a.id}/{suffix}"
        resp = client.get(url, query_string={"q": q})
        assert resp.status_code == 200, (suffix, q)
        assert 'data-order-id="' not in resp.get_data(as_text=True)


def test_an_ascii_order_number_still_finds_the_order(client, world):
    order = make_order(world.types_a)
    login(client, world.alice)
    url = f"/organizer/events/{world.event_a.id}/orders"
    body = client.get(url, query_string={"q": f"#{order.id}"}).get_data(as_text=True)
    assert f'data-order-id="{order.id}"' in body
