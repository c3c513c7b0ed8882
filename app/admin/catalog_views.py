"""Back-office editors for what is sold: products, training cohorts and
sessions, events and their ticket types, promotions."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.accounts.models import User
from app.admin.access import choices
from app.admin.model_base import AuditedModelView, fk_select, money_column
from app.catalog.models import (
    PRODUCT_TYPES,
    Event,
    Product,
    TrainingCohort,
)
from app.extensions import db
from app.i18n.labels import PRODUCT_TYPES as PRODUCT_TYPE_WORDS
from app.organizer.organizations import home_organization


class ProductView(AuditedModelView):
    column_list = (
        "id",
        "type",
        "slug",
        "title",
        "price",
        "currency",
        "active",
        "stock",
        "file_name",
    )
    column_filters = ("type", "active", "currency")
    column_searchable_list = ("title", "slug")
    column_formatters = {"price": money_column}
    column_labels = {"file_name": _l("Book file")}
    form_columns = (
        "type",
        "slug",
        "title",
        "description",
        "price",
        "currency",
        "active",
        "validity_days",
        "stock",
    )
    form_overrides = {"type": SelectField}
    form_args = {
        "type": {"choices": choices((t, PRODUCT_TYPE_WORDS[t]) for t in PRODUCT_TYPES)},
        "price": {
            "description": _l(
                "In the currency's minor unit (paisa, cents; yen has none)."
            ),
            "validators": [NumberRange(min=0)],
        },
        "currency": {"validators": [DataRequired(), Length(min=3, max=3)]},
        "stock": {
            "description": _l("Printed booklets: copies on hand. Empty = not counted."),
            "validators": [Optional(), NumberRange(min=0)],
        },
        "validity_days": {
            "description": _l("Days of access after purchase; empty = lifetime."),
            "validators": [Optional(), NumberRange(min=1)],
        },
    }

    def on_model_change(self, form, model, is_created):
        model.currency = (model.currency or "").upper()
        if model.type != "booklet" and model.stock is not None:
            raise ValidationError(_("Only printed booklets have stock."))
        super().on_model_change(form, model, is_created)


def _training_choices() -> list[SelectChoice]:
    products = db.session.scalars(
        select(Product).where(Product.type == "training").order_by(Product.title)
    )
    return choices((p.id, p.title) for p in products)


def _cohort_choices() -> list[SelectChoice]:
    cohorts = db.session.scalars(select(TrainingCohort).order_by(TrainingCohort.id))
    return choices((c.id, f"{c.product.title} — {c.name}") for c in cohorts)


def _event_choices() -> list[SelectChoice]:
    events = db.session.scalars(select(Event).order_by(Event.starts_at))
    return choices((e.id, e.title) for e in events)


class CohortView(AuditedModelView):
    column_list = (
        "id",
        "product",
        "name",
        "capacity",
        "seats_taken",
        "seats_held",
        "starts_on",
        "ends_on",
    )
    column_filters = ("starts_on",)
    column_formatters = {"product": lambda v, c, m, n: m.product.title}
    form_columns = ("product_id", "name", "capacity", "starts_on", "ends_on")
    form_overrides = {"product_id": SelectField}
    form_args = {
        "product_id": fk_select(_l("Training")),
        "capacity": {"validators": [NumberRange(min=1)]},
    }
    fk_choices = {"product_id": _training_choices}

    def on_model_change(self, form, model, is_created):
        if model.ends_on < model.starts_on:
            raise ValidationError(_("A cohort cannot end before it starts."))
        if model.capacity < (model.seats_taken or 0) + (model.seats_held or 0):
            raise ValidationError(
                _("Capacity is below the seats already taken or held.")
            )
        super().on_model_change(form, model, is_created)


class SessionView(AuditedModelView):
    column_list = ("id", "cohort", "title", "starts_at")
    column_formatters = {
        "cohort": lambda v, c, m, n: f"{m.cohort.product.title} — {m.cohort.name}"
    }
    form_columns = ("cohort_id", "title", "starts_at", "content")
    form_overrides = {"cohort_id": SelectField}
    form_args = {"cohort_id": fk_select(_l("Cohort"))}
    fk_choices = {"cohort_id": _cohort_choices}


def _organizer_choices() -> list[SelectChoice]:
    users = db.session.scalars(
        select(User).where(User.role.in_(("organizer", "admin"))).order_by(User.name)
    )
    return choices((u.id, f"{u.name} <{u.email}>") for u in users)


class EventView(AuditedModelView):
    column_list = (
        "id",
        "slug",
        "title",
        "organizer_id",
        "venue",
        "starts_at",
        "currency",
        "active",
    )
    column_filters = ("active", "currency", "starts_at")
    column_searchable_list = ("title", "slug")
    form_columns = (
        "organizer_id",
        "slug",
        "title",
        "description",
        "venue",
        "starts_at",
        "ends_at",
        "currency",
        "active",
    )
    form_overrides = {"organizer_id": SelectField}
    fk_choices = {"organizer_id": _organizer_choices}
    form_args = {
        "organizer_id": fk_select(_l("Organizer")),
        "currency": {"validators": [DataRequired(), Length(min=3, max=3)]},
    }

    def on_model_change(self, form, model, is_created):
        model.currency = (model.currency or "").upper()
        if model.ends_at <= model.starts_at:
            raise ValidationError(_("An event must end after it starts."))
        if is_created or not model.organization_id:
            # The organizer's own organization owns what an admin creates for
            # them (found, or made, while the half-made event is set aside).
            if is_created:
                db.session.expunge(model)
            organizer = db.session.get(User, int(model.organizer_id))
            model.organization_id = home_organization(organizer).id
            db.session.add(model)
        super().on_model_change(form, model, is_created)


class TicketTypeView(AuditedModelView):
    column_list = (
        "id",
        "event",
        "name",
        "price",
        "quantity_total",
        "quantity_sold",
        "reserved",
    )
    column_formatters = {"event": lambda v, c, m, n: m.event.title}
    form_columns = ("event_id", "name", "price", "quantity_total")
    form_overrides = {"event_id": SelectField}
    fk_choices = {"event_id": _event_choices}
    form_args = {
        "event_id": fk_select(_l("Event")),
        "price": {"validators": [NumberRange(min=0)]},
        "quantity_total": {"validators": [NumberRange(min=0)]},
    }

    def on_model_change(self, form, model, is_created):
        if model.quantity_total < (model.quantity_sold or 0) + (model.reserved or 0):
            raise ValidationError(_("Total is below the tickets already sold or held."))
        super().on_model_change(form, model, is_created)


class PromotionView(AuditedModelView):
    column_list = (
        "id",
        "code",
        "kind",
        "value",
        "currency",
        "scope",
        "starts_at",
        "ends_at",
        "max_uses",
        "uses_count",
        "active",
    )
    column_filters = ("active", "kind", "scope")
    column_searchable_list = ("code",)
    form_columns = (
        "code",
        "kind",
        "value",
        "currency",
        "scope",
        "product_types",
        "product_ids",
        "starts_at",
        "ends_at",
        "max_uses",
        "per_user_limit",
        "active",
    )
    form_overrides = {"kind": SelectField, "scope": SelectField}
    form_args = {
        "kind": {
            "choices": choices([("percent", _l("percent")), ("fixed", _l("fixed"))])
        },
        "scope": {
            "choices": choices(
                [
                    ("all", _l("all")),
                    ("types", _l("product types")),
                    ("products", _l("products")),
                ]
            )
        },
        "value": {"validators": [NumberRange(min=0)]},
    }

    def on_model_change(self, form, model, is_created):
        if model.kind == "percent" and not 0 <= model.value <= 100:
            raise ValidationError(_("A percentage is between 0 and 100."))
        super().on_model_change(form, model, is_created)
