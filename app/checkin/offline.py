"""Offline doors: a signed check-in list, scans uploaded later, conflicts.

The list is the exact JSON text that was signed (HMAC-SHA256 with a per-event
key derived from `CHECKIN_SIGNING_KEY`, or the app's secret key), so a door app
verifies the bytes it stored instead of re-serialising them. Admissions made
offline are merged deterministically: the earliest scan time wins, ties go to
the gate whose name sorts first, whatever order the uploads arrive in.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from app.catalog.models import Event, TicketType
from app.checkin.models import CheckinScan
from app.checkin.services import (
    find_ticket,
    iso,
    normalise_code,
    normalise_gate,
    refusal,
)
from app.checkin.states import ScanResult, ScanSource
from app.conditional import guarded_update
from app.db import utcnow
from app.db_setup import dialect_insert
from app.events.models import Ticket
from app.extensions import db
from app.orders.models import Order
from app.services_errors import ServiceError

MAX_UPLOAD = 1000
CLOCK_SLACK = dt.timedelta(minutes=10)  # a gate's clock may run a little fast


def event_key(event_id: int) -> bytes:
    master = (
        current_app.config.get("CHECKIN_SIGNING_KEY")
        or current_app.config["SECRET_KEY"]
    )
    return hmac.new(
        master.encode(), f"checkin-list:{event_id}".encode(), hashlib.sha256
    ).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def sign(event_id: int, text: str) -> str:
    return _b64(hmac.new(event_key(event_id), text.encode(), hashlib.sha256).digest())


def verify(event_id: int, text: str, signature: str) -> bool:
    return hmac.compare_digest(sign(event_id, text), signature or "")


def _status(ticket: Ticket, order: Order) -> str:
    return str(refusal(ticket, order) or "valid")


def checkin_list(event: Event) -> dict:
    """Every ticket of the event with its status, as signed text."""
    rows = db.session.execute(
        select(Ticket, Order, TicketType)
        .join(Order, Order.id == Ticket.order_id)
        .join(TicketType, TicketType.id == Ticket.ticket_type_id)
        .where(TicketType.event_id == event.id)
        .order_by(Ticket.id)
    )
    payload = {
        "eventId": event.id,
        "title": event.title,
        "generatedAt": iso(utcnow()),
        "tickets": [
            {
                "code": t.code,
                "attendee": t.attendee_name,
                "ticketType": tt.name,
                "status": _status(t, o),
            }
            for t, o, tt in rows
        ],
    }
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return {
        "list": text,
        "signature": sign(event.id, text),
        "algorithm": "HMAC-SHA256",
        "key": _b64(event_key(event.id)),
    }


@dataclass(frozen=True)
class OfflineScan:
    code: str
    gate: str
    scanned_at: dt.datetime


def _bad(message: str, where: str) -> ServiceError:
    return ServiceError("VALIDATION_ERROR", message, 400, {where: "invalid"})


def _moment(raw, where: str) -> dt.datetime:
    if not isinstance(raw, str) or len(raw) > 40:
        raise _bad(_("'%(field)s' must be an ISO 8601 time.", field=where), where)
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(
            _("'%(field)s' must be an ISO 8601 time.", field=where), where
        ) from None
    if moment.tzinfo is None:
        raise _bad(_("'%(field)s' needs a time zone (Z).", field=where), where)
    moment = moment.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    if moment > utcnow() + CLOCK_SLACK:
        raise _bad(_("'%(field)s' is in the future.", field=where), where)
    return moment


def parse_scans(raw, default_gate) -> list[OfflineScan]:
    """`[{code, scannedAt, gate?}]`: the admissions a gate made offline."""
    gate = normalise_gate(default_gate)
    if not isinstance(raw, list) or len(raw) > MAX_UPLOAD:
        raise _bad(
            _("'scans' must be an array of at most %(max)s scans.", max=MAX_UPLOAD),
            "scans",
        )
    scans = []
    for n, item in enumerate(raw):
        where = f"scans[{n}]"
        if not isinstance(item, dict) or set(item) - {"code", "scannedAt", "gate"}:
            raise _bad(
                _(
                    "'%(field)s' must be an object with code and scannedAt.",
                    field=where,
                ),
                where,
            )
        scans.append(
            OfflineScan(
                normalise_code(item.get("code")),
                normalise_gate(item["gate"]) if "gate" in item else gate,
                _moment(item.get("scannedAt"), f"{where}.scannedAt"),
            )
        )
    return scans


def _earlier(scan: OfflineScan):
    """The ticket's admission is later than `scan` (or there is none)."""
    return or_(
        Ticket.checked_in_at.is_(None),
        Ticket.checked_in_at > scan.scanned_at,
        and_(
            Ticket.checked_in_at == scan.scanned_at,
            Ticket.checked_in_gate > scan.gate,
        ),
    )


