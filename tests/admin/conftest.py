"""Admin fixtures: users of every role and a logged-in admin client."""

from __future__ import annotations

import pytest

from tests.booklets.conftest import (
    login,
    new_client,
    shop,  # noqa: F401 - the booklet shop here too
)


@pytest.fixture
def people(factory):
    class People:
        pass

    p = People()
    p.admin = factory.user(email="admin@example.com", name="Ada Admin", role="admin")
    p.customer = factory.user(email="buyer@example.com", name="Sita Shrestha")
    p.organizer = factory.user(
        email="org@example.com", name="Olu Organizer", role="organizer"
    )
    return p


@pytest.fixture
def admin_client(app, people):
    client = new_client(app)
    login(client, people.admin)
    return client
