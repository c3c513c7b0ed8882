"""Flask CLI commands: demo data and merchant keys."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import click
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.accounts.merchant_keys import create_merchant_key, revoke_merchant_key
from app.accounts.models import User
from app.catalog.models import (
    Event,
    Product,
    TicketType,
    TrainingCohort,
    TrainingSession,
)
from app.db import utcnow
from app.downloads.sample_book import sample_pdf
from app.downloads.services import has_file, store_book_bytes
from app.extensions import db
from app.organizer.organizations import home_organization
from app.outbox.relay import maintenance_tick
from app.payments.models import PaymentMethod
from app.promotions.models import Promotion
from app.services_errors import ServiceError
from app.tax.services import save_config

TOKYO = "Asia/Tokyo"
KATHMANDU = "Asia/Kathmandu"  # UTC+05:45
DEMO_PASSWORD = "demo-pass-123"  # noqa: S105 - demo logins are printed on purpose
# The demo event whose ticket sales have ended (issue #17).
SALES_ENDED_SLUG = "osaka-design-workshop"

DEMO_USERS = [
    ("customer@example.com", "Demo Customer", "customer", "+9779800000001"),
    ("organizer@example.com", "Demo Organizer", "organizer", "+819000000002"),
    ("admin@example.com", "Demo Admin", "admin", "+9779800000003"),
]

# Each method's clock follows its gateway (app.payments.deadlines): minutes at a
# hosted page, the slip's own deadline for konbini (minutes until it is issued),
# days for a bank transfer.
BANK_ACCOUNTS = {
    "NPR": {
        "bank_name": "Nabil Bank, Kamaladi branch",
        "account_name": "Storefront Pvt. Ltd.",
        "account_number": "0101017500123",
    },
    "JPY": {
        "bank_name": "みずほ銀行 渋谷支店 (Mizuho Bank, Shibuya branch)",
        "account_name": "カ）ストアフロント",
        "account_number": "普通 1234567",
    },
    "INR": {
        "bank_name": "HDFC Bank, Fort branch (IFSC HDFC0000060)",
        "account_name": "Storefront India Pvt Ltd",
        "account_number": "50200012345678",
    },
}

PAYMENT_METHODS = [
    # code, name, backend, auto_approve, settings, sort
    (
        "esewa",
        "eSewa",
        "esewa",
        False,
        {"currencies": ["NPR"], "hold_minutes": 15},
        1,
    ),
    (
        "komoju_card",
        "Credit card (Komoju)",
        "komoju",
        False,
        {"currencies": ["JPY"], "payment_type": "credit_card", "hold_minutes": 30},
        2,
    ),
    (
        "komoju_konbini",
        "Konbini (convenience store)",
        "komoju",
        False,
        {
            "currencies": ["JPY"],
            "payment_type": "konbini",
            "max_amount": 30000000,
            "hold_minutes": 60,
        },
        3,
    ),
    (
        "paysession",
        "Card / UPI (payment session)",
        "paysession",
        False,
        {"currencies": ["INR"], "hold_minutes": 30},
        4,
    ),
    (
        "bank_transfer",
        "Manual bank transfer",
        "manual",
        False,
        {
            "currencies": ["NPR", "JPY", "INR"],
            "deadline_days": 3,
            "accounts": BANK_ACCOUNTS,
        },
        5,
    ),
]


def seed_demo_data() -> list[tuple[str, str, str]]:
    """Create the demo catalog and users once; running again changes nothing."""

    users = {}
    for email, name, role, phone in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(
                email=email,
                name=name,
                role=role,
                phone=phone,
                password_hash=generate_password_hash(DEMO_PASSWORD),
            )
            db.session.add(user)
        users[role] = user
    db.session.flush()

    for code, name, backend, auto, settings, sort in PAYMENT_METHODS:
        if db.session.scalar(select(PaymentMethod).where(PaymentMethod.code == code)):
            continue
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

    def product(slug, **kw):
        existing = db.session.scalar(select(Product).where(Product.slug == slug))
        if existing:
            return existing
        item = Product(slug=slug, **kw)
        db.session.add(item)
        db.session.flush()
        return item

    product(
        "python-basics",
        type="course",
        title="Python Basics",
        description="Learn Python from scratch with hands-on exercises.",
        price=80000,
        currency="NPR",
        validity_days=365,
    )
    product(
        "web-with-flask",
        type="course",
        title="Web Apps with Flask",
        description="Build and ship a server-rendered web app.",
        price=50000,
        currency="NPR",
        validity_days=180,
    )
    book = product(
        "data-handbook",
        type="digital_book",
        title="The Data Handbook (PDF)",
        description="A practical guide to working with data.",
        price=30000,
        currency="NPR",
        validity_days=None,
    )
    if not has_file(book):  # also after `instance/` was wiped
        store_book_bytes(book, sample_pdf(book), "data-handbook.pdf")
    product(
        "kathmandu-field-guide",
        type="booklet",
        title="Kathmandu Field Guide (printed booklet)",
        description="A pocket-sized printed guide, shipped to your door.",
        price=45000,
        currency="NPR",
        validity_days=None,
        stock=25,
    )
    training = product(
        "fullstack-bootcamp",
        type="training",
        title="Full-stack Bootcamp (Kathmandu)",
        description="Six weeks of live, instructor-led training in Kathmandu.",
        price=250000,
        currency="NPR",
        validity_days=120,
    )
    if not training.cohorts:
        today = utcnow().date()
        spring = TrainingCohort(
            product_id=training.id,
            name="Spring cohort",
            capacity=20,
            starts_on=today + dt.timedelta(days=30),
            ends_on=today + dt.timedelta(days=72),
            timezone=KATHMANDU,
        )
        small = TrainingCohort(
            product_id=training.id,
            name="Evening cohort (small group)",
            capacity=3,
            starts_on=today + dt.timedelta(days=45),
            ends_on=today + dt.timedelta(days=87),
            timezone=KATHMANDU,
        )
        db.session.add_all([spring, small])
        db.session.flush()
        for cohort in (spring, small):
            # 18:00 in Kathmandu (UTC+05:45) is 12:15 UTC.
            start = local_to_utc(cohort.starts_on, dt.time(18, 0), KATHMANDU)
            for week, title in enumerate(
                [
                    "Orientation and tooling",
                    "Backend foundations",
                    "Shipping to production",
                ]
            ):
                db.session.add(
                    TrainingSession(
                        cohort_id=cohort.id,
                        title=title,
                        starts_at=start + dt.timedelta(weeks=week * 2),
                        content=f"Materials for '{title}': slides and exercises.",
                    )
                )

    if not db.session.scalar(select(Event).where(Event.slug == "tokyo-dev-meetup")):
        # Doors at 18:00 in Tokyo (09:00 UTC), eight hours of talks.
        starts = local_to_utc(
            utcnow().date() + dt.timedelta(days=40), dt.time(18, 0), TOKYO
        )
        event = Event(
            organizer_id=users["organizer"].id,
            organization_id=home_organization(users["organizer"]).id,
            slug="tokyo-dev-meetup",
            title="Tokyo Developer Meetup",
            description="Talks and networking for web developers.",
            venue="Shibuya Hall, Tokyo",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=4),
            timezone=TOKYO,
            currency="JPY",
        )
        db.session.add(event)
        db.session.flush()
        db.session.add_all(
            [
                TicketType(
                    event_id=event.id, name="General", price=3000, quantity_total=100
                ),
                TicketType(
                    event_id=event.id, name="VIP", price=8000, quantity_total=10
                ),
            ]
        )

    if not db.session.scalar(select(Event).where(Event.slug == SALES_ENDED_SLUG)):
        # Next month's workshop whose ticket sales already closed yesterday:
        # the event page says so and checkout answers 409 SALES_CLOSED.
        starts = local_to_utc(
            utcnow().date() + dt.timedelta(days=20), dt.time(14, 0), TOKYO
        )
        closed = Event(
            organizer_id=users["organizer"].id,
            organization_id=home_organization(users["organizer"]).id,
            slug=SALES_ENDED_SLUG,
            title="Osaka Design Workshop (sales closed)",
            description="A hands-on afternoon; ticket sales have ended.",
            venue="Umeda Studio, Osaka",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=3),
            timezone=TOKYO,
            currency="JPY",
        )
        db.session.add(closed)
        db.session.flush()
        db.session.add(
            TicketType(
                event_id=closed.id,
                name="Workshop seat",
                price=5000,
                quantity_total=30,
                sales_end_at=utcnow() - dt.timedelta(days=1),
            )
        )

    _set_demo_zones(Event, TrainingCohort, training)

    if not db.session.scalar(select(Promotion).where(Promotion.code == "WELCOME10")):
        db.session.add(
            Promotion(code="WELCOME10", kind="percent", value=10, scope="all")
        )
    if not db.session.scalar(select(Promotion).where(Promotion.code == "TRAIN2026")):
        db.session.add(
            Promotion(
                code="TRAIN2026",
                kind="percent",
                value=20,
                scope="types",
                product_types=["training"],
            )
        )
    db.session.commit()
    return [(email, DEMO_PASSWORD, role) for email, _n, role, _p in DEMO_USERS]


def local_to_utc(day: dt.date, at: dt.time, zone: str) -> dt.datetime:
    """A wall-clock time in `zone` as the naive UTC the database stores."""
    local = dt.datetime.combine(day, at, tzinfo=ZoneInfo(zone))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _set_demo_zones(event_model, cohort_model, training) -> None:
    """Demo data loaded before events and cohorts had zones gets them now."""
    event = db.session.scalar(
        select(event_model).where(event_model.slug == "tokyo-dev-meetup")
    )
    if event is not None and event.timezone == "UTC":
        event.timezone = TOKYO
    for cohort in training.cohorts:
        if cohort.timezone == "UTC":
            cohort.timezone = KATHMANDU


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo():
        """Load demo users, catalog, event, promo codes (idempotent)."""
        logins = seed_demo_data()
        click.echo("Demo data ready. Logins:")
        for email, password, role in logins:
            click.echo(f"  {role:<10} {email}  /  {password}")

    @app.cli.group("merchant-keys")
    def merchant_keys():
        """Server API keys for the PaymentService RPC."""

    @merchant_keys.command("create")
    @click.argument("name")
    def create_key(name: str):
        raw, key = create_merchant_key(name)
        db.session.commit()
        click.echo(
            f"Created merchant key #{key.id} '{name}'. Store it now; it is shown once:"
        )
        click.echo(raw)

    @merchant_keys.command("revoke")
    @click.argument("key_id", type=int)
    def revoke_key(key_id: int):
        if revoke_merchant_key(key_id):
            db.session.commit()
            click.echo(f"Revoked merchant key #{key_id}.")
        else:
            raise click.ClickException(f"No active merchant key #{key_id}.")

    @app.cli.command("tax-config")
    @click.option("--seller", default="shop", help='"shop" or "organizer:<user id>"')
    @click.option("--country", type=click.Choice(["NP", "JP"]), required=True)
    @click.option("--registered/--unregistered", default=True)
    @click.option("--name", "legal_name", default="")
    @click.option("--address", default="")
    @click.option("--number", "registration_number", default="")
    @click.option("--inclusive/--exclusive", "prices_include_tax", default=True)
    @click.option("--reduced", multiple=True, help="product kind at Japan's 8 %")
    @click.option("--fiscal-start-month", type=int, default=1)
    def tax_config(seller: str, reduced: tuple[str, ...], **fields):
        """Set a seller's tax (e.g. the demo shop: --country NP --number 123456789)."""
        try:
            config = save_config(
                seller,
                rates={kind: 800 for kind in reduced},
                fiscal_year_start_month=fields.pop("fiscal_start_month"),
                **fields,
            )
        except ServiceError as exc:
            raise click.ClickException(str(exc.message)) from exc
        db.session.commit()
        click.echo(
            f"{seller}: {config.country}, registered={config.registered}, "
            f"{config.standard_rate / 100:g} %, inclusive={config.prices_include_tax}"
        )

    @app.cli.command("maintenance")
    def maintenance():
        """Run one maintenance tick now (relay the outbox, clean old rows)."""

        click.echo(maintenance_tick(reschedule=False))
