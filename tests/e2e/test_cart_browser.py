"""Issue 3's 'done when', in a real browser: register, fill the cart, pay in the
eSewa sandbox, watch the result page turn to paid, find both items in the library."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_new_user_buys_two_items_with_esewa(page, factory, worker, db):
    factory.payment_methods()
    course = factory.product("course", price=80000, title="Python Basics")
    book = factory.product("digital_book", price=50000, title="Data Handbook")

    page.goto("/register")
    page.fill("input[name=name]", "Sita Shrestha")
    page.fill("input[name=email]", "sita@example.com")
    page.fill("input[name=phone]", "+9779800000000")
    page.fill("input[name=password]", "long-enough-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/")

    for product in (course, book):
        page.goto(f"/products/{product.slug}")
        page.click("text=Add to cart")
        page.wait_for_url("**/cart")
    assert page.locator("[data-cart-item]").count() == 2
    assert "NPR 1,300.00" in page.inner_text("[data-testid=subtotal]")

    page.check("input[value=esewa]")
    page.click("#checkout-submit")
    # The hand-off page submits itself to the eSewa sandbox.
    page.wait_for_selector("#esewa-pay")
    page.click("#esewa-pay")
    page.wait_for_url("**/payments/result/**")
    page.wait_for_selector("#result[data-status=paid]", timeout=30000)
    assert "paid" in page.inner_text("#order-status")

    page.click("#library-link")
    page.wait_for_url("**/library")
    text = page.inner_text("main")
    assert "Python Basics" in text and "Data Handbook" in text
