"""The demo digital book's file: a small real PDF written at seed time.

`make run` loads demo data that a buyer can use end to end, so the demo book
needs a file the library can hand out. It is made with fpdf2 (pinned in
requirements.txt) from the product's own title and description - a few pages
of text, a contents list and document metadata - and stored like an uploaded
book (`services.store_book_bytes`): private, under a random name.
"""

from __future__ import annotations

from fpdf import FPDF

from app.catalog.models import Product

CHAPTERS = (
    (
        "Why data work starts with questions",
        "Before opening a spreadsheet, write down the question the data should "
        "answer and who will act on the answer. A clear question tells you which "
        "columns matter and which can wait.",
    ),
    (
        "Tidy tables",
        "Keep one observation per row and one variable per column. Name columns "
        "in plain words, store dates in ISO 8601 and money as whole minor units "
        "with the currency beside it.",
    ),
    (
        "Checking before trusting",
        "Count rows, look for duplicates and empty values, and compare totals "
        "with a source you trust. Write each check down so it can run again "
        "next month.",
    ),
)


def sample_pdf(product: Product) -> bytes:
    """A few pages of a real, readable PDF about `product`."""
    pdf = FPDF(format="A4")
    pdf.set_title(product.title)
    pdf.set_author("Storefront demo")
    pdf.set_creator("Storefront seed-demo")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=20)
    pdf.multi_cell(0, 10, product.title)
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, product.description or "")
    pdf.ln(6)
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.cell(0, 8, "Contents", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for number, (title, _text) in enumerate(CHAPTERS, start=1):
        pdf.cell(0, 6, f"{number}. {title}", new_x="LMARGIN", new_y="NEXT")
    for number, (title, text) in enumerate(CHAPTERS, start=1):
        pdf.add_page()
        pdf.start_section(title)
        pdf.set_font("Helvetica", style="B", size=15)
        pdf.multi_cell(0, 8, f"{number}. {title}")
        pdf.ln(3)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())
