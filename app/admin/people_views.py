"""Back-office editors for payment methods, users and merchant API keys."""

from __future__ import annotations

from flask import (
    flash,
    redirect,
    url_for,
)
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from wtforms import SelectField, ValidationError
from wtforms.validators import DataRequired, Length

from app.accounts.merchant_keys import create_merchant_key, revoke_merchant_key
from app.accounts.models import ROLES, User
from app.accounts.services import set_disabled
from app.admin import services
from app.admin.access import choices
from app.admin.model_base import AuditedModelView, row_button
from app.digits import ascii_int
from app.extensions import db


class PaymentMethodView(AuditedModelView):
    column_list = (
        "id",
        "code",
        "name",
        "backend",
        "auto_approve",
        "active",
        "sort_order",
    )
    column_filters = ("backend", "active", "auto_approve")
    form_columns = (
        "code",
        "name",
        "backend",
        "auto_approve",
        "settings",
        "active",
        "sort_order",
        "description",
    )
    form_overrides = {"backend": SelectField}
    form_args = {
        "backend": {
            "choices": choices(
                [
                    ("esewa", "eSewa"),
                    ("komoju", "Komoju"),
                    ("paysession", _l("Payment session")),
                    ("manual", _l("Manual (bank transfer)")),
                ]
            )
        },
        "settings": {
            "description": _l(
                'JSON, e.g. {"currencies": ["NPR"], "max_amount": 100000}'
            )
        },
    }


class UserView(AuditedModelView):
    can_create = False
    can_delete = False
    column_list = ("id", "email", "name", "phone", "role", "created_at", "disabled_at")
    column_filters = ("role", "created_at", "disabled_at")
    column_searchable_list = ("email", "name")
    column_exclude_list = ("password_hash",)
    column_details_exclude_list = ("password_hash",)
    form_columns = ("name", "email", "phone", "role")
    form_overrides = {"role": SelectField}
    form_args = {"role": {"choices": choices((r, r) for r in ROLES)}}

    def on_model_change(self, form, model, is_created):
        if model.id == current_user.id and model.role != "admin":
            raise ValidationError(_("You cannot remove your own admin role."))
        super().on_model_change(form, model, is_created)

    def _set_disabled(self, ids, disabled: bool) -> int:
        done = 0
        for user_id in ids:
            user = db.session.get(User, ascii_int(str(user_id), 12) or 0)
            if user is None or (disabled and user.id == current_user.id):
                continue
            if set_disabled(user, disabled):
                event = "user.disable" if disabled else "user.enable"
                services.record(event, f"User#{user.id}")
                done += 1
        db.session.commit()
        return done

    @action(
        "disable",
        _l("Disable"),
        _l("Disable the selected accounts? They are signed out everywhere at once."),
    )
    def action_disable(self, ids):
        done = self._set_disabled(ids, True)
        flash(
            ngettext(
                "%(num)d account disabled and signed out.",
                "%(num)d accounts disabled and signed out.",
                done,
            ),
            "success",
        )

    @action("enable", _l("Enable"), _l("Enable the selected accounts again?"))
    def action_enable(self, ids):
        done = self._set_disabled(ids, False)
        flash(
            ngettext("%(num)d account enabled.", "%(num)d accounts enabled.", done),
            "success",
        )


class MerchantKeyView(AuditedModelView):
    """Keys are generated here and shown once; only a hash is stored."""

    can_edit = False
    can_delete = False
    column_list = ("id", "name", "key_prefix", "created_at", "revoked_at")
    column_details_exclude_list = ("key_hash", "key_salt")
    column_formatters = {
        "revoked_at": lambda v, c, m, n: row_button(
            m.revoked_at or "",
            m.revoked_at is None,
            url_for("merchant_keys.revoke", key_id=m.id),
            _("Revoke"),
            "revoke",
        )
    }
    form_columns = ("name",)
    form_args = {"name": {"validators": [DataRequired(), Length(max=80)]}}

    def create_model(self, form):
        try:
            raw, key = create_merchant_key(form.name.data.strip())
            services.record("create", f"MerchantKey#{key.id}", {"name": key.name})
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - shown to the admin, as Flask-Admin does
            db.session.rollback()
            flash(_("Could not create the key: %(error)s", error=exc), "error")
            return False
        flash(
            Markup("{} <code>{}</code>").format(
                _("New key (copy it now, it is shown only once):"), raw
            ),
            "success",
        )
        return key

    @expose("/revoke/<int:key_id>", methods=("POST",))
    def revoke(self, key_id: int):
        if revoke_merchant_key(key_id):
            services.record("merchant_key.revoke", f"MerchantKey#{key_id}")
            db.session.commit()
            flash(_("The key was revoked."), "success")
        else:
            flash(_("That key is already revoked."), "error")
        return redirect(url_for(".index_view"))

    @action(
        "revoke",
        _l("Revoke"),
        _l("Revoke the selected keys? Their callers stop working."),
    )
    def action_revoke(self, ids):
        done = 0
        for key_id in ids:
            if revoke_merchant_key(int(key_id)):
                services.record("merchant_key.revoke", f"MerchantKey#{key_id}")
                done += 1
        db.session.commit()
        flash(
            ngettext("%(num)d key revoked.", "%(num)d keys revoked.", done), "success"
        )
