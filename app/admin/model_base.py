"""The model views' common ground: every create, update and delete writes an
`AuditLog` row in the same transaction; list cells and money columns."""

from __future__ import annotations

from flask_admin.contrib.sqla import ModelView
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.admin import services
from app.admin.access import AdminForm, AdminOnly
from app.extensions import db
from app.money import display_amount


class AuditedModelView(AdminOnly, ModelView):
    """A ModelView whose every create, update and delete is audited."""

    form_base_class = AdminForm
    page_size = 50
    can_view_details = True
    can_set_page_size = True

    # Foreign keys edited as plain selects: {column: function returning options}.
    # (Flask-Admin's relationship fields pass WTForms 3.3 deprecated tuples.)
    fk_choices: dict = {}

    def __init__(self, model, **kwargs):
        super().__init__(model, db.session, **kwargs)

    def create_form(self, obj=None):
        return self._with_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._with_choices(super().edit_form(obj))

    def _with_choices(self, form):
        for name, options in self.fk_choices.items():
            getattr(form, name).choices = options()
        return form

    def on_model_change(self, form, model, is_created):
        if is_created:
            db.session.flush()
            services.record(
                "create", services.target_of(model), services.snapshot_of(model)
            )
        else:
            changes = services.changes_of(model)
            if changes:
                services.record("update", services.target_of(model), changes)

    def on_model_delete(self, model):
        services.record(
            "delete", services.target_of(model), services.snapshot_of(model)
        )


def row_button(value, show: bool, url: str, label: str, name: str) -> Markup:
    """A one-button POST form in a list cell (works under the app's CSP, unlike
    Flask-Admin's inline-onclick bulk-action menu)."""
    if not show:
        return Markup("{}").format(value)
    return Markup(
        '{} <form method="post" action="{}" class="d-inline {}-form">'
        '<input type="hidden" name="csrf_token" value="{}">'
        '<button type="submit" class="btn btn-sm btn-warning {}-button">{}</button>'
        "</form>"
    ).format(value, url, name, generate_csrf(), name, label)


class ReadOnlyView(AuditedModelView):
    can_create = False
    can_edit = False
    can_delete = False
    column_default_sort = ("id", True)


def money_column(view, context, model, name):
    return display_amount(getattr(model, name), model.currency)


def fk_select(label) -> dict:
    return {"label": label, "coerce": int}
