from __future__ import annotations

from typing import Any

from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from portal.auth.models import Role
from portal.auth.passwords import MAX_PASSWORD_LENGTH
from portal.auth.service import AccountError, normalise_email, password_problem
from portal.regions.models import Region, Trust
from portal.web.forms import PortalForm


class SignInForm(PortalForm):
    email = EmailField(
        "E-mail address",
        validators=[DataRequired("Enter your e-mail address"), Length(max=254)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter your password"),
            Length(max=MAX_PASSWORD_LENGTH, message="Enter your password"),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class NameForm(PortalForm):
    name = StringField(
        "Full name",
        validators=[
            DataRequired("Enter your full name"),
            Length(max=120, message="Full name must be 120 characters or fewer"),
        ],
        render_kw={"autocomplete": "name", "spellcheck": "false"},
    )


def _strong_enough(form: Any, field: PasswordField) -> None:
    if problem := password_problem(field.data or ""):
        raise ValidationError(problem)


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    """A new password and the same again: the account page, an invitation, a reset. (Made where
    the form's class is written, so that the fields take their place among its others.)"""
    return (
        PasswordField(
            "New password",
            description="At least 12 characters. A few unrelated words make a strong password.",
            validators=[DataRequired("Enter a new password"), _strong_enough],
            render_kw={"autocomplete": "new-password"},
        ),
        PasswordField(
            "Confirm new password",
            validators=[
                DataRequired("Enter the new password again"),
                EqualTo("new_password", message="The passwords do not match"),
            ],
            render_kw={"autocomplete": "new-password"},
        ),
    )


class ChangePasswordForm(PortalForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password, confirm_password = new_password_fields()


def _region_choices(regions: list[Region]) -> list[SelectChoice]:
    return [SelectChoice("", "Choose a region")] + [SelectChoice(r.slug, r.name) for r in regions]


def _trust_choices(trusts: list[Trust]) -> list[SelectChoice]:
    return [SelectChoice("", "Choose a trust")] + [
        SelectChoice(t.ods_code, f"{t.name} ({t.ods_code})") for t in trusts
    ]


class ScopeForm(PortalForm):
    """A role with its scope: a region for coordinators, a trust for trust staff."""

    role = SelectField("Role", validators=[DataRequired("Choose a role")])
    # No Optional(): it would stop the checks below that say which scope a role needs.
    region = SelectField("Region (for SHA coordinators)", validate_choice=False)
    trust = SelectField("Trust (for trust staff)", validate_choice=False)

    def __init__(
        self,
        *args: Any,
        roles: list[Role],
        regions: list[Region],
        trusts: list[Trust],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # No default: an admin who forgot to choose must not invite someone with full rights.
        self.role.choices = [SelectChoice("", "Choose a role")] + [
            SelectChoice(r.value, r.label) for r in roles
        ]
        self.region.choices = _region_choices(regions)
        self.trust.choices = _trust_choices(trusts)

    # The choices are checked here rather than by WTForms, because a form for a coordinator does
    # not show (or send) the region field at all.
    def validate_region(self, field: SelectField) -> None:
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError("Not a valid choice")
        if self.role.data == "coordinator" and not field.data:
            raise ValidationError("Choose the coordinator's region")

    def validate_trust(self, field: SelectField) -> None:
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError("Not a valid choice")
        if self.role.data == "trust" and not field.data:
            raise ValidationError("Choose the trust")


class InviteForm(ScopeForm):
    email = EmailField(
        "Work e-mail address",
        validators=[DataRequired("Enter the person's work e-mail address"), Length(max=254)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = StringField(
        "Full name (optional)",
        validators=[
            Optional(),
            Length(max=120, message="Full name must be 120 characters or fewer"),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )

    def validate_email(self, field: EmailField) -> None:
        try:
            field.data = normalise_email(field.data or "")
        except AccountError as exc:
            raise ValidationError(
                "Enter an e-mail address in the correct format, like name@nhs.net"
            ) from exc


class SetPasswordForm(PortalForm):
    """Accepting an invitation, or resetting a password."""

    name = StringField(
        "Full name",
        validators=[
            DataRequired("Enter your full name"),
            Length(max=120, message="Full name must be 120 characters or fewer"),
        ],
        render_kw={"autocomplete": "name", "spellcheck": "false"},
    )
    new_password, confirm_password = new_password_fields()


class ResetPasswordForm(SetPasswordForm):
    name = None  # no name to give when resetting: WTForms leaves out a field set to None


class ForgotPasswordForm(PortalForm):
    email = EmailField(
        "E-mail address",
        validators=[
            DataRequired("Enter your e-mail address"),
            Length(max=254, message="Enter your e-mail address"),
        ],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
