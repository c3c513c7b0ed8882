"""Door pages: the phone check-in page, the offline gate, the organizer's overview.

Thin: every scan goes through `app.checkin.services.check_in`, the same
conditional UPDATE as the API. A refusal is a normal answer here (a red
banner with the reason), not an error page.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.checkin import offline, services
from app.checkin.api import DOOR_ROLES
from app.checkin.forms import CutoffForm, ScanForm
from app.checkin.states import ScanResult
from app.extensions import db, limiter
from app.http.parsing import json_body
from app.http.responses import ok
from app.organizer.access import require_event_role
from app.organizer.roles import EVENTS
from app.services_errors import ServiceError

bp = Blueprint("checkin", __name__)

GATE_KEY = "checkin_gate"


def _door_event(event_id: int):
    return require_event_role(current_user, event_id, *DOOR_ROLES)


def _render_door(event, form, scan=None, status: int = 200):
    return (
        render_template(
            "checkin/door.html",
            event=event,
            form=form,
            scan=scan,
            counts=services.counts(event),
            results=ScanResult,
        ),
        status,
    )


@bp.get("/events/<int:event_id>/checkin")
@login_required
def door(event_id: int):
    event = _door_event(event_id)
    form = ScanForm(formdata=None, gate=session.get(GATE_KEY) or services.DEFAULT_GATE)
    return _render_door(event, form)


@bp.post("/events/<int:event_id>/checkin")
@login_required
@limiter.limit("600/minute")
def scan(event_id: int):
    event = _door_event(event_id)
    form = ScanForm()
    if not form.validate_on_submit():
        return _render_door(event, form, status=400)
    try:
        code = services.normalise_code(form.code.data)
        gate = services.normalise_gate(form.gate.data)
    except ServiceError as exc:
        form.code.errors = [exc.message]
        return _render_door(event, form, status=400)
    session[GATE_KEY] = gate
    result = services.check_in(event, code, gate, current_user.id)
    db.session.commit()
    fresh = ScanForm(formdata=None, gate=gate)
    return _render_door(event, fresh, result)


@bp.get("/events/<int:event_id>/checkin/offline")
@login_required
def offline_gate(event_id: int):
    event = _door_event(event_id)
    return render_template(
        "checkin/offline.html",
        event=event,
        gate=session.get(GATE_KEY) or services.DEFAULT_GATE,
    )


@bp.post("/events/<int:event_id>/checkin/offline/scans")
@login_required
@limiter.limit("120/minute")
def offline_upload(event_id: int):
    """The offline gate's upload (JSON with the page's CSRF token in a header)."""
    event = _door_event(event_id)
    body = json_body()
    scans = offline.parse_scans(body.get("scans"), body.get("gate"))
    results = offline.upload(event, scans, current_user.id)
    db.session.commit()
    return ok({"results": results})


def _local(moment: dt.datetime | None, zone: str) -> dt.datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _utc(moment: dt.datetime | None, zone: str) -> dt.datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC).replace(tzinfo=None)


def _render_overview(event, form, status: int = 200):
    return (
        render_template(
            "checkin/overview.html",
            event=event,
            counts=services.counts(event),
            conflicts=offline.conflicts(event),
            form=form,
        ),
        status,
    )


@bp.get("/events/<int:event_id>/door")
@login_required
def overview(event_id: int):
    """Counts, offline conflicts and the name-change cut-off of one event."""
    event = require_event_role(current_user, event_id, *DOOR_ROLES)
    form = CutoffForm(
        formdata=None, until=_local(event.attendee_edit_until, event.timezone)
    )
    return _render_overview(event, form)


@bp.post("/events/<int:event_id>/door/cutoff")
@login_required
def set_cutoff(event_id: int):
    event = require_event_role(current_user, event_id, EVENTS)
    form = CutoffForm()
    if not form.validate_on_submit():
        return _render_overview(event, form, 400)
    event.attendee_edit_until = _utc(form.until.data, event.timezone)
    db.session.commit()
    flash(_("The cut-off for attendee name changes was saved."), "success")
    return redirect(url_for("checkin.overview", event_id=event.id), 303)


@bp.get("/events/<int:event_id>/checkin/counts")
@login_required
def live_counts(event_id: int):
    """The per-type counts for the door page's refresh (JSON)."""
    event = _door_event(event_id)
    return ok(
        [
            {"ticketType": c.name, "sold": c.sold, "checkedIn": c.checked_in}
            for c in services.counts(event)
        ]
    )


@bp.get("/events/<int:event_id>/checkin/list")
@login_required
def offline_list(event_id: int):
    """The signed check-in list for the offline gate page (JSON)."""
    event = _door_event(event_id)
    response, status = ok(offline.checkin_list(event))
    response.headers["Cache-Control"] = "no-store"
    return response, status
