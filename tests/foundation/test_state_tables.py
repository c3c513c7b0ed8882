"""Every state table, walked completely: each (state, event) pair either moves to
the one expected state or is refused with IllegalTransition.

The expected moves are written out here by hand, independently of the tables in
the states modules, so a changed table fails until this list agrees with it.
"""

from __future__ import annotations

from enum import StrEnum

import pytest

from app.events.states import WAITLIST_LIFECYCLE, WaitlistStatus
from app.lifecycle import IllegalTransition, Lifecycle
from app.mail.states import EMAIL_LIFECYCLE, EmailStatus
from app.orders.shipping_states import SHIPPING_LIFECYCLE, ShippingStatus
from app.orders.states import ORDER_LIFECYCLE, OrderStatus
from app.outbox.states import EVENT_LIFECYCLE, EventStatus
from app.payments.receipt_states import RECEIPT_LIFECYCLE, ReceiptStatus
from app.payments.refund_states import REFUND_LIFECYCLE, RefundStatus
from app.payments.states import PAYMENT_LIFECYCLE, PaymentStatus
from app.rpc.states import NOTIFICATION_LIFECYCLE, NotificationStatus
from app.training.states import ENROLLMENT_LIFECYCLE, EnrollmentStatus

ORDER_MOVES = {
    ("payment_pending", "hold"): "on_hold",
    ("payment_pending", "capture"): "paid",
    ("on_hold", "capture"): "paid",
    ("failed", "capture"): "paid",
    ("cancelled", "capture"): "paid",  # a late capture reconciles to paid
    ("payment_pending", "fail"): "failed",
    ("on_hold", "fail"): "failed",
    ("failed", "retry"): "payment_pending",
    ("payment_pending", "cancel"): "cancelled",
    ("on_hold", "cancel"): "cancelled",
    ("failed", "cancel"): "cancelled",
    ("paid", "refund"): "refunded",
}

PAYMENT_MOVES = {
    ("created", "submit"): "pending",
    ("created", "authorize"): "authorized",
    ("pending", "authorize"): "authorized",
    **{
        (state, "capture"): "captured"
        for state in (
            "created",
            "pending",
            "authorized",
            "failed",
            "cancelled",
            "expired",
        )
    },
    ("created", "fail"): "failed",
    ("pending", "fail"): "failed",
    **{
        (state, "cancel"): "cancelled" for state in ("created", "pending", "authorized")
    },
    **{(state, "expire"): "expired" for state in ("created", "pending", "authorized")},
    ("captured", "refund"): "refunded",
}

SHIPPING_MOVES = {
    (None, "start"): "processing",
    ("processing", "ship"): "shipped",
    ("shipped", "deliver"): "delivered",
    ("delivered", "complete"): "completed",
    ("processing", "cancel"): "cancelled",
}

ENROLLMENT_MOVES = {
    ("pending", "enroll"): "enrolled",
    ("pending", "cancel"): "cancelled",
    ("enrolled", "refund"): "cancelled",
    ("cancelled", "reopen"): "pending",
}

OUTBOX_MOVES = {
    ("pending", "complete"): "completed",
    ("pending", "give_up"): "failed",
    ("failed", "redrive"): "pending",
}

EMAIL_MOVES = {("sending", "sent"): "sent"}

REFUND_MOVES = {
    ("requested", "claim"): "processing",
    ("requested", "succeed"): "succeeded",  # a refund recorded, not asked for
    ("processing", "succeed"): "succeeded",
    ("requested", "fail"): "failed",
    ("processing", "fail"): "failed",
}

RECEIPT_MOVES = {
    (None, "match"): "matched",
    (None, "queue"): "review",
    ("review", "accept"): "accepted",
    ("review", "return"): "returned",
}

NOTIFICATION_MOVES = {
    ("pending", "deliver"): "delivered",
    ("pending", "give_up"): "exhausted",
    ("exhausted", "resend"): "pending",
}

WAITLIST_MOVES = {
    ("waiting", "offer"): "offered",
    ("offered", "claim"): "claimed",
    ("offered", "expire"): "expired",
    ("waiting", "leave"): "left",
    ("offered", "leave"): "left",
}

