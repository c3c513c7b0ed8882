"""The orders package dispatches "what happens to the goods" by order kind,
through the callables `app.composition` installs - never by importing a domain."""

from __future__ import annotations

from app import composition
from app.orders import fulfilment
from app.orders.models import ORDER_KINDS, Order


def test_every_order_kind_has_its_goods_wired():
    assert set(composition.ORDER_KINDS) == set(ORDER_KINDS)


def test_the_app_dispatches_to_the_installed_kind(app):
    for kind, handlers in composition.ORDER_KINDS.items():
        assert fulfilment.kind_of(Order(kind=kind)) is handlers


def test_a_kind_without_goods_delivers_nothing_and_never_fails(app):
    order = Order(kind="gift_card")  # no such kind is installed
    assert fulfilment.paid(order, late=False) is True
    assert fulfilment.held(order) is None
    assert fulfilment.cancelled(order) is None
    assert fulfilment.refunded(order) is None


def test_each_app_gets_its_own_wiring(app, monkeypatch):
    calls = []
    kinds = {"cart": fulfilment.OrderKind(paid=lambda o, late: calls.append(o.id))}
    monkeypatch.setitem(app.extensions, "storefront.order_kinds", kinds)
    fulfilment.paid(Order(id=7, kind="cart"), late=False)
    assert calls == [7]
