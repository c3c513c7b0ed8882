"""Issue 7's 'done when', in a real browser (chromium) against the live server
with a real worker process: an admin sets up a training, an event and a booklet;
sees and re-drives a stuck outbox event; resolves a needs_refund order; ships a
booklet order that the customer follows to COMPLETED; and a buyer downloads a
purchased digital book while a stranger with the link after expiry cannot."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.admin.models import AuditLog
from app.catalog.models import Event, Product, TicketType, TrainingCohort
from app.orders.models import Order
from app.outbox.models import OutboxEvent
from tests.conftest import wait_for
from tests.e2e.conftest import login
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.browser

BOOK = b"%PDF-1.4\n% Data Handbook\n" + b"x" * 4096


@pytest.fixture
def people(factory):
    factory.payment_methods()

    class People:
        pass

    p = People()
    p.admin = factory.user(email="admin@example.com", name="Ada Admin", role="admin")
    p.buyer = factory.user(email="buyer@example.com", name="Sita Shrestha")
    p.organizer = factory.user(
        email="org@example.com", name="Olu Organizer", role="organizer"
    )
    return p


def as_user(browser, live_url, user):
    context = browser.new_context(base_url=live_url, accept_downloads=True)
    context.set_default_timeout(20000)
    page = context.new_page()
    login(page, user.email, PASSWORD)
    return page


def submit_model_form(page, fields: dict, selects: dict | None = None) -> None:
    for name, value in (selects or {}).items():
        page.select_option(f"select[name={name}]", value)
    for name, value in fields.items():
        page.fill(f"[name={name}]", value)
        page.keyboard.press("Escape")  # close any date picker
    page.mouse.click(5, 5)
    page.click("input[type=submit][value=Save]")
    page.wait_for_selector(".alert-success")


def test_admin_sets_up_training_event_and_booklet(browser, live_url, people, db):
    page = as_user(browser, live_url, people.admin)
    page.goto("/admin/")
    assert "Back office" in page.inner_text("body")
    soon = dt.date.today() + dt.timedelta(days=30)

    page.goto("/admin/products/new/")
    submit_model_form(
        page,
        {
            "slug": "flask-week",
            "title": "Flask in a week",
            "price": "250000",
            "currency": "NPR",
            "validity_days": "120",
        },
        {"type": "training"},
    )
    db.session.rollback()
    training = db.session.scalar(select(Product).where(Product.slug == "flask-week"))
    page.goto("/admin/cohorts/new/")
    submit_model_form(
        page,
        {
            "name": "May cohort",
            "capacity": "12",
            "starts_on": soon.isoformat(),
            "ends_on": (soon + dt.timedelta(days=5)).isoformat(),
        },
        {"product_id": str(training.id)},
    )
    db.session.rollback()
    cohort = db.session.scalar(select(TrainingCohort))
    page.goto("/admin/sessions/new/")
    submit_model_form(
        page,
        {"title": "Day 1", "starts_at": f"{soon.isoformat()} 09:00:00"},
        {"cohort_id": str(cohort.id)},
    )
    page.goto("/admin/events_admin/new/")
    submit_model_form(
        page,
        {
            "slug": "pycon",
            "title": "PyCon Kathmandu",
            "venue": "Hall A",
            "starts_at": f"{soon.isoformat()} 10:00:00",
            "ends_at": f"{soon.isoformat()} 18:00:00",
            "currency": "JPY",
        },
        {"organizer_id": str(people.organizer.id)},
    )
    db.session.rollback()
    event = db.session.scalar(select(Event))
    page.goto("/admin/ticket_types/new/")
    submit_model_form(
        page,
        {"name": "General", "price": "3000", "quantity_total": "100"},
        {"event_id": str(event.id)},
    )
    page.goto("/admin/products/new/")
    submit_model_form(
        page,
        {
            "slug": "field-guide",
            "title": "Field Guide",
            "price": "45000",
            "currency": "NPR",
            "stock": "40",
        },
        {"type": "booklet"},
    )
    db.session.rollback()
    assert db.session.scalar(select(TicketType)).quantity_total == 100
    assert (
        db.session.scalar(select(Product).where(Product.slug == "field-guide")).stock
        == 40
    )

    # Shoppers see all three.
    shopper = page.context.browser.new_page(base_url=live_url)
    shopper.goto("/")
    catalog = shopper.inner_text("main")
    assert "Flask in a week" in catalog and "Field Guide" in catalog
    shopper.goto("/products/field-guide")
    assert "40 copies in stock" in shopper.inner_text("#booklet-buy")
    shopper.goto("/events")
    assert "PyCon Kathmandu" in shopper.inner_text("main")
    shopper.close()

    # Every step is in the audit log, visible in the back office.
    page.goto("/admin/audit_log/")
    log = page.inner_text("body")
    assert log.count("create") >= 6
    db.session.rollback()
    assert {a.user_id for a in db.session.scalars(select(AuditLog))} == {
        people.admin.id
    }


def test_admin_redrives_a_stuck_outbox_event(browser, live_url, people, db, worker):
    stuck = OutboxEvent(
        topic="orders_maintenance.cleanup_outbox",
        payload={},
        status="failed",
        attempts=5,
        last_error="OperationalError: the database went away",
    )
    db.session.add(stuck)
    db.session.commit()
    page = as_user(browser, live_url, people.admin)
    page.goto("/admin/")
    assert page.inner_text("[data-count=outbox_failed]") == "1"
    page.click("[data-count=outbox_failed]")
    page.wait_for_url("**/admin/outbox/")
    assert "the database went away" in page.inner_text("body")
    page.click(".redrive-button")
    page.wait_for_selector(".alert-success")
    assert f"Outbox event {stuck.id} re-driven" in page.inner_text(".alert-success")

    def done():
        db.session.rollback()
        return db.session.get(OutboxEvent, stuck.id).status == "completed"

    wait_for(done, timeout=30)  # the real worker ran it
    page.reload()
    assert "the database went away" not in page.inner_text("body")
    db.session.rollback()
    assert db.session.scalar(select(AuditLog)).action == "outbox.redrive"


def seed_status(page) -> str:
    return page.get_attribute("#shipping-progress", "data-seed-status")


def test_booklet_order_shipped_and_followed_to_completed(
    browser, live_url, people, db, worker, factory, smtp_sink
):
    booklet = factory.product(
        "booklet", price=45000, title="Field Guide", validity_days=None, stock=3
    )
    buyer = as_user(browser, live_url, people.buyer)
    buyer.goto(f"/products/{booklet.slug}")
    buyer.click("#booklet-buy-link")
    buyer.fill("input[name=quantity]", "2")
    buyer.fill("input[name=line1]", "Thamel Marg 12")
    buyer.fill("input[name=city]", "Kathmandu")
    buyer.fill("input[name=postcode]", "44600")
    buyer.fill("input[name=country]", "Nepal")
    buyer.check("input[value=esewa]")
    buyer.click("#booklet-buy-submit")
    buyer.wait_for_selector("#esewa-pay")
    buyer.click("#esewa-pay")
    buyer.wait_for_url("**/payments/result/**")
    buyer.wait_for_selector("#result[data-status=paid]", timeout=30000)
    db.session.rollback()
    order = db.session.scalar(select(Order))
    assert db.session.get(Product, booklet.id).stock == 1
    order_path = f"/orders/{order.public_id}"
    buyer.goto(order_path)
    assert seed_status(buyer) == "PROCESSING"

    admin = as_user(browser, live_url, people.admin)
    admin.goto("/admin/shipping/")
    row = f"tr[data-order-id='{order.id}']"
    assert "Thamel Marg 12" in admin.inner_text(row)
    admin.fill(f"{row} input[name=carrier]", "Nepal Post")
    admin.fill(f"{row} input[name=tracking_number]", "NP123456")
    admin.click(f"{row} .ship-button")
    admin.wait_for_selector(".alert-success")
    buyer.goto(order_path)
    assert seed_status(buyer) == "SHIPPED"
    assert "NP123456" in buyer.inner_text("#tracking")
    mail = wait_for(
        lambda: [
            m for m in smtp_sink.to(people.buyer.email) if "on its way" in m["Subject"]
        ],
        timeout=30,
    )
    assert "NP123456" in mail[0].get_body(("plain",)).get_content()

    admin.click(f"{row} .deliver-button")
    admin.wait_for_selector(".alert-success")
    buyer.goto(order_path)
    assert seed_status(buyer) == "DELIVERED"
    admin.click(f"{row} .complete-button")
    admin.wait_for_selector(".alert-success")
    buyer.goto(order_path)
    assert seed_status(buyer) == "COMPLETED"
    steps = buyer.locator("#shipping-progress [data-step]")
    assert steps.all_inner_texts()[0].startswith("NEW")
    assert buyer.get_attribute("[data-step=COMPLETED]", "data-state") == "current"
    assert buyer.get_attribute("[data-step=SHIPPED]", "data-state") == "done"
    # Completed orders leave the open shipping list.
    admin.goto("/admin/shipping/")
    assert admin.locator(row).count() == 0


def test_admin_resolves_a_needs_refund_order(browser, live_url, people, db, factory):
    from app.orders.services import LineItem, create_order
    from app.payments import methods
    from app.payments.finalise import verify_payment
    from app.payments.handoff import initiate_payment
    from tests.booklets.conftest import make_auto_approve

    make_auto_approve()
    booklet = factory.product("booklet", price=45000, title="Field Guide", stock=0)
    order = create_order(
        kind="booklet",
        user_id=people.buyer.id,
        currency="NPR",
        items=[
            LineItem(
                title=booklet.title,
                product_type="booklet",
                unit_price=booklet.price,
                product_id=booklet.id,
            )
        ],
        customer_email=people.buyer.email,
        shipping_address={"name": "Sita", "line1": "x", "city": "y"},
    )
    payment = initiate_payment(order, methods.resolve_method("bank_transfer"))
    db.session.commit()
    assert verify_payment(payment.id, "test") == "paid-needs-refund"
    db.session.commit()

    page = as_user(browser, live_url, people.admin)
    page.goto("/admin/")
    page.click("[data-count=needs_refund]")
    card = f"[data-order-id='{order.id}']"
    assert "sold out" in page.inner_text(card)
    page.select_option(f"{card} select[name=how]", "by_hand")
    page.fill(f"{card} input[name=reason]", "Refunded by bank transfer")
    page.click(f"{card} .resolve-button")
    page.wait_for_selector("#no-refunds")
    db.session.rollback()
    order = db.session.get(Order, order.id)
    assert order.status == "refunded" and not order.needs_refund
    buyer = as_user(browser, live_url, people.buyer)
    buyer.goto(f"/orders/{order.public_id}")
    assert seed_status(buyer) == "REFUNDED"


def test_buyer_downloads_and_stranger_cannot_after_expiry(
    browser, live_url, people, db, factory, app, tmp_path
):
    from tests.booklets.conftest import make_auto_approve
    from tests.downloads.test_downloads import buy

    make_auto_approve()
    book = factory.product("digital_book", price=50000, title="Data Handbook")
    upload = tmp_path / "handbook.pdf"
    upload.write_bytes(BOOK)
    admin = as_user(browser, live_url, people.admin)
    admin.goto("/admin/bookfiles/")
    row = f"tr[data-product-id='{book.id}']"
    admin.set_input_files(f"{row} input[type=file]", str(upload))
    admin.click(f"{row} .upload-button")
    admin.wait_for_selector(".alert-success")
    assert admin.inner_text(f"{row} .file-name") == "handbook.pdf"

    db.session.rollback()  # drop the read snapshot before writing
    buy(people.buyer, book)
    buyer = as_user(browser, live_url, people.buyer)
    buyer.goto("/library")
    buyer.click(f"[data-download='{book.id}']")
    with buyer.expect_download() as download:
        buyer.click("#download-link")
    assert download.value.suggested_filename == "handbook.pdf"
    assert Path(download.value.path()).read_bytes() == BOOK

    app.config["DOWNLOAD_LINK_SECONDS"] = 2
    try:
        buyer.goto("/library")
        buyer.click(f"[data-download='{book.id}']")
        link = buyer.get_attribute("#download-link", "href")
        stranger_context = browser.new_context(base_url=live_url)
        stranger = stranger_context.new_page()
        time.sleep(3.2)
        response = stranger.goto(link)
        assert response.status == 403
        assert "expired" in stranger.inner_text("main")
        stranger_context.close()
    finally:
        app.config.pop("DOWNLOAD_LINK_SECONDS", None)
