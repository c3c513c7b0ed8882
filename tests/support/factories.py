"""Small builders for test data; each commits so every connection sees it."""

from __future__ import annotations

import datetime as dt
import itertools

from werkzeug.security import generate_password_hash

from app.accounts.models import User
from app.catalog.models import (
    Event,
    Product,
    TicketType,
    TrainingCohort,
    TrainingSession,
)
from app.db import utcnow
from app.extensions import db
from app.organizer.models import Membership
from app.organizer.organizations import home_organization
from app.payments.models import PaymentMethod
from app.promotions.models import Promotion

PASSWORD = "secret-pass-1"
_seq = itertools.count(1)

# Hashing is deliberately slow; tests share one precomputed hash.
_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


class Factory:
    """Every builder first ends the test thread's read transaction: on SQLite a
    write from a stale snapshot fails with "database is locked"."""

    def __getattribute__(self, name):
        attr = object.__getattribute__(self, name)
        if callable(attr) and not name.startswith("_"):
            db.session.rollback()
        return attr

    def user(self, email: str | None = None, role: str = "customer", **kw) -> User:
        n = next(_seq)
        user = User(
            email=email or f"user{n}@example.com",
            name=kw.pop("name", f"User {n}"),
            phone=kw.pop("phone", "+9779800000000"),
            role=role,
            password_hash=_HASH,
            **kw,
        )
        db.session.add(user)
        db.session.commit()
        return user

    def member(self, event, role: str, **kw) -> User:
        """A customer account that belongs to the event's organization with
        `role` (owner, manager, staff, check_in)."""
        user = self.user(**kw)
        db.session.add(
            Membership(
                organization_id=event.organization_id, user_id=user.id, role=role
            )
        )
        db.session.commit()
        return user

    def product(self, type: str = "course", price: int = 80000, **kw) -> Product:
        n = next(_seq)
        product = Product(
            type=type,
            slug=kw.pop("slug", f"{type}-{n}"),
            title=kw.pop("title", f"{type.title()} {n}"),
            price=price,
            currency=kw.pop("currency", "NPR"),
            validity_days=kw.pop("validity_days", 365),
            **kw,
        )
        db.session.add(product)
        db.session.commit()
        return product

    def training(self, capacity: int = 5, price: int = 250000, **kw):
        product = self.product(
            "training", price=price, validity_days=kw.pop("validity_days", 120)
        )
        today = utcnow().date()
        cohort = TrainingCohort(
            product_id=product.id,
            name="Cohort A",
            capacity=capacity,
            starts_on=kw.pop("starts_on", today + dt.timedelta(days=30)),
            ends_on=today + dt.timedelta(days=60),
        )
        db.session.add(cohort)
        db.session.flush()
        session = TrainingSession(
            cohort_id=cohort.id,
            title="Session 1",
            starts_at=dt.datetime.combine(cohort.starts_on, dt.time(10)),
            content="Secret session content",
        )
        db.session.add(session)
        db.session.commit()
        return product, cohort, session

    def event(
        self, organizer: User | None = None, quantities=(100, 10), prices=(3000, 8000)
    ):
        organizer = organizer or self.user(role="organizer")
        n = next(_seq)
        start = utcnow() + dt.timedelta(days=30)
        event = Event(
            organizer_id=organizer.id,
            organization_id=home_organization(organizer).id,
            slug=f"event-{n}",
            title=f"Event {n}",
            venue="Hall",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=4),
            currency="JPY",
        )
        db.session.add(event)
        db.session.flush()
        types = [
            TicketType(event_id=event.id, name=f"Type {i}", price=p, quantity_total=q)
            for i, (q, p) in enumerate(zip(quantities, prices, strict=True))
        ]
        db.session.add_all(types)
        db.session.commit()
        return event, types

    def promotion(
        self, code: str = "SAVE10", kind: str = "percent", value: int = 10, **kw
    ):
        promo = Promotion(code=code, kind=kind, value=value, **kw)
        db.session.add(promo)
        db.session.commit()
        return promo

    def payment_methods(self):
        from app.cli import PAYMENT_METHODS

        for code, name, backend, auto, settings, sort in PAYMENT_METHODS:
            db.session.add(
                PaymentMethod(
                    code=code,
                    name=name,
                    backend=backend,
                    auto_approve=auto,
                    settings=settings,
                    sort_order=sort,
                )
            )
        db.session.commit()
