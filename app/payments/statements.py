"""Importing a bank statement (CSV) to match transfers by reference and amount.

Banks export statements in many shapes; the first row names the columns and
we look for them by name (case and spacing ignored):

- the date: `date`, `value date`, `transaction date`, `posted`, `取引日`;
- money in: `amount`, `credit`, `deposit`, `paid in`, `入金`; a line with no
  money in (a debit) is skipped;
- the text the buyer wrote: `reference`, `description`, `details`, `memo`,
  `narration`, `remarks`, `particulars`, `摘要`;
- optionally the bank's own id of the line (`transaction id`, `id`) and the
  `currency`.

Dates may be `2026-11-30`, `2026/11/30`, `30/11/2026` or `30.11.2026`. Each
line is fingerprinted (the bank's id, else date, amount, text and how many
times that same line occurred before it), so importing the same statement
twice - or two overlapping exports - records every transfer once.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.money import parse_amount
from app.payments.bank_receipts import (
    SOURCE_STATEMENT,
    ReceivedTransfer,
    record_receipt,
)
from app.payments.receipt_states import ReceiptStatus
from app.services_errors import ServiceError

MAX_LINES = 5000
COLUMNS = {
    "date": ("date", "valuedate", "transactiondate", "posted", "bookingdate", "取引日"),
    "amount": ("amount", "credit", "deposit", "paidin", "creditamount", "入金"),
    "text": (
        "reference",
        "description",
        "details",
        "memo",
        "narration",
        "remarks",
        "particulars",
        "摘要",
    ),
    "id": ("transactionid", "id", "txnid", "bankreference"),
    "currency": ("currency", "ccy"),
}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")
_SYMBOLS = re.compile(r"[^\d.,\-]")


@dataclass
class ImportResult:
    matched: int = 0  # paid an order
    review: int = 0  # waiting for a person
    duplicates: int = 0  # imported before
    skipped: list[str] = field(default_factory=list)  # unreadable lines, with why


def _key(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", (name or "").strip().lower())


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = _key(name)
        for column, names in COLUMNS.items():
            if key in names and column not in found:
                found[column] = index
    missing = [c for c in ("date", "amount", "text") if c not in found]
    if missing:
        raise ServiceError(
            "STATEMENT_UNREADABLE",
            _(
                "The statement's first row must name its columns; missing: "
                "%(missing)s.",
                missing=", ".join(missing),
            ),
            400,
            {"missing": missing},
        )
    return found


def _date(text: str) -> dt.date:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unreadable date {text!r}")


def _amount(text: str, currency: str) -> int | None:
    """Money in, in minor units; None for a debit or an empty cell."""
    cleaned = _SYMBOLS.sub("", text or "")
    if not cleaned or cleaned.startswith("-"):
        return None
    amount = parse_amount(cleaned, currency)
    return amount if amount > 0 else None


def _cell(row: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return row[index].strip() if index is not None and index < len(row) else ""


def import_statement(
    content: bytes | str, default_currency: str, actor_id: int | None
) -> ImportResult:
    """Record every transfer in a statement: matched ones pay their orders,
    the rest wait for a person. Flushes only; the caller commits."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ServiceError(
                "STATEMENT_UNREADABLE",
                _("The statement must be a UTF-8 CSV file."),
                400,
            ) from exc
    rows = list(csv.reader(io.StringIO(content)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise ServiceError("STATEMENT_UNREADABLE", _("The statement is empty."), 400)
    if len(rows) > MAX_LINES + 1:
        raise ServiceError(
            "STATEMENT_TOO_LONG",
            _("Import at most %(n)s lines at a time.", n=MAX_LINES),
            400,
        )
    columns = _columns(rows[0])
    result = ImportResult()
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        currency = (_cell(row, columns, "currency") or default_currency).upper()
        text = _cell(row, columns, "text")
        try:
            received_on = _date(_cell(row, columns, "date"))
            amount = _amount(_cell(row, columns, "amount"), currency)
        except ValueError as exc:
            result.skipped.append(f"line {number}: {exc}")
            continue
        if amount is None:
            continue  # money out, or nothing in
        bank_id = _cell(row, columns, "id")
        identity = f"{received_on}|{amount}|{currency}|{text}"
        seen[identity] = seen.get(identity, 0) + 1
        basis = f"id:{bank_id}" if bank_id else f"{identity}|{seen[identity]}"
        fingerprint = "stmt-" + hashlib.sha256(basis.encode()).hexdigest()[:48]
        received = ReceivedTransfer(text, amount, currency, received_on, fingerprint)
        receipt = record_receipt(received, SOURCE_STATEMENT, actor_id)
        if receipt is None:
            result.duplicates += 1
        elif receipt.status == ReceiptStatus.REVIEW:
            result.review += 1
        else:
            result.matched += 1
    return result