TABLES = [
    ("waitlist", WAITLIST_LIFECYCLE, list(WaitlistStatus), WAITLIST_MOVES),
    ("order", ORDER_LIFECYCLE, list(OrderStatus), ORDER_MOVES),
    ("payment", PAYMENT_LIFECYCLE, list(PaymentStatus), PAYMENT_MOVES),
    ("shipping", SHIPPING_LIFECYCLE, [None, *ShippingStatus], SHIPPING_MOVES),
    ("enrollment", ENROLLMENT_LIFECYCLE, list(EnrollmentStatus), ENROLLMENT_MOVES),
    ("outbox", EVENT_LIFECYCLE, list(EventStatus), OUTBOX_MOVES),
    ("email", EMAIL_LIFECYCLE, list(EmailStatus), EMAIL_MOVES),
    ("refund", REFUND_LIFECYCLE, list(RefundStatus), REFUND_MOVES),
    ("receipt", RECEIPT_LIFECYCLE, [None, *ReceiptStatus], RECEIPT_MOVES),
    (
        "notification",
        NOTIFICATION_LIFECYCLE,
        list(NotificationStatus),
        NOTIFICATION_MOVES,
    ),
]


def _every_pair():
    for name, table, states, moves in TABLES:
        for state in states:
            for event in table.events:
                expected = moves.get((state, event))
                yield pytest.param(
                    table, state, event, expected, id=f"{name}-{state}-{event}"
                )


@pytest.mark.parametrize(("table", "state", "event", "expected"), list(_every_pair()))
def test_every_state_and_event(
    table: Lifecycle, state: str | None, event: str, expected: str | None
):
    if expected is None:
        with pytest.raises(IllegalTransition):
            table.next(state, event)
    else:
        assert table.next(state, event) == expected


@pytest.mark.parametrize(("name", "table", "states", "moves"), TABLES)
def test_the_expected_moves_name_only_real_states_and_events(
    name, table: Lifecycle, states, moves
):
    """The hand-written lists above cover exactly the table's events."""
    assert {event for _, event in moves} == set(table.events), name
    assert {state for state, _ in moves} <= set(states), name


def test_an_unknown_event_is_a_programming_error():
    with pytest.raises(KeyError):
        ORDER_LIFECYCLE.next("payment_pending", "teleport")


def test_a_refused_move_names_what_was_refused():
    """The refusal carries the table, the event and the state it was refused in
    (the services turn it into a 409 naming the order's state)."""
    with pytest.raises(IllegalTransition) as info:
        ORDER_LIFECYCLE.next("refunded", "capture")
    assert (info.value.kind, info.value.event, info.value.current) == (
        "order",
        "capture",
        "refunded",
    )
    assert str(info.value) == "cannot capture a order that is refunded"


@pytest.mark.parametrize(("name", "table", "states", "moves"), TABLES)
def test_each_event_names_its_sources_and_target(name, table: Lifecycle, states, moves):
    """What the conditional UPDATEs read: the from-states and the to-state."""
    for event in table.events:
        expected_sources = {state for (state, e) in moves if e == event}
        assert set(table.sources(event)) == expected_sources, (name, event)
        targets = {target for (_, e), target in moves.items() if e == event}
        assert {table.target(event)} == targets, (name, event)


def test_the_state_helpers_agree_with_the_tables():
    from app.orders.states import is_open, is_paid, next_order_status
    from app.payments.states import is_captured, is_settled, next_payment_status

    assert next_order_status("failed", "retry") == "payment_pending"
    assert next_payment_status("created", "submit") == "pending"
    with pytest.raises(IllegalTransition):
        next_order_status("paid", "capture")
    with pytest.raises(IllegalTransition):
        next_payment_status("refunded", "capture")
    assert [s for s in OrderStatus if is_open(s)] == [
        "payment_pending",
        "on_hold",
        "failed",
    ]
    assert [s for s in OrderStatus if is_paid(s)] == ["paid"]
    assert [s for s in PaymentStatus if is_settled(s)] == ["captured", "refunded"]
    assert [s for s in PaymentStatus if is_captured(s)] == ["captured"]


def test_a_table_built_from_any_iterables_answers_from_them():
    """Every table is built at import time; this one is built here, so a broken
    constructor fails a test rather than only the tables already built."""

    class Light(StrEnum):
        RED = "red"
        GREEN = "green"

    table = Lifecycle(
        "light", {"go": ([Light.RED], Light.GREEN), "start": ((None,), Light.RED)}
    )
    assert table.kind == "light"
    assert table.events == ("go", "start")
    assert table.sources("go") == frozenset({Light.RED})
    assert table.moves == {
        "go": (frozenset({Light.RED}), Light.GREEN),
        "start": (frozenset({None}), Light.RED),
    }
    assert table.next(None, "start") == "red"
    with pytest.raises(IllegalTransition) as info:
        table.next("green", "go")
    assert info.value.kind == "light"
