"""Digital books: uploaded by admins, stored privately, downloaded by buyers
through signed, expiring, counted links that a refund revokes."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.admin.models import AuditLog
from app.catalog.models import Product
from app.downloads.models import DownloadCounter
from app.extensions import db as _db
from app.orders.models import Order
from app.orders.services import LineItem, create_order
from app.payments import methods
from app.payments.finalise import verify_payment
from app.payments.handoff import initiate_payment
from tests.booklets.conftest import login, make_auto_approve, new_client

BOOK = b"%PDF-1.4\n% The Data Handbook\n" + b"x" * 2048


@pytest.fixture
def library(factory, app):
    factory.payment_methods()
    make_auto_approve()

    class Library:
        pass

    lib = Library()
    lib.admin = factory.user(email="admin@example.com", role="admin")
    lib.buyer = factory.user(email="buyer@example.com", name="Sita")
    lib.stranger = factory.user(email="stranger@example.com")
    lib.book = factory.product(
        "digital_book", price=50000, title="Data Handbook", validity_days=None
    )
    lib.admin_client = new_client(app)
    login(lib.admin_client, lib.admin)
    lib.buyer_client = new_client(app)
    login(lib.buyer_client, lib.buyer)
    return lib


def upload(client, product, data=BOOK, name="handbook.pdf"):
    return client.post(
        f"/admin/bookfiles/{product.id}/upload",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def buy(user, product) -> Order:
    """A paid cart order through the payment core (auto-approved transfer)."""
    order = create_order(
        kind="cart",
        user_id=user.id,
        currency=product.currency,
        items=[
            LineItem(
                title=product.title,
                product_type=product.type,
                unit_price=product.price,
                product_id=product.id,
            )
        ],
        customer_email=user.email,
    )
    payment = initiate_payment(order, methods.resolve_method("bank_transfer"))
    _db.session.commit()
    assert verify_payment(payment.id, "test") == "paid"
    _db.session.commit()
    return order


def new_link(client, product) -> str:
    resp = client.post(f"/library/{product.id}/download")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:1000]
    page = resp.get_data(as_text=True)
    return page.split('id="download-link" href="')[1].split('"')[0]


def test_admin_uploads_a_private_book_file(library, db, app):
    page = upload(library.admin_client, library.book).get_data(as_text=True)
    assert "The book file was uploaded" in page
    db.session.rollback()
    product = db.session.get(Product, library.book.id)
    assert product.file_name == "handbook.pdf"
    assert product.file_path.endswith(".pdf") and "handbook" not in product.file_path
    stored = Path(app.instance_path) / "books" / product.file_path
    assert stored.read_bytes() == BOOK
    assert not str(stored).startswith(app.static_folder)
    assert library.buyer_client.get(f"/static/{product.file_path}").status_code == 404
    entry = db.session.scalar(select(AuditLog))
    assert entry.action == "product.upload_file" and entry.user_id == library.admin.id
    # Wrong types are refused; non-admins cannot upload at all.
    page = upload(library.admin_client, library.book, b"MZ...", "virus.exe")
    assert "Upload one of" in page.get_data(as_text=True)
    assert upload(library.buyer_client, library.book).status_code == 404
    db.session.rollback()
    assert db.session.get(Product, library.book.id).file_name == "handbook.pdf"


def test_buyer_downloads_through_a_signed_link(library, db, app):
    upload(library.admin_client, library.book)
    buy(library.buyer, library.book)
    page = library.buyer_client.get("/library").get_data(as_text=True)
    assert f'data-download="{library.book.id}"' in page
    link = new_link(library.buyer_client, library.book)
    assert link.startswith("/downloads/")
    resp = library.buyer_client.get(link)
    assert resp.status_code == 200 and resp.data == BOOK
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert "handbook.pdf" in resp.headers["Content-Disposition"]
    assert "no-store" in resp.headers["Cache-Control"]
    db.session.rollback()
    counter = db.session.scalar(select(DownloadCounter))
    assert counter.used == 1 and counter.max_downloads == 5


def test_no_access_no_link(library, app):
    upload(library.admin_client, library.book)
    buy(library.buyer, library.book)
    stranger = new_client(app)
    login(stranger, library.stranger)
    assert stranger.post(f"/library/{library.book.id}/download").status_code == 404
    anonymous = new_client(app)
    resp = anonymous.post(f"/library/{library.book.id}/download")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_expired_or_forged_links_serve_nothing(library, app):
    upload(library.admin_client, library.book)
    buy(library.buyer, library.book)
    app.config["DOWNLOAD_LINK_SECONDS"] = 1
    try:
        link = new_link(library.buyer_client, library.book)
        time.sleep(2.2)
        stranger = new_client(app)
        resp = stranger.get(link)
        assert resp.status_code == 403 and resp.data != BOOK
        assert "expired" in resp.get_data(as_text=True)
        assert library.buyer_client.get(link).status_code == 403
    finally:
        app.config.pop("DOWNLOAD_LINK_SECONDS", None)
    link = new_link(library.buyer_client, library.book)
    token = link.rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert library.buyer_client.get(f"/downloads/{forged}").status_code == 404
    assert library.buyer_client.get("/downloads/not-a-token").status_code == 404


def test_downloads_are_limited_per_purchase(library, db):
    upload(library.admin_client, library.book)
    buy(library.buyer, library.book)
    link = new_link(library.buyer_client, library.book)
    for _ in range(5):
        assert library.buyer_client.get(link).status_code == 200
    resp = library.buyer_client.get(link)
    assert resp.status_code == 403 and resp.data != BOOK
    assert (
        library.buyer_client.post(f"/library/{library.book.id}/download").status_code
        == 403
    )
    db.session.rollback()
    assert db.session.scalar(select(DownloadCounter)).used == 5


def test_refund_revokes_the_link(library, db):
    from app.admin.services import mark_refunded_by_hand

    upload(library.admin_client, library.book)
    order = buy(library.buyer, library.book)
    link = new_link(library.buyer_client, library.book)
    assert library.buyer_client.get(link).status_code == 200
    mark_refunded_by_hand(order.id, "refunded at the customer's request", False)
    db.session.commit()
    resp = library.buyer_client.get(link)
    assert resp.status_code == 403 and resp.data != BOOK
    assert "revoked" in resp.get_data(as_text=True)
    assert (
        library.buyer_client.post(f"/library/{library.book.id}/download").status_code
        == 404
    )
    page = library.buyer_client.get("/library").get_data(as_text=True)
    assert "Access revoked" in page and "data-download" not in page
