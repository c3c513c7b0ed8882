from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional


class CheckoutForm(FlaskForm):
    method = RadioField(_l("Payment method"), validators=[DataRequired()], choices=[])
    promo_code = StringField(_l("Promo code"), validators=[Optional(), Length(max=40)])
    form_token = HiddenField(validators=[DataRequired()])
