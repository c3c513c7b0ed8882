"""The receipt email carries the invoice PDF (installed by `app.composition`)."""

from __future__ import annotations

from app.invoicing.pdf import document_pdf, file_name
from app.invoicing.services import current_invoice


def receipt_email_context(ctx: dict) -> None:
    order = ctx.get("order")
    invoice = current_invoice(order.id) if order is not None else None
    ctx["invoice"] = invoice
    ctx["_attachments"] = (
        [(file_name(invoice), "application/pdf", document_pdf(invoice))]
        if invoice is not None
        else []
    )
