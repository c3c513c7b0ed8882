"""Issue #13 finding 3: refund quantities are ASCII digits or a clear 400."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.order_views.refund_form import parse_refund_form
from app.services_errors import ServiceError


@pytest.mark.parametrize("typed", ["²", "١", "３", "1_0", "+1"])
def test_odd_digits_in_a_refund_quantity_are_a_400(app, typed):
    order = SimpleNamespace(
        items=[SimpleNamespace(id=7, title="Python Basics")], currency="NPR"
    )
    with pytest.raises(ServiceError) as caught:
        parse_refund_form({"qty-7": typed}, order)
    assert caught.value.status == 400


def test_ascii_quantity_is_read(app):
    order = SimpleNamespace(
        items=[SimpleNamespace(id=7, title="Python Basics")], currency="NPR"
    )
    assert parse_refund_form({"qty-7": "2"}, order).lines == {7: 2}