def upload(event: Event, scans: list[OfflineScan], user_id: int | None) -> list[dict]:
    """Record each offline admission once and let the earliest one count."""
    results = []
    for scan in scans:
        found = find_ticket(scan.code)
        if found is None:
            results.append({"code": scan.code, "result": ScanResult.UNKNOWN})
            continue
        ticket, order, ticket_type = found
        if ticket_type.event_id != event.id:
            results.append({"code": scan.code, "result": ScanResult.WRONG_EVENT})
            continue
        db.session.execute(
            dialect_insert(db.engine, CheckinScan)
            .values(
                event_id=event.id,
                ticket_id=ticket.id,
                gate=scan.gate,
                scanned_at=scan.scanned_at,
                source=ScanSource.OFFLINE,
                user_id=user_id,
                received_at=utcnow(),
            )
            .on_conflict_do_nothing()
        )
        reason = refusal(ticket, order)
        if reason in (ScanResult.REFUNDED, ScanResult.CANCELLED):
            results.append({"code": scan.code, "result": reason})
            continue
        guarded_update(
            Ticket,
            ticket.id,
            _earlier(scan),
            Ticket.voided_at.is_(None),
            checked_in_at=scan.scanned_at,
            checked_in_gate=scan.gate,
        )
        db.session.refresh(ticket)
        first = (
            ticket.checked_in_at == scan.scanned_at
            and ticket.checked_in_gate == scan.gate
        )
        results.append(
            {
                "code": scan.code,
                "result": ScanResult.CHECKED_IN
                if first
                else ScanResult.ALREADY_CHECKED_IN,
                "firstCheckedInAt": iso(ticket.checked_in_at),
                "gate": ticket.checked_in_gate,
            }
        )
    db.session.flush()
    return results


@dataclass
class Conflict:
    """One ticket admitted more than once; `scans[0]` is the admission that counts."""

    ticket: Ticket
    ticket_type: str
    scans: list[CheckinScan]


def conflicts(event: Event) -> list[Conflict]:
    twice = (
        select(CheckinScan.ticket_id)
        .where(CheckinScan.event_id == event.id)
        .group_by(CheckinScan.ticket_id)
        .having(func.count(CheckinScan.id) > 1)
    )
    scans = db.session.scalars(
        select(CheckinScan)
        .where(CheckinScan.ticket_id.in_(twice))
        .order_by(CheckinScan.ticket_id, CheckinScan.scanned_at, CheckinScan.gate)
    )
    by_ticket: dict[int, list[CheckinScan]] = {}
    for scan in scans:
        by_ticket.setdefault(scan.ticket_id, []).append(scan)
    found = []
    for ticket_id, rows in by_ticket.items():
        ticket = db.session.get(Ticket, ticket_id)
        ticket_type = db.session.get(TicketType, ticket.ticket_type_id)
        found.append(Conflict(ticket, ticket_type.name, rows))
    return found
