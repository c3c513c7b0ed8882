"""Issue #13 finding 3: a ticket quantity in another script's digits (`²`, `١`,
full-width `３`) is a clear 400 on the event page, never a 500."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from app.orders.models import Order
from tests.events.conftest import post_ticket_form, ticket_form


@pytest.mark.parametrize("quantity", ["²", "١", "３", "1_0", "+1", " 1 0", "𝟙"])
def test_odd_digits_in_the_quantity_are_refused(shop, live_url, db, quantity):
    form = {**ticket_form([(shop.general, 1)]), f"qty-{shop.general.id}": quantity}
    resp = post_ticket_form(requests.Session(), live_url, shop.event.id, form)
    assert resp.status_code == 400, (quantity, resp.status_code)
    assert "check the tickets" in resp.text.lower()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
