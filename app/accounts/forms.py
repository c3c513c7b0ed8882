from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional


class RegisterForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    phone = TelField("Phone", validators=[Optional(), Length(max=32)])
    password = PasswordField("Password", validators=[DataRequired(), Length(8, 200)])


class LoginForm(FlaskForm):
    # No format check here: an existing account must always be able to log in.
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[Optional(), Length(max=80)])
