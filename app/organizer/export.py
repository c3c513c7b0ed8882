"""The organizer's CSV export: the filtered order list, one row per ticket."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.catalog.models import Event
from app.events.models import Ticket
from app.extensions import db
from app.money import format_amount
from app.orders.models import Order
from app.organizer.services import orders_query

CSV_COLUMNS = [
    _l("order id"),
    _l("public id"),
    _l("created (UTC)"),
    _l("status"),
    _l("customer name"),
    _l("email"),
    _l("phone"),
    _l("items"),
    _l("total"),
    _l("currency"),
    _l("paid at (UTC)"),
    _l("needs refund"),
    _l("ticket code"),
    _l("ticket type"),
    _l("attendee name"),
    _l("attendee email"),
    _l("ticket status"),
    _l("checked in at (UTC)"),
    _l("gate"),
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Spreadsheets run cells that start like a formula; make them plain text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_time(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def items_text(order: Order) -> str:
    return "; ".join(f"{i.title} x{i.quantity}" for i in order.items)


def _ticket_cells(ticket: Ticket | None, type_names: dict[int, str]) -> tuple:
    if ticket is None:
        return ("",) * 7
    if ticket.voided_at is not None:
        state = "void"
    elif ticket.checked_in_at is not None:
        state = "checked_in"
    else:
        state = "valid"
    return (
        ticket.code,
        type_names.get(ticket.ticket_type_id, ""),
        ticket.attendee_name,
        ticket.attendee_email,
        state,
        _csv_time(ticket.checked_in_at),
        ticket.checked_in_gate or "",
    )


def export_csv(event: Event, status: str, q: str) -> str:
    """The filtered list (every page) as CSV, one row per ticket with its
    attendee (an order without tickets yet, e.g. unpaid, is one row)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([str(column) for column in CSV_COLUMNS])
    orders = list(
        db.session.scalars(
            orders_query(event, status, q).options(selectinload(Order.items))
        )
    )
    by_order: dict[int, list[Ticket]] = {}
    for ticket in db.session.scalars(
        select(Ticket)
        .where(Ticket.order_id.in_([o.id for o in orders]))
        .order_by(Ticket.id)
    ):
        by_order.setdefault(ticket.order_id, []).append(ticket)
    type_names = {t.id: t.name for t in event.ticket_types}
    for order in orders:
        for ticket in by_order.get(order.id) or [None]:
            writer.writerow(
                safe_cell(v)
                for v in _order_cells(order) + _ticket_cells(ticket, type_names)
            )
    return buf.getvalue()


def _order_cells(order: Order) -> tuple:
    return (
        order.id,
        order.public_id,
        _csv_time(order.created_at),
        order.status,
        order.customer_name,
        order.customer_email,
        order.customer_phone,
        items_text(order),
        format_amount(order.total, order.currency),
        order.currency,
        _csv_time(order.paid_at),
        "yes" if order.needs_refund else "no",
    )
