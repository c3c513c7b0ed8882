"""Training pages: the training, the enrollment form, session content (blocked
until enrolled), my enrollments."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from app.orders.models import Order
from app.training.models import Enrollment
from tests.support.factories import PASSWORD
from tests.training.conftest import (
    add_cohort,
    body_for,
    count,
    enroll,
    pay_and_return,
    seats,
)


@pytest.fixture
def browser(training, client):
    """The fixture's customer, logged in through the login page."""
    resp = client.post(
        "/login", data={"email": training.user.email, "password": PASSWORD}
    )
    assert resp.status_code == 302
    return client


def form_for(t, **over) -> dict:
    data = {
        "cohort": str(t.cohort.id),
        "session": str(t.session.id),
        "name": "Sita Shrestha",
        "email": "sita@example.com",
        "phone": "+9779800000000",
        "promo_code": "",
        "method": "esewa",
    }
    data.update(over)
    return data


def session_url(t, session=None) -> str:
    session = session or t.session
    return f"/trainings/{t.product.slug}/sessions/{session.id}"


def test_training_page_shows_cohorts_seats_and_sessions(training, client):
    t = training
    html = client.get(f"/trainings/{t.product.slug}").get_data(as_text=True)
    assert "Cohort A" in html
    assert t.cohort.starts_on.isoformat() in html
    assert re.search(r'class="seats-left">5</strong> of 5 seats left', html)
    assert "Session 1" in html and session_url(t) in html
    assert f"/trainings/{t.product.slug}/enroll" in html
    product_page = client.get(f"/products/{t.product.slug}").get_data(as_text=True)
    assert f"/trainings/{t.product.slug}/enroll" in product_page


def test_enroll_page_needs_login(training, client):
    resp = client.get(f"/trainings/{training.product.slug}/enroll")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_enroll_form_is_prefilled_from_the_account(training, browser, factory):
    t = training
    html = browser.get(f"/trainings/{t.product.slug}/enroll").get_data(as_text=True)
    assert 'value="Sita Shrestha"' in html
    assert 'value="sita@example.com"' in html
    assert 'value="+9779800000000"' in html
    assert "Cohort A" in html and "Session 1" in html
    assert 'value="esewa"' in html


def test_enroll_form_hands_off_to_the_gateway(training, browser, db):
    t = training
    resp = browser.post(f"/trainings/{t.product.slug}/enroll", data=form_for(t))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    location = resp.headers["Location"]
    assert re.search(r"/payments/\d+/handoff\?key=", location)
    handoff = browser.get(location)
    assert handoff.status_code == 200
    assert "handoff-form" in handoff.get_data(as_text=True)
    db.session.rollback()
    enrollment = db.session.scalar(select(Enrollment))
    assert enrollment.status == "pending" and enrollment.session_id == t.session.id
    assert seats(t.cohort.id) == (0, 1)


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"phone": "call me"}, 400, "Digits with an optional leading +"),
        ({"email": "nope"}, 400, "Invalid email address"),
        ({"name": ""}, 400, "This field is required"),
        ({"promo_code": "NOPE"}, 400, "That promo code does not exist."),
        ({"method": "komoju_card"}, 400, "Not a valid choice"),
    ],
)
def test_enroll_form_errors_create_nothing(
    training, browser, db, change, status, message
):
    t = training
    resp = browser.post(
        f"/trainings/{t.product.slug}/enroll", data=form_for(t, **change)
    )
    assert resp.status_code == status
    assert message in resp.get_data(as_text=True)
    db.session.rollback()
    assert count(Order) == 0 and count(Enrollment) == 0
    assert seats(t.cohort.id) == (0, 0)


def test_enroll_form_session_of_another_cohort(training, browser, db):
    t = training
    _cohort_b, session_b = add_cohort(t.product)
    resp = browser.post(
        f"/trainings/{t.product.slug}/enroll",
        data=form_for(t, session=str(session_b.id)),
    )
    assert resp.status_code == 400
    assert "does not belong to the chosen cohort" in resp.get_data(as_text=True)
    assert count(Order) == 0


