from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional


class CheckoutForm(FlaskForm):
    method = RadioField("Payment method", validators=[DataRequired()], choices=[])
    promo_code = StringField("Promo code", validators=[Optional(), Length(max=40)])
    form_token = HiddenField(validators=[DataRequired()])
