"""Issue 4's 'done when', in a real browser: a new user enrolls in a training,
pays in the eSewa sandbox, watches the result page turn to paid, and opens the
session content that was blocked before (a real worker process finalises)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_new_user_enrolls_pays_and_opens_the_session(page, factory, worker, db):
    factory.payment_methods()
    product, cohort, session = factory.training(capacity=5)
    session_path = f"/trainings/{product.slug}/sessions/{session.id}"

    page.goto("/register")
    page.fill("input[name=name]", "Sita Shrestha")
    page.fill("input[name=email]", "sita@example.com")
    page.fill("input[name=phone]", "+9779800000000")
    page.fill("input[name=password]", "long-enough-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/")

    # Before enrolling the session is blocked, with a way to enroll.
    response = page.goto(session_path)
    assert response.status == 403
    assert page.get_attribute("#session-blocked", "data-reason") == "none"
    assert "Secret session content" not in page.inner_text("main")

    # The training page: cohorts with dates and seats left, and the sessions.
    page.goto(f"/trainings/{product.slug}")
    assert "5 of 5 seats left" in page.inner_text(f"[data-cohort-id='{cohort.id}']")
    assert "Session 1" in page.inner_text("#cohorts")
    page.click("#enroll-link")
    page.wait_for_url(f"**/trainings/{product.slug}/enroll")

    # The form is prefilled from the account.
    assert page.input_value("input[name=name]") == "Sita Shrestha"
    assert page.input_value("input[name=email]") == "sita@example.com"
    assert page.input_value("input[name=phone]") == "+9779800000000"
    page.select_option("select[name=cohort]", str(cohort.id))
    page.select_option("select[name=session]", str(session.id))
    page.check("input[value=esewa]")
    page.click("#enroll-submit")

    # The hand-off page submits itself to the eSewa sandbox.
    page.wait_for_selector("#esewa-pay")
    assert "NPR 2500.00" in page.inner_text("#esewa-total")

    # Meanwhile (another tab) the content says: finish your payment.
    other = page.context.new_page()
    blocked = other.goto(session_path)
    assert blocked.status == 403
    assert other.get_attribute("#session-blocked", "data-reason") == "pending"
    assert other.is_visible("#finish-payment")
    other.close()

    page.click("#esewa-pay")
    page.wait_for_url("**/payments/result/**")
    page.wait_for_selector("#result[data-status=paid]", timeout=30000)
    assert page.inner_text("#order-status") == "enrolled"

    page.click("#enrollments-link")
    page.wait_for_url("**/enrollments")
    card = page.locator(".enrollment").first
    assert card.get_attribute("data-status") == "enrolled"
    assert "Access until" in card.inner_text()

    page.click(f"a[href='{session_path}']")
    page.wait_for_url(f"**{session_path}")
    assert "Secret session content" in page.inner_text("#session-content")
