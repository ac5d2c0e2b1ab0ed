from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField
from wtforms.validators import DataRequired, Email, Length


class ErasePersonForm(FlaskForm):
    email = EmailField(
        "Attendee's e-mail address",
        validators=[
            DataRequired("Enter the e-mail address the person was booked with"),
            Length(max=254, message="E-mail address must be 254 characters or fewer"),
            Email(
                "Enter an e-mail address in the correct format, like name@nhs.net",
                check_deliverability=False,
            ),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    confirm = BooleanField(
        "I understand that this cannot be undone",
        validators=[DataRequired("Confirm that you understand this cannot be undone")],
    )
