"""The tax settings form, for the shop (staff) and for each organizer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from app.i18n.forms import Form
from app.tax.models import TaxConfig
from app.tax.services import PRODUCT_KINDS, save_config

KIND_LABELS = {
    "course": _l("Courses"),
    "digital_book": _l("Digital books"),
    "training": _l("Trainings"),
    "booklet": _l("Printed booklets"),
    "ticket": _l("Event tickets"),
}


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class TaxSettingsForm(Form):
    country = SelectField(
        _l("Tax system"),
        choices=[
            SelectChoice("NP", _l("Nepal (VAT)")),
            SelectChoice("JP", _l("Japan (consumption tax)")),
        ],
    )
    registered = BooleanField(_l("Registered for tax (VAT / qualified invoice issuer)"))
    legal_name = StringField(_l("Registered name"))
    address = TextAreaField(_l("Address"))
    registration_number = StringField(
        _l("Registration number (PAN/VAT: 9 digits; Japan: T + 13 digits)")
    )
    prices_include_tax = BooleanField(_l("Prices include tax"))
    reduced_kinds = CheckboxList(
        _l("Sold at Japan's reduced rate (8 %)"),
        choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in PRODUCT_KINDS],
    )
    rounding = SelectField(
        _l("Rounding of tax (once per invoice and rate)"),
        choices=[
            SelectChoice("", _l("As the system usually does")),
            SelectChoice("half_up", _l("Half up")),
            SelectChoice("floor", _l("Down")),
        ],
        default="",
    )
    fiscal_year_start_month = IntegerField(
        _l("Japan: month the fiscal year starts"),
        default=1,
        validators=[Optional(), NumberRange(1, 12)],
    )
    invoice_prefix = StringField(_l("Invoice number prefix"), default="INV")


def form_for(config: TaxConfig | None) -> TaxSettingsForm:
    form = TaxSettingsForm()
    if config is not None and not form.is_submitted():
        form.country.data = config.country
        form.registered.data = config.registered
        form.legal_name.data = config.legal_name
        form.address.data = config.address
        form.registration_number.data = config.registration_number
        form.prices_include_tax.data = config.prices_include_tax
        form.reduced_kinds.data = [
            k for k, v in (config.rates or {}).items() if v == 800
        ]
        form.rounding.data = config.rounding
        form.fiscal_year_start_month.data = config.fiscal_year_start_month
        form.invoice_prefix.data = config.invoice_prefix
    elif config is None and not form.is_submitted():
        form.prices_include_tax.data = True
    return form


def save_form(seller: str, form: TaxSettingsForm) -> TaxConfig:
    country = form.country.data or "NP"
    reduced = (form.reduced_kinds.data or []) if country == "JP" else []
    return save_config(
        seller,
        country=country,
        registered=bool(form.registered.data),
        legal_name=form.legal_name.data or "",
        address=form.address.data or "",
        registration_number=form.registration_number.data or "",
        prices_include_tax=bool(form.prices_include_tax.data),
        rates={kind: 800 for kind in reduced},
        rounding=form.rounding.data or None,
        fiscal_year_start_month=form.fiscal_year_start_month.data or 1,
        invoice_prefix=form.invoice_prefix.data or "INV",
    )
