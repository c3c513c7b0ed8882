"""Order checkout by order key (seed 003): whoever holds the key can open and pay
the order without logging in; a wrong key reveals nothing."""

from __future__ import annotations

import requests
from sqlalchemy import select

from app.admin.models import AuditLog
from app.orders.models import Order
from tests.booklets.conftest import ADDRESS, latest_order, login, new_client
from tests.support import esewa
from tests.support.keys import near_miss


def GET(url: str, **kw) -> requests.Response:  # noqa: N802
    return requests.get(url, timeout=10, **kw)


def POST(url: str, **kw) -> requests.Response:  # noqa: N802
    return requests.post(url, timeout=10, **kw)


def admin_creates_order(shop, app, **extra) -> Order:
    admin = new_client(app)
    login(admin, shop.admin)
    data = {
        "product_id": str(shop.booklet.id),
        "quantity": "2",
        "name": "Hari Guest",
        "email": "hari@example.com",
        **{f"ship_{k}": v for k, v in ADDRESS.items()},
        **extra,
    }
    page = admin.post("/admin/create_order/", data=data).get_data(as_text=True)
    assert 'id="order-key-link"' in page, page[-2000:]
    order = latest_order()
    assert order.order_key in page
    return order


def test_guest_pays_an_order_an_admin_created(shop, app, db, live_url, jobs):
    order = admin_creates_order(shop, app)
    assert order.user_id is None and order.kind == "booklet"
    assert order.customer_email == "hari@example.com" and order.total == 90000
    entry = db.session.scalar(select(AuditLog))
    assert entry.action == "order.create_for_customer"
    assert entry.target == f"Order#{order.id}"
    guest = requests.Session()  # a browser that never logged in
    page = guest.get(
        f"{live_url}/orders/{order.public_id}",
        params={"key": order.order_key},
        timeout=10,
    )
    assert page.status_code == 200 and 'id="pay-again"' in page.text
    resp = guest.post(
        f"{live_url}/orders/{order.public_id}/pay",
        data={"key": order.order_key, "method": "esewa"},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302 and "/handoff" in resp.headers["Location"]
    db.session.rollback()
    payment = db.session.get(Order, order.id).payments[0]
    from app.payments.handoff import init_response

    url = esewa.pay(live_url, init_response(payment.order, payment))
    GET(url, allow_redirects=False)
    jobs.run()
    order = db.session.get(Order, order.id)
    assert order.status == "paid" and order.fulfilment_status == "processing"
    page = guest.get(
        f"{live_url}/orders/{order.public_id}",
        params={"key": order.order_key},
        timeout=10,
    )
    assert 'data-seed-status="PROCESSING"' in page.text


def test_wrong_key_is_the_same_404_as_a_missing_order(shop, app, live_url):
    order = admin_creates_order(shop, app)
    wrong = GET(f"{live_url}/orders/{order.public_id}", params={"key": "x" * 43})
    missing = GET(f"{live_url}/orders/ord_0000000000000000", params={"key": "x" * 43})
    nokey = GET(f"{live_url}/orders/{order.public_id}")
    assert wrong.status_code == missing.status_code == nokey.status_code == 404
    assert wrong.text == missing.text == nokey.text
    assert order.public_id not in wrong.text
    pay = POST(
        f"{live_url}/orders/{order.public_id}/pay",
        data={"key": near_miss(order.order_key), "method": "esewa"},
    )
    assert pay.status_code == 404
    api_wrong = POST(
        f"{live_url}/api/orders/{order.public_id}/checkout",
        json={"key": "nope", "gateway": "esewa"},
    )
    api_missing = POST(
        f"{live_url}/api/orders/ord_0000000000000000/checkout",
        json={"key": "nope", "gateway": "esewa"},
    )
    assert api_wrong.status_code == api_missing.status_code == 404
    assert api_wrong.json() == api_missing.json()
    # Another customer's login does not open it either.
    other = new_client(app)
    login(other, shop.customer)
    assert other.get(f"/orders/{order.public_id}").status_code == 404


def test_key_is_unguessable(shop, app):
    order = admin_creates_order(shop, app)
    assert len(order.order_key) >= 43  # 32 random bytes, URL-safe


def test_api_checkout_by_key_direct_method_answers_order_key(shop, app, live_url, db):
    order = admin_creates_order(shop, app)
    resp = POST(
        f"{live_url}/api/orders/{order.public_id}/checkout",
        json={"key": order.order_key, "gateway": "bank_transfer"},
    )
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    # A bank transfer (issue #14) adds how to pay to the order key response.
    assert data == {
        "orderId": order.id,
        "publicId": order.public_id,
        "orderKey": order.order_key,
        "status": "on_hold",
        "paymentId": data["paymentId"],
        "initiationType": "instructions",
        "orderUrl": f"{live_url}/orders/{order.public_id}?key={order.order_key}",
        "instructions": data["instructions"],
    }
    assert set(data["instructions"]) == {
        "bankName",
        "accountName",
        "accountNumber",
        "reference",
        "amount",
        "deadline",
    }
    # Paying twice is refused (seed 003: order status conflicts prevent
    # duplicate payments).
    again = POST(
        f"{live_url}/api/orders/{order.public_id}/checkout",
        json={"key": order.order_key, "gateway": "esewa"},
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ORDER_NOT_PAYABLE"


def test_pay_again_after_failure_with_the_key(shop, app, live_url, db, jobs):
    order = admin_creates_order(shop, app)
    first = POST(
        f"{live_url}/api/orders/{order.public_id}/checkout",
        json={"key": order.order_key, "gateway": "esewa"},
    ).json()["data"]
    assert first["initiationType"] == "form_post" and first["orderKey"]
    url = esewa.pay(live_url, first, "failure")
    esewa.remember_failure(live_url, first)
    GET(url, allow_redirects=False)
    jobs.run()
    assert db.session.get(Order, order.id).status == "failed"
    second = POST(
        f"{live_url}/api/orders/{order.public_id}/checkout",
        json={"key": order.order_key, "gateway": "esewa"},
    ).json()["data"]
    assert second["paymentId"] != first["paymentId"]
    url = esewa.pay(live_url, second, "success")
    GET(url, allow_redirects=False)
    jobs.run()
    assert db.session.get(Order, order.id).status == "paid"


def test_admin_order_for_digital_goods_needs_an_account(shop, app, db, factory):
    book = factory.product("digital_book", price=50000, title="Data Handbook")
    admin = new_client(app)
    login(admin, shop.admin)
    page = admin.post(
        "/admin/create_order/",
        data={"product_id": str(book.id), "quantity": "1", "email": "nobody@x.com"},
    ).get_data(as_text=True)
    assert "ask them to register first" in page
    page = admin.post(
        "/admin/create_order/",
        data={
            "product_id": str(book.id),
            "quantity": "1",
            "email": shop.customer.email,
        },
    ).get_data(as_text=True)
    assert 'id="order-key-link"' in page
    order = latest_order()
    assert order.user_id == shop.customer.id and order.kind == "cart"
