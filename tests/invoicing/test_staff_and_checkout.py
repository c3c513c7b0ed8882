"""Staff: the shop's tax settings and every invoice; buyers: tax in the cart,
business details at checkout, the invoice in the order's language."""

from __future__ import annotations

import csv
import io
import zipfile

import requests
from sqlalchemy import select

from app.invoicing.models import Invoice
from app.invoicing.pdf import document_html
from app.orders.models import Order
from app.tax.sellers import config_for
from tests.organizer.conftest import login
from tests.support import esewa
from tests.support.cart import fill_cart


def paid(shop, live_url, jobs, db, **body) -> Order:
    fill_cart(shop.api, shop.course)
    resp = shop.api.post("/api/orders/checkout", json={"gateway": "esewa", **body})
    assert resp.status_code == 200, resp.get_json()
    init = resp.get_json()["data"]
    requests.get(esewa.pay(live_url, init), allow_redirects=False, timeout=10)
    jobs.run()
    db.session.rollback()
    return db.session.get(Order, init["orderId"])


def test_staff_set_the_shop_tax_and_see_every_invoice(
    shop, live_url, jobs, db, client, factory
):
    admin = factory.user(email="admin@example.com", role="admin")
    login(client, admin)
    form = {
        "country": "NP",
        "registered": "y",
        "legal_name": "Storefront Pvt. Ltd.",
        "address": "Kathmandu",
        "registration_number": "12345678",
        "prices_include_tax": "y",
        "invoice_prefix": "SF",
    }
    refused = client.post("/admin/tax/", data=form)
    assert refused.status_code == 200 and config_for("shop") is None
    form["registration_number"] = "123456789"
    saved = client.post("/admin/tax/", data=form)
    assert saved.status_code == 302, saved.text[saved.text.find("error") - 300 :][:900]
    db.session.rollback()
    assert config_for("shop").standard_rate == 1300
    order = paid(shop, live_url, jobs, db)
    assert order.tax_total == 9204  # 800.00 × 13/113, half up
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    assert invoice.display_number.startswith("SF-")
    listing = client.get("/admin/invoices/?q=" + order.public_id)
    assert listing.status_code == 200 and invoice.display_number in listing.text
    assert client.get(f"/admin/invoices/{invoice.id}/pdf").data.startswith(b"%PDF")
    rows = list(
        csv.DictReader(io.StringIO(client.get("/admin/invoices/export.csv").text))
    )
    assert [(r["tax_rate_percent"], r["taxable_value"], r["tax"]) for r in rows] == [
        ("13", "707.96", "92.04")
    ]
    names = zipfile.ZipFile(
        io.BytesIO(client.get("/admin/invoices/export.zip").data)
    ).namelist()
    assert names == [invoice.display_number.replace("/", "-") + ".pdf"]


def test_cart_shows_the_tax_included(shop, db, client, nepal_vat):
    login(client, shop.user)
    fill_cart(shop.api, shop.course)
    page = client.get("/cart").get_data(as_text=True)
    assert 'data-testid="tax"' in page and "92.04" in page


def test_business_details_at_checkout_reach_the_invoice(
    shop, live_url, jobs, db, nepal_vat
):
    fill_cart(shop.api, shop.course)
    bad = shop.api.post(
        "/api/orders/checkout",
        json={"gateway": "esewa", "companyName": "Himal", "registrationNumber": "1"},
    )
    assert bad.status_code == 422
    order = paid(
        shop,
        live_url,
        jobs,
        db,
        companyName="Himal Traders",
        registrationNumber="987654321",
    )
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    assert invoice.buyer_name == "Himal Traders"
    assert invoice.data["buyer"]["number"] == "987654321"
    html = document_html(invoice)
    assert "Tax invoice" in html and "PAN/VAT number: 123456789" in html


def test_invoice_speaks_the_orders_language(shop, live_url, jobs, db, nepal_vat):
    order = paid(shop, live_url, jobs, db)
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    invoice.locale = "ne"
    assert "कर बीजक" in document_html(invoice)
    invoice.locale = "en"
    assert "वि.सं." in document_html(invoice)  # Nepal's date in Bikram Sambat too
    db.session.rollback()
