from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.booklets.services import MAX_QUANTITY
from app.i18n.forms import Form


class BuyBookletForm(Form):
    quantity = IntegerField(
        _l("Copies"), default=1, validators=[NumberRange(1, MAX_QUANTITY)]
    )
    name = StringField(
        _l("Recipient name"), validators=[DataRequired(), Length(max=120)]
    )
    line1 = StringField(
        _l("Address line 1"), validators=[DataRequired(), Length(max=200)]
    )
    line2 = StringField(_l("Address line 2"), validators=[Optional(), Length(max=200)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    postcode = StringField(_l("Postcode"), validators=[DataRequired(), Length(max=20)])
    country = StringField(_l("Country"), validators=[DataRequired(), Length(max=60)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    method = RadioField(_l("Payment method"), validators=[DataRequired()], choices=[])

    def address(self) -> dict[str, str]:
        return {
            name: getattr(self, name).data or ""
            for name in (
                "name",
                "line1",
                "line2",
                "city",
                "postcode",
                "country",
                "phone",
            )
        }
