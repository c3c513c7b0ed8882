"""A Japanese organizer's qualified invoices: Komoju gets the tax-inclusive
total, the invoice is the organizer's own series, and only that organizer
finds it in their list, ZIP and CSV."""

from __future__ import annotations

import csv
import io
import zipfile

from sqlalchemy import select

from app.invoicing.models import Invoice
from app.orders.models import Order
from app.tax.sellers import organization_seller
from app.tax.services import save_config
from tests.events.conftest import follow_return, init, run_ours, shop  # noqa: F401
from tests.organizer.conftest import login
from tests.support.komoju import complete, sandbox_session


def configure(db, event, inclusive: bool):
    save_config(
        organization_seller(event.organization_id),
        country="JP",
        registered=True,
        legal_name="株式会社サンプル",
        address="東京都千代田区",
        registration_number="T7000012050002",
        prices_include_tax=inclusive,
    )
    db.session.commit()


def pay(shop, live_url, jobs, db, lines) -> Order:  # noqa: F811
    data = init(shop, lines, "credit_card")
    session = sandbox_session(live_url, data["gatewayTransactionId"])
    follow_return(complete(live_url, data["gatewayTransactionId"], "credit_card"))
    run_ours(jobs)
    db.session.rollback()
    order = db.session.get(Order, data["orderId"])
    assert order.status == "paid"
    return order, session


def test_exclusive_prices_send_the_tax_inclusive_total_to_komoju(
    shop,  # noqa: F811
    live_url,
    db,
    jobs,
):
    configure(db, shop.event, inclusive=False)
    order, session = pay(shop, live_url, jobs, db, [(shop.general, 2), (shop.vip, 1)])
    # ¥14,000 before tax, 10 % once over the whole invoice.
    assert (order.tax_total, order.total) == (1400, 15400)
    assert session["amount"] == 15400
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    assert invoice.seller == organization_seller(shop.event.organization_id)
    assert invoice.data["seller"]["number"] == "T7000012050002"
    assert (invoice.net, invoice.tax, invoice.total) == (14000, 1400, 15400)
    assert invoice.fiscal_year.isdigit() and invoice.number == 1


def test_organizer_lists_exports_and_only_their_own(
    shop,  # noqa: F811
    live_url,
    db,
    jobs,
    client,
    factory,
):
    configure(db, shop.event, inclusive=True)
    order, _session = pay(shop, live_url, jobs, db, [(shop.general, 1)])
    assert (order.tax_total, order.total) == (272, 3000)  # floor(3000 × 10/110)
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    login(client, shop.organizer)
    page = client.get("/organizer/invoices?q=" + invoice.display_number)
    assert page.status_code == 200 and invoice.display_number in page.text
    pdf = client.get(f"/organizer/invoices/{invoice.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    rows = list(csv.DictReader(io.StringIO(client.get("/organizer/invoices.csv").text)))
    assert [
        (r["number"], r["tax_rate_percent"], r["tax"], r["total"]) for r in rows
    ] == [(invoice.display_number, "10", "272", "3000")]
    bundle = zipfile.ZipFile(io.BytesIO(client.get("/organizer/invoices.zip").data))
    assert bundle.namelist() == [f"{invoice.display_number}.pdf"]
    bad = client.get("/organizer/invoices.csv?from=2026-13-01")
    assert bad.status_code == 422
    # Another organizer sees none of it.
    client.post("/logout")
    other = factory.user(email="other-organizer@example.com", role="organizer")
    factory.event(other)  # their own organization
    login(client, other)
    assert client.get(f"/organizer/invoices/{invoice.id}.pdf").status_code == 404
    assert invoice.display_number not in client.get("/organizer/invoices").text
    assert client.get("/organizer/invoices.csv").text.count("\n") == 1
    mine = f"/organizer/invoices.csv?org={shop.event.organization_id}"
    assert client.get(mine).status_code == 404
