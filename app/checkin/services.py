"""Letting ticket holders in: one scan, the counts per ticket type.

A ticket is admitted once. The admission is a conditional UPDATE (`guarded_update`
on `checked_in_at IS NULL`), so when two gates scan the same ticket at the same
moment the database lets exactly one of them change the row; the other is told
when and where the ticket was first scanned.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.catalog.models import Event, TicketType
from app.checkin.models import CheckinScan
from app.checkin.states import ScanResult, ScanSource
from app.conditional import guarded_update
from app.db import utcnow
from app.events.models import Ticket
from app.extensions import db
from app.orders.models import Order
from app.orders.states import OrderStatus, is_paid
from app.services_errors import ServiceError

GATE_MAX = 64
DEFAULT_GATE = "main"
_CODE_NOISE = re.compile(r"[\s\-]")


def _invalid(message: str, field: str) -> ServiceError:
    return ServiceError("VALIDATION_ERROR", message, 400, {field: "invalid"})


def normalise_code(raw) -> str:
    """What a person types or a scanner sends: any case, spaces and dashes."""
    if not isinstance(raw, str):
        raise _invalid(_("'code' must be a string."), "code")
    code = _CODE_NOISE.sub("", raw).upper()
    if not code or len(code) > 32 or not code.isalnum():
        raise _invalid(_("'code' is not a ticket code."), "code")
    return code


def normalise_gate(raw) -> str:
    if raw is None:
        return DEFAULT_GATE
    if not isinstance(raw, str):
        raise _invalid(_("'gate' must be a string."), "gate")
    gate = " ".join(raw.split())
    if len(gate) > GATE_MAX:
        raise _invalid(_("'gate' is at most %(max)s characters.", max=GATE_MAX), "gate")
    return gate or DEFAULT_GATE


@dataclass
class Scan:
    """What the door shows: the result, and the ticket when there is one."""

    result: ScanResult
    code: str
    ticket: Ticket | None = None
    ticket_type: str = ""
    event_id: int | None = None

    @property
    def admitted(self) -> bool:
        return self.result == ScanResult.CHECKED_IN


def find_ticket(code: str) -> tuple[Ticket, Order, TicketType] | None:
    row = db.session.execute(
        select(Ticket, Order, TicketType)
        .join(Order, Order.id == Ticket.order_id)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .where(Ticket.code == code)
    ).first()
    return (row[0], row[1], row[2]) if row else None


def refusal(ticket: Ticket, order: Order) -> ScanResult | None:
    """Why a ticket of the right event does not admit, if it does not."""
    if ticket.voided_at is not None or order.status == OrderStatus.REFUNDED:
        return ScanResult.REFUNDED
    if not is_paid(order.status):
        return ScanResult.CANCELLED
    if ticket.checked_in_at is not None:
        return ScanResult.ALREADY_CHECKED_IN
    return None


def check_in(
    event: Event,
    code: str,
    gate: str,
    user_id: int | None,
    now: dt.datetime | None = None,
) -> Scan:
    """Scan `code` at `gate` of `event`: admit it once, or say why not."""
    found = find_ticket(code)
    if found is None:
        return Scan(ScanResult.UNKNOWN, code)
    ticket, order, ticket_type = found
    scan = Scan(
        ScanResult.UNKNOWN, code, ticket, ticket_type.name, ticket_type.event_id
    )
    if ticket_type.event_id != event.id:
        scan.result = ScanResult.WRONG_EVENT
        return scan
    reason = refusal(ticket, order)
    if reason is not None:
        scan.result = reason
        return scan
    now = now or utcnow()
    won = guarded_update(
        Ticket,
        ticket.id,
        Ticket.checked_in_at.is_(None),
        Ticket.voided_at.is_(None),
        checked_in_at=now,
        checked_in_gate=gate,
    )
    if won:
        db.session.add(
            CheckinScan(
                event_id=event.id,
                ticket_id=ticket.id,
                gate=gate,
                scanned_at=now,
                source=ScanSource.ONLINE,
                user_id=user_id,
            )
        )
        db.session.flush()
        scan.result = ScanResult.CHECKED_IN
        return scan
    db.session.refresh(ticket)  # the winner's time and gate
    scan.result = refusal(ticket, order) or ScanResult.ALREADY_CHECKED_IN
    return scan


@dataclass
class TypeCount:
    name: str
    sold: int
    checked_in: int


def counts(event: Event) -> list[TypeCount]:
    """Per ticket type: valid tickets and how many of them are in."""
    rows = db.session.execute(
        select(
            Ticket.ticket_type_id,
            func.count(Ticket.id),
            func.count(Ticket.checked_in_at),
        )
        .join(Order, Order.id == Ticket.order_id)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .where(
            TicketType.event_id == event.id,
            Ticket.voided_at.is_(None),
            Order.status == OrderStatus.PAID,
        )
        .group_by(Ticket.ticket_type_id)
    )
    found = {type_id: (int(n), int(m)) for type_id, n, m in rows}
    return [TypeCount(t.name, *found.get(t.id, (0, 0))) for t in event.ticket_types]


def iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None
