"""Invoices issued when orders are paid: consecutive numbers, the PDF, credit
notes for refunds, corrected invoices for business buyers."""

from __future__ import annotations

import requests
from sqlalchemy import select

from app.db import utcnow
from app.invoicing.models import Invoice
from app.orders.models import Order
from app.payments.models import Payment
from app.tax.fiscal import fiscal_year, local_date
from tests.support import esewa
from tests.support.cart import fill_cart
from tests.support.concurrency import run_threads
from tests.support.factories import PASSWORD

ORDERS = 50


def buy(shop, live_url, jobs, db, *products) -> Order:
    fill_cart(shop.api, *products)
    init = shop.api.post("/api/orders/checkout", json={"gateway": "esewa"}).get_json()[
        "data"
    ]
    requests.get(esewa.pay(live_url, init), allow_redirects=False, timeout=10)
    jobs.run()
    db.session.rollback()
    order = db.session.get(Order, init["orderId"])
    assert order.status == "paid"
    return order


def invoices_of(db, order_id, kind="invoice"):
    return db.session.scalars(
        select(Invoice)
        .where(Invoice.order_id == order_id, Invoice.kind == kind)
        .order_by(Invoice.id)
    ).all()


def test_two_paid_orders_get_consecutive_numbers_and_pdfs(
    shop, live_url, jobs, db, smtp_sink
):
    first = buy(shop, live_url, jobs, db, shop.course)
    second = buy(shop, live_url, jobs, db, shop.book)
    (a,) = invoices_of(db, first.id)
    (b,) = invoices_of(db, second.id)
    assert (
        a.fiscal_year == b.fiscal_year == fiscal_year("NP", local_date("NP", utcnow()))
    )
    assert (a.number, b.number) == (1, 2)
    assert b.display_number == f"INV-{b.fiscal_year}-000002"
    for order in (first, second):
        resp = shop.api.get(f"/api/orders/{order.id}/invoice")
        assert resp.status_code == 200
        assert resp.mimetype == "application/pdf"
        assert resp.data.startswith(b"%PDF")
    # The receipt carries the PDF.
    mails = smtp_sink.to("buyer@example.com")
    assert any(
        part.get_content_type() == "application/pdf"
        for mail in mails
        for part in mail.iter_attachments()
    )


def test_invoice_is_the_owners_only(shop, live_url, jobs, db, factory, client):
    order = buy(shop, live_url, jobs, db, shop.course)
    from tests.support.api import ApiClient

    other = factory.user(email="other@example.com")
    stranger = ApiClient(client)
    stranger.login(other.email, PASSWORD)
    resp = stranger.get(f"/api/orders/{order.id}/invoice")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "ORDER_NOT_FOUND"
    assert client.get(f"/api/orders/{order.id + 999}/invoice").status_code == 404


def test_unpaid_order_has_no_invoice(shop, db):
    fill_cart(shop.api, shop.course)
    init = shop.api.post("/api/orders/checkout", json={"gateway": "esewa"}).get_json()[
        "data"
    ]
    resp = shop.api.get(f"/api/orders/{init['orderId']}/invoice")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "INVOICE_NOT_FOUND"


def test_fifty_orders_finalised_at_once_get_fifty_consecutive_numbers(app, db, factory):
    """Real concurrency: 50 workers confirm 50 payments at the same instant
    through the one finalisation path; each paying transaction takes its
    number from the locked counter row."""
    from app.extensions import db as _db
    from app.orders.services import LineItem, create_order
    from app.payments.finalise import verify_payment
    from tests.booklets.conftest import make_auto_approve

    factory.payment_methods()
    make_auto_approve()
    payments = []
    for n in range(ORDERS):
        order = create_order(
            kind="service",
            user_id=None,
            currency="NPR",
            items=[
                LineItem(title=f"Item {n}", product_type="service", unit_price=1000)
            ],
        )
        payment = Payment(
            order_id=order.id,
            gateway="manual",
            method="bank_transfer",
            amount=order.total,
            currency="NPR",
            status="pending",
        )
        db.session.add(payment)
        db.session.flush()
        payments.append(payment.id)
    db.session.commit()

    def finalise(i: int) -> str:
        with app.app_context():
            try:
                outcome = verify_payment(payments[i], "race")
                _db.session.commit()
                return outcome
            finally:
                _db.session.remove()

    assert run_threads(finalise, ORDERS) == ["paid"] * ORDERS
    db.session.rollback()
    numbers = sorted(
        db.session.scalars(select(Invoice.number).where(Invoice.kind == "invoice"))
    )
    assert numbers == list(range(1, ORDERS + 1))
    orders = set(db.session.scalars(select(Invoice.order_id)))
    assert len(orders) == ORDERS


def test_refund_issues_a_credit_note_for_the_refunded_lines(
    shop, live_url, jobs, db, nepal_vat
):
    from app.payments.refunds import record_refund

    order = buy(shop, live_url, jobs, db, shop.course, shop.book)
    (invoice,) = invoices_of(db, order.id)
    course_line = next(i for i in order.items if i.product_id == shop.course.id)
    record_refund(
        order.id, reference="ESEWA-REF-1", lines={course_line.id: 1}, reason="test"
    )
    db.session.commit()
    (note,) = invoices_of(db, order.id, "credit_note")
    assert note.original_id == invoice.id
    assert note.data["original"] == invoice.display_number
    assert note.display_number.startswith("CN-") and note.number == 1
    assert [line["title"] for line in note.data["lines"]] == [course_line.title]
    assert note.total == course_line.net_amount + course_line.tax_amount
    assert note.tax == course_line.tax_amount
    resp = shop.api.get(
        f"/orders/{order.public_id}/documents/{note.id}?key={order.order_key}"
    )
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")


def test_business_details_afterwards_issue_a_corrected_invoice(
    shop, live_url, jobs, db, nepal_vat
):
    order = buy(shop, live_url, jobs, db, shop.course)
    (first,) = invoices_of(db, order.id)
    bad = shop.api.post(
        f"/api/orders/{order.id}/business-details",
        json={"companyName": "Himal Traders", "registrationNumber": "12345"},
    )
    assert bad.status_code == 422
    assert bad.get_json()["error"]["code"] == "INVALID_REGISTRATION_NUMBER"
    resp = shop.api.post(
        f"/api/orders/{order.id}/business-details",
        json={"companyName": "Himal Traders", "registrationNumber": "987654321"},
    )
    assert resp.status_code == 200, resp.get_json()
    db.session.rollback()
    old, new = invoices_of(db, order.id)
    assert (old.id, old.status) == (first.id, "superseded")
    assert new.status == "issued" and new.original_id == old.id
    assert new.number == old.number + 1
    assert new.data["buyer"]["company"] == "Himal Traders"
    assert new.data["buyer"]["number"] == "987654321"