def test_enroll_form_full_cohort(training, browser, db):
    t = training
    t.cohort.capacity = 0
    db.session.commit()
    resp = browser.post(f"/trainings/{t.product.slug}/enroll", data=form_for(t))
    assert resp.status_code == 409
    assert "Cohort A is full" in resp.get_data(as_text=True)
    assert count(Order) == 0


def test_session_content_is_blocked_until_enrolled(
    training, browser, live_url, db, jobs
):
    t = training
    url = session_url(t)
    # Anonymous: log in. (Over HTTP: test-client requests share the test's app
    # context, and with it Flask-Login's cached user.)
    anon = requests.get(f"{live_url}{url}", timeout=10)
    assert anon.status_code == 403
    assert 'data-reason="anonymous"' in anon.text
    assert f"/login?next={url}" in anon.text
    assert "Secret session content" not in anon.text
    # Logged in, not enrolled: enroll.
    none = browser.get(url)
    assert none.status_code == 403
    assert f"/trainings/{t.product.slug}/enroll" in none.get_data(as_text=True)
    # Pending: finish your payment, with a link to the order.
    init = enroll(t.api, body_for(t)).get_json()["data"]
    order = db.session.get(Order, init["orderId"])
    pending = browser.get(url)
    html = pending.get_data(as_text=True)
    assert pending.status_code == 403
    assert "Finish your payment" in html
    assert f"/orders/{order.public_id}?key={order.order_key}" in html
    assert "Secret session content" not in html
    # Paid and finalised: the content opens.
    pay_and_return(live_url, init)
    jobs.run()
    opened = browser.get(url)
    assert opened.status_code == 200
    assert "Secret session content" in opened.get_data(as_text=True)
    # A session of another cohort stays closed.
    _cohort_b, session_b = add_cohort(t.product)
    other = browser.get(session_url(t, session_b))
    assert other.status_code == 403
    assert 'data-reason="other_cohort"' in other.get_data(as_text=True)
    # Anyone else still sees it blocked.
    assert requests.get(f"{live_url}{url}", timeout=10).status_code == 403


def test_unknown_session_is_404(training, browser):
    t = training
    assert browser.get(f"/trainings/{t.product.slug}/sessions/999999").status_code == (
        404
    )
    assert browser.get("/trainings/no-such-training").status_code == 404


def test_my_enrollments_page(training, browser, live_url, db, jobs):
    t = training
    empty = browser.get("/enrollments").get_data(as_text=True)
    assert "No enrollments yet" in empty
    init = enroll(t.api, body_for(t)).get_json()["data"]
    order = db.session.get(Order, init["orderId"])
    html = browser.get("/enrollments").get_data(as_text=True)
    assert 'data-status="pending"' in html and "Finish your payment" in html
    assert f"/orders/{order.public_id}?key={order.order_key}" in html
    pay_and_return(live_url, init)
    jobs.run()
    html = browser.get("/enrollments").get_data(as_text=True)
    assert 'data-status="enrolled"' in html
    assert "Access until" in html
    assert session_url(t) in html


def test_result_page_links_to_enrollments_for_training_orders(training, browser, db):
    t = training
    init = enroll(t.api, body_for(t)).get_json()["data"]
    order = db.session.get(Order, init["orderId"])
    html = browser.get(
        f"/payments/result/{order.public_id}?key={order.order_key}"
    ).get_data(as_text=True)
    assert 'id="enrollments-link"' in html and "/enrollments" in html


def test_enroll_link_for_a_cohort_preselects_it_and_its_session(training, browser):
    t = training
    cohort_b, session_b = add_cohort(t.product)
    html = browser.get(
        f"/trainings/{t.product.slug}/enroll?cohort={cohort_b.id}"
    ).get_data(as_text=True)
    assert re.search(rf'<option selected value="{cohort_b.id}">', html)
    assert re.search(rf'<option selected value="{session_b.id}">', html)
