"""Roles of an organization's members, and what each role may do.

One table decides every organizer page and API: a view names the capability it
needs (`EVENTS`, `ORDERS`, …) and `app.organizer.access` checks the member's
role against it. Roles are strings in the database; nothing compares them with
string literals.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"  # everything but members and payouts
    STAFF = "staff"  # orders and refunds
    CHECK_IN = "check_in"  # the door only


ROLES = tuple(Role)

# Capabilities: the roles allowed to do each kind of thing.
MEMBERS = frozenset({Role.OWNER})
PAYOUTS = frozenset({Role.OWNER})
EVENTS = frozenset({Role.OWNER, Role.MANAGER})  # create, edit, publish, cancel
PROMOTIONS = EVENTS
ORDERS = frozenset({Role.OWNER, Role.MANAGER, Role.STAFF})  # view, refund, resend
CHECK_IN = frozenset(ROLES)  # the door: every member may scan tickets
ANY = frozenset(ROLES)
