from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.i18n.forms import Form


class CheckoutForm(Form):
    method = RadioField(_l("Payment method"), validators=[DataRequired()], choices=[])
    promo_code = StringField(_l("Promo code"), validators=[Optional(), Length(max=40)])
    form_token = HiddenField(validators=[DataRequired()])
    company_name = StringField(
        _l("Company name (for a business invoice)"),
        validators=[Optional(), Length(max=200)],
    )
    registration_number = StringField(
        _l("Company registration number (PAN/VAT or T + 13 digits)"),
        validators=[Optional(), Length(max=20)],
    )
