"""What the `tickets` email shows (installed by `app.composition`)."""

from __future__ import annotations

from app.events.services import event_of, tickets_of
from app.events.tickets import qr_data_uri, qr_png


def tickets_email_context(ctx: dict) -> None:
    """The `tickets` email (and one attendee's `ticket_attendee` email, whose
    context names the ticket): the tickets, the event and one QR PNG per ticket
    (attached)."""
    order = ctx.get("order")
    if order is None:
        ctx.update(tickets=[], event=None, _attachments=[])
        return
    tickets = [t for t in tickets_of(order) if t.voided_at is None]
    if ctx.get("ticket_id") is not None:  # one attendee's own ticket email
        tickets = [t for t in tickets if t.id == ctx["ticket_id"]]
        ctx["attendee"] = tickets[0] if tickets else None
    types = {i.ticket_type_id: i for i in order.items}
    ctx["event"] = event_of(order)
    ctx["tickets"] = [
        {
            "code": t.code,
            "attendee_name": t.attendee_name,
            "attendee_email": t.attendee_email,
            "type": types[t.ticket_type_id].title if t.ticket_type_id in types else "",
            "url": f"{ctx['base_url']}/tickets/{t.code}?key={order.order_key}",
            "qr": qr_data_uri(t.code),
            "cid": f"qr-{t.code}.png",
        }
        for t in tickets
    ]
    ctx["tickets_url"] = (
        f"{ctx['base_url']}/orders/{order.public_id}/tickets?key={order.order_key}"
    )
    ctx["_attachments"] = [
        (f"ticket-{t.code}.png", "image/png", qr_png(t.code)) for t in tickets
    ]
