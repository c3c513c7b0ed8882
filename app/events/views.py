"""Event pages."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.catalog import services as catalog

bp = Blueprint("events", __name__)


@bp.get("/events/<int:event_id>")
def event_page(event_id: int):
    event = catalog.get_event(event_id)
    return render_template("events/event.html", event=event)
