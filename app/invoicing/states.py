"""Kinds and statuses of issued documents (the columns stay strings)."""

from __future__ import annotations

from enum import StrEnum


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class DocumentStatus(StrEnum):
    ISSUED = "issued"
    # Replaced by a corrected invoice (the buyer added business details).
    SUPERSEDED = "superseded"


DOCUMENT_KINDS = tuple(DocumentKind)
DOCUMENT_STATUSES = tuple(DocumentStatus)
