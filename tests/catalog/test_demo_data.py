"""Demo data is complete (issue #15): the demo book has a real PDF, so a buyer's
library offers a download straight after `make run`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.catalog.models import Product
from app.cli import seed_demo_data


def test_the_demo_book_gets_a_real_pdf_once(app, db):
    seed_demo_data()
    book = db.session.scalar(select(Product).where(Product.slug == "data-handbook"))
    path = Path(app.instance_path) / "books" / book.file_path
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"The Data Handbook" in data  # the document's own title
    assert 1000 < len(data) < 100_000
    assert book.file_name == "data-handbook.pdf"
    first = book.file_path
    seed_demo_data()  # idempotent: the same file
    db.session.rollback()
    assert db.session.get(Product, book.id).file_path == first
    path.unlink()  # instance/ wiped: the next seed makes it again
    seed_demo_data()
    db.session.rollback()
    again = db.session.get(Product, book.id)
    assert (Path(app.instance_path) / "books" / again.file_path).is_file()
