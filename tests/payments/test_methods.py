"""Seed 003: payment methods validate an order (currency, amount limits, product
types, active flag); manual bank transfer waits on hold for an admin; paying an
order that is paid or cancelled is a 409 that creates no payment."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from app.library.models import ProductAccess
from app.orders.models import Order
from app.payments import methods
from app.payments.models import Payment, PaymentMethod
from app.services_errors import ServiceError
from tests.support import esewa
from tests.support.cart import fill_cart


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def checkout(api, gateway: str, **extra):
    return api.post("/api/orders/checkout", json={"gateway": gateway, **extra})


def method(db, code: str) -> PaymentMethod:
    return db.session.scalar(select(PaymentMethod).where(PaymentMethod.code == code))


def assert_refused(resp, db, code: str):
    assert resp.status_code == 400, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "PAYMENT_METHOD_NOT_ALLOWED"
    assert error["details"] == {"gateway": code}
    assert count(db, Order) == 0 and count(db, Payment) == 0
    return error


def test_konbini_over_its_limit_is_refused_and_not_offered(shop, db, factory):
    pricey = factory.product("course", price=30_000_001, currency="JPY")
    fill_cart(shop.api, pricey)
    error = assert_refused(checkout(shop.api, "komoju_konbini"), db, "komoju_konbini")
    assert "cannot take an order over" in error["message"]
    facts = methods.OrderFacts("JPY", 30_000_001, frozenset({"course"}))
    assert [m.code for m in methods.methods_for(facts)] == [
        "komoju_card",
        "bank_transfer",
    ]
    within = methods.OrderFacts("JPY", 30_000_000, frozenset({"course"}))
    assert "komoju_konbini" in [m.code for m in methods.methods_for(within)]


def test_a_method_for_another_currency_is_refused(shop, db):
    fill_cart(shop.api, shop.course)  # NPR
    for code in ("paysession", "komoju_card"):
        error = assert_refused(checkout(shop.api, code), db, code)
        assert "does not accept NPR" in error["message"]
    facts = methods.OrderFacts("NPR", 80000, frozenset({"course"}))
    assert [m.code for m in methods.methods_for(facts)] == ["esewa", "bank_transfer"]


def test_an_inactive_method_is_refused_and_not_offered(shop, db):
    method(db, "esewa").active = False
    db.session.commit()
    fill_cart(shop.api, shop.course)
    error = assert_refused(checkout(shop.api, "esewa"), db, "esewa")
    assert "not available" in error["message"]
    facts = methods.OrderFacts("NPR", 80000, frozenset({"course"}))
    assert [m.code for m in methods.methods_for(facts)] == ["bank_transfer"]


def test_order_page_lists_only_valid_methods(shop, db, live_url):
    fill_cart(shop.api, shop.course)
    init = checkout(shop.api, "esewa").get_json()["data"]
    order = db.session.get(Order, init["orderId"])
    page = requests.get(
        f"{live_url}/orders/{order.public_id}",
        params={"key": order.order_key},
        timeout=10,
    )
    assert page.status_code == 200
    assert 'value="esewa"' in page.text and 'value="bank_transfer"' in page.text
    assert 'value="paysession"' not in page.text
    assert 'value="komoju_konbini"' not in page.text


def test_minimum_amount_and_product_types(db, factory):
    factory.payment_methods()
    db.session.add(
        PaymentMethod(
            code="course_only",
            name="Course voucher",
            backend="manual",
            settings={
                "currencies": ["NPR"],
                "min_amount": 10000,
                "product_types": ["course"],
            },
        )
    )
    db.session.commit()
    voucher = method(db, "course_only")
    ok = methods.OrderFacts("NPR", 10000, frozenset({"course"}))
    assert methods.problem(voucher, ok) is None
    small = methods.OrderFacts("NPR", 9999, frozenset({"course"}))
    assert "at least" in methods.problem(voucher, small)
    mixed = methods.OrderFacts("NPR", 50000, frozenset({"course", "digital_book"}))
    assert "kinds of product" in methods.problem(voucher, mixed)
    with pytest.raises(ServiceError) as info:
        methods.check_method(voucher, mixed)
    assert info.value.status == 400 and info.value.code == "PAYMENT_METHOD_NOT_ALLOWED"


# --- manual bank transfer ----------------------------------------------------------


def test_manual_transfer_waits_on_hold_until_an_admin_confirms(
    shop, db, jobs, factory, smtp_sink
):
    from app.payments.manual_confirmation import confirm_manual_payment

    fill_cart(shop.api, shop.course)
    resp = checkout(shop.api, "bank_transfer")
    assert resp.status_code == 200, resp.get_json()
    init = resp.get_json()["data"]
    assert init["initiationType"] == "instructions"  # bank details (issue #14)
    order = db.session.get(Order, init["orderId"])
    assert order.status == "on_hold"
    jobs.run()
    db.session.rollback()
    assert order.status == "on_hold"  # nothing approves it on its own
    payment = db.session.get(Payment, init["paymentId"])
    assert payment.status == "authorized" and not payment.verified
    assert count(db, ProductAccess) == 0

    customer = shop.user
    with pytest.raises(ServiceError) as info:
        confirm_manual_payment(payment.id, customer)
    assert info.value.status == 403
    with pytest.raises(ServiceError) as info:
        confirm_manual_payment(999_999, factory.user(role="admin"))
    assert info.value.status == 404
    admin = factory.user(email="boss@example.com", role="admin")
    assert confirm_manual_payment(payment.id, admin) == "paid"
    db.session.commit()
    jobs.run()
    db.session.rollback()
    assert order.status == "paid"
    assert payment.status == "captured" and payment.verified
    assert count(db, ProductAccess) == 1
    assert confirm_manual_payment(payment.id, admin) == "already-final"
    db.session.commit()
    assert count(db, ProductAccess) == 1
    assert len(smtp_sink.to("buyer@example.com")) >= 1


def test_confirm_refuses_gateway_payments(shop, db, factory):
    from app.payments.manual_confirmation import confirm_manual_payment

    fill_cart(shop.api, shop.course)
    init = checkout(shop.api, "esewa").get_json()["data"]
    with pytest.raises(ServiceError) as info:
        confirm_manual_payment(init["paymentId"], factory.user(role="admin"))
    assert info.value.code == "NOT_A_MANUAL_PAYMENT"
    db.session.rollback()
    assert db.session.get(Payment, init["paymentId"]).status == "pending"


# --- 409: paid or cancelled orders take no new payment ------------------------------


def pay_again(live_url: str, order: Order, code: str = "esewa"):
    return requests.post(
        f"{live_url}/orders/{order.public_id}/pay",
        data={"key": order.order_key, "method": code},
        allow_redirects=False,
        timeout=10,
    )


def test_paying_a_paid_order_is_409_and_creates_no_payment(shop, db, jobs, live_url):
    from app.payments.handoff import initiate_payment

    fill_cart(shop.api, shop.course)
    init = checkout(shop.api, "esewa").get_json()["data"]
    requests.get(esewa.pay(live_url, init), allow_redirects=False, timeout=10)
    jobs.run()
    order = db.session.get(Order, init["orderId"])
    assert order.status == "paid"
    resp = pay_again(live_url, order)
    assert resp.status_code == 409
    with pytest.raises(ServiceError) as info:
        initiate_payment(order, method(db, "esewa"))
    assert info.value.status == 409 and info.value.code == "ORDER_NOT_PAYABLE"
    db.session.rollback()
    assert count(db, Payment) == 1


def test_paying_a_cancelled_order_is_409_and_creates_no_payment(shop, db, live_url):
    fill_cart(shop.api, shop.course)
    init = checkout(shop.api, "esewa").get_json()["data"]
    order = db.session.get(Order, init["orderId"])
    cancel = requests.post(
        f"{live_url}/orders/{order.public_id}/cancel",
        data={"key": order.order_key},
        allow_redirects=False,
        timeout=10,
    )
    assert cancel.status_code in (302, 303)
    db.session.rollback()
    assert order.status == "cancelled"
    resp = pay_again(live_url, order)
    assert resp.status_code == 409
    assert "cannot be paid again" in resp.text
    db.session.rollback()
    assert count(db, Payment) == 1
