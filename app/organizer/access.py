"""Who may see and do what in an organization: the one check every organizer
page and API goes through.

A member of one organization sees nothing of another's: an event or order of an
organization the caller does not belong to is the same 404 as a missing id. A
member whose role does not allow the action gets 403 (they know the event
exists). Admins act as owners everywhere.

Views call `require_event_role(user, event_id, *roles)` (or the order/organization
variants) with the roles, or capability sets from `app.organizer.roles`, that the
action needs; no roles means any member.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from app.catalog.models import Event, TicketType
from app.extensions import db
from app.orders.models import Order, OrderItem
from app.organizer.models import Membership, Organization
from app.organizer.roles import ANY, ORDERS, Role
from app.services_errors import NotFound, ServiceError


class RoleRequired(ServiceError):
    status = 403


def _allowed(roles: Iterable) -> frozenset[Role]:
    """Roles given one by one or as capability sets; none means any role."""
    out: set[Role] = set()
    for r in roles:
        if isinstance(r, str):
            out.add(Role(r))
        else:
            out.update(Role(x) for x in r)
    return frozenset(out) or ANY


def _refused() -> RoleRequired:
    return RoleRequired(
        "ROLE_REQUIRED", _("Your role in this organization does not allow this.")
    )


def event_not_found() -> NotFound:
    return NotFound("EVENT_NOT_FOUND", _("No such event."))


def order_not_found() -> NotFound:
    return NotFound("ORDER_NOT_FOUND", _("No such order."))


def role_in(user, organization_id: int | None) -> Role | None:
    """The user's role in the organization (owner for admins), or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.is_admin:
        return Role.OWNER
    if organization_id is None:
        return None
    role = db.session.scalar(
        select(Membership.role).where(
            Membership.organization_id == organization_id,
            Membership.user_id == user.id,
        )
    )
    return Role(role) if role else None


def _check(user, organization_id: int, roles) -> Role:
    role = role_in(user, organization_id)
    if role is None:
        raise event_not_found()
    if role not in _allowed(roles):
        raise _refused()
    return role


def memberships(user) -> list[Membership]:
    """The user's memberships, oldest first (admins have none of their own)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.user_id == user.id)
            .options(selectinload(Membership.organization))
            .order_by(Membership.id)
        )
    )


def is_member(user) -> bool:
    """May enter the organizer pages at all: a member anywhere, an admin, or an
    organizer account (whose first event creates its own organization)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.is_organizer or bool(
        db.session.scalar(
            select(Membership.id).where(Membership.user_id == user.id).limit(1)
        )
    )


def organization_ids(user, *roles) -> list[int] | None:
    """Ids of the organizations where the user has one of the roles; None for
    admins (every organization)."""
    if user.is_admin:
        return None
    allowed = _allowed(roles)
    return [m.organization_id for m in memberships(user) if m.role in allowed]


def visible_events(user, *roles) -> Select:
    """Events of the organizations where the user has one of the roles."""
    query = select(Event)
    ids = organization_ids(user, *roles)
    if ids is not None:
        query = query.where(Event.organization_id.in_(ids))
    return query


def require_event_role(user, event_id: int, *roles) -> Event:
    """The event, if the user belongs to its organization with one of the roles
    (404 for strangers and missing ids, 403 for a member whose role is short)."""
    event = db.session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .options(selectinload(Event.ticket_types))
    )
    if event is None:
        raise event_not_found()
    _check(user, event.organization_id, roles)
    return event


def require_organization_role(user, organization_id: int, *roles) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("ORGANIZATION_NOT_FOUND", _("No such organization."))
    try:
        _check(user, organization.id, roles)
    except NotFound:
        raise NotFound("ORGANIZATION_NOT_FOUND", _("No such organization.")) from None
    return organization


def event_of_order(order_id: int) -> tuple[Order, Event] | None:
    """An event order with its event (None if not an event order)."""
    row = db.session.execute(
        select(Order, Event)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .join(TicketType, TicketType.id == OrderItem.ticket_type_id)
        .join(Event, Event.id == TicketType.event_id)
        .where(Order.id == order_id, Order.kind == "event")
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def require_order_role(user, order_id: int, *roles) -> tuple[Order, Event]:
    """An event order of an event the user may act on with one of the roles."""
    found = event_of_order(order_id)
    if found is None:
        raise order_not_found()
    order, event = found
    try:
        _check(user, event.organization_id, roles)
    except NotFound:
        raise order_not_found() from None
    return order, event


def may_see_orders(user, event: Event) -> bool:
    """For pages outside the organizer area (an order's ticket page)."""
    return role_in(user, event.organization_id) in ORDERS
