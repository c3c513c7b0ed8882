"""Invoice PDFs, rendered by WeasyPrint from an HTML template in the document's
language. Japanese and Devanagari text need fonts of their own: both come from
PyPI packages pinned in requirements.txt (Noto, SIL Open Font Licence) and are
embedded (subset) in each PDF, so any reader shows them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import render_template

from app.i18n.formatting import bikram_sambat
from app.i18n.preferences import rendering_for
from app.invoicing.models import Invoice
from app.invoicing.states import DocumentKind
from app.tax.fiscal import local_date


@cache
def font_faces() -> str:
    """@font-face rules for the packaged fonts (found once per process)."""
    import cvttf_NotoSansCJK_Regular as cjk
    import fontpkg_noto_sans_devanagari as devanagari

    cjk_file = Path(cjk.__file__).parent / "NotoSansCJKtc-Regular.otf"
    deva_file = next((Path(devanagari.__file__).parent / "files").glob("*.ttf"))
    return (
        f"@font-face {{ font-family: 'Invoice Devanagari'; "
        f"src: url('{deva_file.as_uri()}'); }}\n"
        f"@font-face {{ font-family: 'Invoice CJK'; src: url('{cjk_file.as_uri()}'); }}"
    )


def document_html(invoice: Invoice) -> str:
    """The document in its own language; Nepal's dates also in Bikram Sambat."""
    country = invoice.data.get("seller", {}).get("country", "")
    day = local_date(country, invoice.issued_at)
    bs = bikram_sambat(day) if country == "NP" and invoice.locale != "ne" else None
    # Nepali tax invoices show the Bikram Sambat date beside the Gregorian one.
    bs_date = f"(वि.सं. {bs})" if bs else None
    with rendering_for(invoice.locale, invoice.data.get("timezone")):
        return render_template(
            "invoices/document.html",
            invoice=invoice,
            data=invoice.data,
            is_credit=invoice.kind == DocumentKind.CREDIT_NOTE,
            font_faces=font_faces(),
            bs_date=bs_date,
            issue_day=day,
        )


def document_pdf(invoice: Invoice) -> bytes:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return HTML(string=document_html(invoice)).write_pdf(font_config=fonts)


def file_name(invoice: Invoice) -> str:
    safe = invoice.display_number.replace("/", "-")
    return f"{safe}.pdf"
