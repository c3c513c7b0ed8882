"""Waiting lists: when a ticket type is sold out, buyers queue for it; when a
ticket comes back (a cancelled or expired order, a refund, an offer nobody
took), the next person in line gets an email with a link that holds one ticket
for them for `OFFER_HOURS`.

An offer holds its ticket the same way an unpaid order does (`reserved + 1`,
a conditional UPDATE), so nobody else can buy it meanwhile. Claiming gives the
hold back and reserves again inside the checkout's own transaction, so the
buyer goes through the normal checkout with the seat guaranteed. An offer that
runs out releases the ticket and offers it to the next person (a job booked
for the moment it expires).
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import hash_token
from app.catalog.models import TicketType
from app.conditional import guarded_update
from app.db import utcnow
from app.events import sales
from app.events.models import WaitlistEntry
from app.events.states import (
    LIVE_WAITLIST_STATUSES,
    WAITLIST_LIFECYCLE,
    SaleState,
    WaitlistStatus,
)
from app.extensions import db
from app.mail.services import queue_email
from app.outbox.services import emit
from app.services_errors import Conflict, NotFound

OFFER_HOURS = 24
EXPIRY_TOPIC = "waitlist.expire"


def _move(entry: WaitlistEntry, event: str, *conditions, **values) -> bool:
    """The entry's move in WAITLIST_LIFECYCLE, as a conditional UPDATE."""
    target = WAITLIST_LIFECYCLE.target(event)
    sources = WAITLIST_LIFECYCLE.sources(event)
    return guarded_update(
        WaitlistEntry,
        entry.id,
        WaitlistEntry.status.in_([str(s) for s in sources]),
        *conditions,
        status=target,
        **values,
    )


def join(ticket_type: TicketType, name: str, email: str, user_id=None) -> WaitlistEntry:
    """Queue for a sold-out type (the same address once per type)."""
    if sales.sale_state(ticket_type) != SaleState.ON_SALE:
        raise Conflict("SALES_CLOSED", _("This ticket type is not on sale."))
    if ticket_type.seats_left > 0:
        raise Conflict("NOT_SOLD_OUT", _("Tickets of this type are still available."))
    email = email.strip()
    existing = db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.ticket_type_id == ticket_type.id,
            WaitlistEntry.email == email,
            WaitlistEntry.status.in_(list(LIVE_WAITLIST_STATUSES)),
        )
    )
    if existing is not None:
        return existing
    entry = WaitlistEntry(
        ticket_type_id=ticket_type.id,
        name=name.strip()[:120],
        email=email,
        user_id=user_id,
        status=WaitlistStatus.WAITING,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _hold_one(ticket_type_id: int) -> bool:
    return guarded_update(
        TicketType,
        ticket_type_id,
        TicketType.quantity_sold + TicketType.reserved + 1 <= TicketType.quantity_total,
        reserved=TicketType.reserved + 1,
    )


def _release_one(ticket_type_id: int) -> bool:
    return guarded_update(
        TicketType,
        ticket_type_id,
        TicketType.reserved >= 1,
        reserved=TicketType.reserved - 1,
    )


def offer_next(ticket_type_id: int) -> int:
    """Offer freed tickets to the people waiting, oldest first; returns how
    many offers went out. Called after tickets are released."""
    ticket_type = db.session.get(TicketType, ticket_type_id)
    if ticket_type is None or sales.sale_state(ticket_type) != SaleState.ON_SALE:
        return 0
    offered = 0
    waiting = db.session.scalars(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.ticket_type_id == ticket_type_id,
            WaitlistEntry.status == WaitlistStatus.WAITING,
        )
        .order_by(WaitlistEntry.id)
    ).all()
    for entry in waiting:
        if not _hold_one(ticket_type_id):
            break  # nothing free (any more)
        raw = secrets.token_urlsafe(24)
        expires = utcnow() + dt.timedelta(hours=OFFER_HOURS)
        if not _move(
            entry,
            "offer",
            token_hash=hash_token(raw),
            offered_at=utcnow(),
            offer_expires_at=expires,
        ):
            _release_one(ticket_type_id)
            continue
        _send_offer(entry, ticket_type, raw)
        emit(
            EXPIRY_TOPIC,
            {"entry_id": entry.id},
            available_at=expires,
            dedupe_key=f"waitlist-expire-{entry.id}",
        )
        offered += 1
    return offered


def _send_offer(entry: WaitlistEntry, ticket_type: TicketType, raw: str) -> None:
    base = current_app.config["PUBLIC_BASE_URL"]
    queue_email(
        f"waitlist-offer-{entry.id}",
        entry.email,
        "waitlist_offer",
        {
            "name": entry.name,
            "event_title": ticket_type.event.title,
            "ticket_type": ticket_type.name,
            "hours": OFFER_HOURS,
            # Built by hand: offers are mostly made by jobs, outside a request.
            "link": f"{base}/events/waitlist/{raw}",
        },
    )


def handle_offer_expiry(entry_id: int) -> None:
    """The `waitlist.expire` job: an offer nobody took gives its ticket to the
    next person (idempotent: only an offer still open expires)."""
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.status != WaitlistStatus.OFFERED:
        return
    if entry.offer_expires_at and entry.offer_expires_at > utcnow():
        return  # early delivery: the offer still runs
    if _move(entry, "expire"):
        _release_one(entry.ticket_type_id)
        offer_next(entry.ticket_type_id)


def offer_for(raw: str) -> WaitlistEntry:
    entry = db.session.scalar(
        select(WaitlistEntry).where(WaitlistEntry.token_hash == hash_token(raw or ""))
    )
    if (
        entry is None
        or entry.status != WaitlistStatus.OFFERED
        or entry.offer_expires_at is None
        or entry.offer_expires_at <= utcnow()
    ):
        raise NotFound(
            "OFFER_NOT_FOUND",
            _("This offer is no longer open: it was used or has run out."),
        )
    return entry


def claim(entry: WaitlistEntry) -> None:
    """Take the offer: its held ticket is given back so the checkout that
    follows in the same transaction reserves it again (a failed checkout rolls
    both back, and the offer stays open)."""
    if not _move(entry, "claim", WaitlistEntry.offer_expires_at > utcnow()):
        raise NotFound(
            "OFFER_NOT_FOUND",
            _("This offer is no longer open: it was used or has run out."),
        )
    _release_one(entry.ticket_type_id)


def ticket_type_of(entry: WaitlistEntry) -> TicketType:
    return db.session.get(TicketType, entry.ticket_type_id)
