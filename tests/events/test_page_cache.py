"""Cached catalog pages (app/page_cache.py) never show a stale price or seat
count: a purchase, or a staff edit, changes the next page view, and a browser
revalidating an unchanged page gets a 304."""

from __future__ import annotations

import re

from sqlalchemy import update

from app.catalog.models import Product
from tests.events.conftest import init


def seats_left(page: str, ticket_name: str) -> int:
    match = re.search(rf"{ticket_name}: [^<]*?· (\d+) left", page)
    assert match, page
    return int(match.group(1))


def test_seats_left_on_cached_pages_follow_a_purchase(shop, client):
    assert seats_left(client.get("/events").text, shop.general.name) == 100
    assert seats_left(client.get("/events").text, shop.general.name) == 100  # cached

    init(shop, [(shop.general, 2)])  # the checkout holds two tickets

    assert seats_left(client.get("/events").text, shop.general.name) == 98


def test_price_edit_shows_on_the_next_catalog_and_product_view(factory, client, db):
    course = factory.product("course", price=80000)
    assert "NPR 800.00" in client.get("/").text
    assert "NPR 800.00" in client.get(f"/products/{course.slug}").text
    db.session.execute(
        update(Product).where(Product.id == course.id).values(price=95000)
    )
    db.session.commit()
    assert "NPR 950.00" in client.get("/").text
    page = client.get(f"/products/{course.slug}").text
    assert "NPR 950.00" in page and "NPR 800.00" not in page


def test_unchanged_page_revalidates_with_304_until_the_catalog_changes(shop, client):
    client.get("/events")  # the first view starts the session (CSRF token)
    first = client.get("/events")
    assert first.status_code == 200 and first.headers["ETag"]
    assert first.headers["Last-Modified"]
    tag = first.headers["ETag"]
    again = client.get("/events", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""

    init(shop, [(shop.vip, 1)])

    changed = client.get("/events", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert seats_left(changed.text, shop.vip.name) == 9
