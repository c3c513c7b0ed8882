from __future__ import annotations

import pytest


@pytest.fixture
def nepal_vat(db):
    """The demo shop as a VAT-registered Nepali seller, prices including 13 %."""
    from app.tax.services import save_config

    config = save_config(
        "shop",
        country="NP",
        registered=True,
        legal_name="Storefront Pvt. Ltd.",
        address="Kathmandu",
        registration_number="123456789",
        prices_include_tax=True,
    )
    db.session.commit()
    return config
