"""Every (status, event) of every sandbox lifecycle, the illegal ones included.

The expected moves are written out here again, independently of the tables in
`app.sandbox.states`, so a change to a table has to be made twice on purpose.
"""

from __future__ import annotations

import itertools
import json

import pytest

from app.sandbox.states import (
    ESEWA_MOVES,
    KOMOJU_PAYMENT_MOVES,
    KOMOJU_SESSION_MOVES,
    PAYSESSION_ORDER_MOVES,
    EsewaStatus,
    IllegalMove,
    KomojuPaymentStatus,
    KomojuSessionStatus,
    PaysessionOrderStatus,
    next_status,
)

E, KS, KP, PO = (
    EsewaStatus,
    KomojuSessionStatus,
    KomojuPaymentStatus,
    PaysessionOrderStatus,
)

LIFECYCLES = {
    "esewa": (
        ESEWA_MOVES,
        EsewaStatus,
        ("start", "pay", "abandon"),
        {
            (E.PENDING, "start"): E.PENDING,
            (E.NOT_FOUND, "start"): E.PENDING,
            (E.PENDING, "pay"): E.COMPLETE,
            (E.NOT_FOUND, "pay"): E.COMPLETE,
            (E.COMPLETE, "pay"): E.COMPLETE,
            (E.PENDING, "abandon"): E.NOT_FOUND,
            (E.NOT_FOUND, "abandon"): E.NOT_FOUND,
        },
    ),
    "komoju_session": (
        KOMOJU_SESSION_MOVES,
        KomojuSessionStatus,
        ("complete", "cancel"),
        {
            (KS.PENDING, "complete"): KS.COMPLETED,
            (KS.PENDING, "cancel"): KS.CANCELLED,
        },
    ),
    "komoju_payment": (
        KOMOJU_PAYMENT_MOVES,
        KomojuPaymentStatus,
        ("pay_at_store", "capture", "expire", "cancel", "refund_part", "refund_rest"),
        {
            (KP.AUTHORIZED, "pay_at_store"): KP.CAPTURED,
            (KP.AUTHORIZED, "capture"): KP.CAPTURED,
            (KP.AUTHORIZED, "expire"): KP.EXPIRED,
            (KP.PENDING, "expire"): KP.EXPIRED,
            (KP.AUTHORIZED, "cancel"): KP.CANCELLED,
            (KP.PENDING, "cancel"): KP.CANCELLED,
            (KP.CAPTURED, "refund_part"): KP.CAPTURED,
            (KP.CAPTURED, "refund_rest"): KP.REFUNDED,
        },
    ),
    "paysession_order": (
        PAYSESSION_ORDER_MOVES,
        PaysessionOrderStatus,
        ("pay", "attempt_failed", "terminate"),
        {
            (PO.ACTIVE, "pay"): PO.PAID,
            (PO.ACTIVE, "attempt_failed"): PO.ACTIVE,
            (PO.ACTIVE, "terminate"): PO.TERMINATED,
        },
    ),
}

CASES = [
    pytest.param(name, status, event, id=f"{name}-{status}-{event}")
    for name, (_table, statuses, events, _expected) in LIFECYCLES.items()
    for status, event in itertools.product(statuses, events)
]


@pytest.mark.parametrize(("name", "status", "event"), CASES)
def test_every_status_and_event(name, status, event):
    table, _statuses, _events, expected = LIFECYCLES[name]
    if (status, event) in expected:
        assert next_status(table, status, event) == expected[(status, event)]
    else:
        with pytest.raises(IllegalMove):
            next_status(table, status, event)


@pytest.mark.parametrize("name", list(LIFECYCLES))
def test_tables_name_only_known_events(name):
    table, _statuses, events, _expected = LIFECYCLES[name]
    assert {event for _status, event in table} <= set(events)


def test_statuses_read_back_from_json_compare_equal():
    """Records come back from Redis as plain strings."""
    stored = json.loads(json.dumps({"status": KomojuPaymentStatus.AUTHORIZED}))
    assert type(stored["status"]) is str
    assert stored["status"] == KomojuPaymentStatus.AUTHORIZED
    assert next_status(KOMOJU_PAYMENT_MOVES, "captured", "refund_rest") == "refunded"
