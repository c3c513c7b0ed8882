"""Fill a customer's cart through the JSON API, as the mobile client does."""

from __future__ import annotations


def fill_cart(api, *products):
    for product in products:
        resp = api.post(
            "/api/cart/items", json={"productId": product.id, "quantity": 1}
        )
        assert resp.status_code == 201, resp.get_json()
