"""Issue #15's "done when", in Chromium with a real worker and a real SMTP sink:
a visitor fills the cart on the demo data, logs in and finds it there, pays in
the eSewa sandbox, downloads the demo book; a password reset by email works and
ends the old session. And checkout works from the keyboard alone."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.cli import seed_demo_data

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
CUSTOMER = "customer@example.com"
LINK = re.compile(r"https?://\S+/password/reset/\S+")


def on(path: str):
    """A URL matcher for exactly this path (`/login?next=/cart` is not /cart)."""
    return lambda url: urlsplit(url).path == path


def wait_for_mail(smtp_sink, to: str, subject_part: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in smtp_sink.to(to):
            if subject_part in str(message["Subject"]):
                return message
        time.sleep(0.2)
    raise AssertionError(f"no '{subject_part}' email for {to}: {smtp_sink.subjects()}")


def test_visitor_to_buyer_to_reader_and_a_reset_that_ends_the_old_session(
    browser, live_url, app, worker, smtp_sink
):
    seed_demo_data()
    shopper = browser.new_context(base_url=live_url, viewport=PHONE)
    shopper.set_default_timeout(20000)
    page = shopper.new_page()

    # A visitor fills the cart: no account yet, no detour through a login page.
    for slug in ("python-basics", "data-handbook"):
        page.goto(f"/products/{slug}")
        page.get_by_role("button", name="Add to cart").click()
        page.wait_for_url(on("/cart"))
    assert page.locator("[data-cart-item]").count() == 2
    assert page.get_attribute("#nav-cart [data-cart-count]", "data-cart-count") == "2"

    # Logging in brings the shopper back to the cart, with both items in it.
    page.click("#login-to-pay")
    page.fill("input[name=email]", CUSTOMER)
    page.fill("input[name=password]", "demo-pass-123")
    page.click("#content button[type=submit]")
    page.wait_for_url(on("/cart"))
    text = page.inner_text("#content")
    assert "Python Basics" in text and "The Data Handbook (PDF)" in text

    # Pay in the eSewa sandbox; the worker confirms it.
    page.check("input[value=esewa]")
    page.click("#checkout-submit")
    page.wait_for_selector("#esewa-pay")
    page.click("#esewa-pay")
    page.wait_for_url("**/payments/result/**")
    page.wait_for_selector("#result[data-status=paid]", timeout=30000)

    # The demo book is a real PDF in the library.
    page.click("#library-link")
    page.wait_for_url(on("/library"))
    page.click("[data-download]")
    with page.expect_download() as download:
        page.click("#download-link")
    path = download.value.path()
    assert Path(path).read_bytes()[:5] == b"%PDF-"
    assert download.value.suggested_filename == "data-handbook.pdf"

    # Another browser asks for a password reset by email and uses the link.
    other = browser.new_context(base_url=live_url, viewport=PHONE)
    other.set_default_timeout(20000)
    reset = other.new_page()
    reset.goto("/login")
    reset.click("#forgot-link")
    reset.fill("input[name=email]", CUSTOMER)
    reset.click("#forgot-form button[type=submit]")
    reset.wait_for_selector("#forgot-sent")
    mail = wait_for_mail(smtp_sink, CUSTOMER, "new password")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    reset.goto(LINK.search(body).group(0))
    reset.fill("input[name=password]", "a-brand-new-pass-1")
    reset.fill("input[name=confirm]", "a-brand-new-pass-1")
    reset.click("#reset-form button[type=submit]")
    reset.wait_for_url(on("/login"))
    reset.fill("input[name=email]", CUSTOMER)
    reset.fill("input[name=password]", "a-brand-new-pass-1")
    reset.click("#content button[type=submit]")
    reset.wait_for_url(f"{live_url}/")

    # The shopper's old session is over; the link works only once.
    page.goto("/account")
    assert "/login" in page.url
    reset.goto(LINK.search(body).group(0))
    assert reset.locator("#reset-invalid").count() == 1
    other.close()
    shopper.close()


def test_checkout_from_the_keyboard_alone(browser, live_url, app, worker):
    seed_demo_data()
    context = browser.new_context(base_url=live_url)
    context.set_default_timeout(20000)
    page = context.new_page()
    page.goto("/products/python-basics")
    page.get_by_role("button", name="Add to cart").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(on("/cart"))
    page.goto("/login?next=/cart")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.focus("input[name=email]")
    page.keyboard.type(CUSTOMER)
    page.keyboard.press("Tab")
    page.keyboard.type("demo-pass-123")
    page.keyboard.press("Enter")
    page.wait_for_url(on("/cart"))
    for _ in range(60):  # Tab through the page to the pay button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "checkout-submit":
            break
    else:
        raise AssertionError("the pay button is not reachable with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")  # focus is visible
    page.keyboard.press("Enter")
    page.wait_for_selector("#esewa-pay")
    page.focus("#esewa-pay")
    page.keyboard.press("Enter")
    page.wait_for_url("**/payments/result/**")
    page.wait_for_selector("#result[data-status=paid]", timeout=30000)
    context.close()
