from __future__ import annotations

import re
from typing import Any, ClassVar

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SearchField,
    SelectField,
    StringField,
    TelField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from portal.auth.models import Role
from portal.regions.models import Region, Trust
from portal.regions.service import (
    ODS_CODE,
    REGION_FIELDS,
    ods_code_in_use,
    region_name_in_use,
)
from portal.web.dates import DateInputField
from portal.web.forms import FilterForm, PlainForm, PortalForm, searched
from portal.web.uploads import MAX_SIZE_LABEL


class ErasePersonForm(PortalForm):
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


# --- People -------------------------------------------------------------------------------


class PeopleFilterForm(FilterForm):
    """The people list's search and filters."""

    q = SearchField(
        "Search by name or e-mail address",
        filters=[searched(100)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    role = SelectField(
        "Role",
        choices=[SelectChoice("", "All roles")] + [SelectChoice(r.value, r.label) for r in Role],
    )
    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Any status"),
            SelectChoice("active", "Active"),
            SelectChoice("invited", "Invited"),
            SelectChoice("deactivated", "Deactivated"),
        ],
    )
    region = SelectField("Region", choices=[])
    # Typed, not chosen from a list: the portal may hold well over a thousand trusts.
    trust = SearchField(
        "Trust or ODS code",
        filters=[searched(100)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )

    def __init__(self, *args: Any, regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regions = {r.slug: r for r in regions}
        self.region.choices = [SelectChoice("", "All regions")] + [
            SelectChoice(r.slug, r.name) for r in regions
        ]
        self.clear_unknown_choices()

    @property
    def chosen_role(self) -> Role | None:
        return Role(self.role.data) if self.role.data else None

    @property
    def chosen_region(self) -> Region | None:
        return self.regions.get(self.region.data or "")


# --- Directory: trusts and regions -----------------------------------------------------------


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class TrustFilterForm(FilterForm):
    """The trust directory's search and filters (ids prefixed: the page's own names are short)."""

    q = SearchField(
        "Search by name or ODS code",
        id="trust-q",
        filters=[searched(100)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    region = SelectField("Region", id="trust-region", choices=[])
    participating = SelectField(
        "Participating",
        id="trust-participating",
        choices=[
            SelectChoice("", "All trusts"),
            SelectChoice("yes", "Participating"),
            SelectChoice("no", "Not participating"),
        ],
    )

    def __init__(self, *args: Any, regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region.choices = [SelectChoice("", "All regions")] + [
            SelectChoice(r.slug, r.name) for r in regions
        ]
        self.clear_unknown_choices()


class TrustForm(PortalForm):
    name = StringField(
        "Name",
        filters=[_strip],
        validators=[
            DataRequired("Enter the trust's name"),
            Length(max=160, message="Name must be 160 characters or fewer"),
        ],
        render_kw={"autocomplete": "off"},
    )
    ods_code = StringField(
        "ODS code",
        description="The trust's Organisation Data Service code: 3 or 5 letters and digits, like RJ1 or RJ122",
        filters=[_strip, _upper],
        validators=[DataRequired("Enter the trust's ODS code")],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    region = SelectField(
        "Region",
        choices=[],
        validators=[DataRequired("Choose the region the trust is in")],
    )
    participating = BooleanField("This trust takes part in the Rapid Improvement Programme")

    def __init__(
        self, *args: Any, regions: list[Region], trust: Trust | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.trust = trust
        self.regions = {r.slug: r for r in regions}
        self.region.choices = [SelectChoice("", "Choose a region")] + [
            SelectChoice(r.slug, r.name) for r in regions
        ]

    def validate_ods_code(self, field: StringField) -> None:
        if not ODS_CODE.match(field.data or ""):
            raise ValidationError("ODS code must be 3 or 5 letters and digits, like RJ1 or RJ122")
        if ods_code_in_use(field.data, other_than=self.trust):
            raise ValidationError(f"Another trust already has the ODS code {field.data}")

    def values(self) -> dict[str, Any]:
        """The trust's fields as the service expects them."""
        return {
            "name": self.name.data,
            "ods_code": self.ods_code.data,
            "region": self.regions[self.region.data],
            "participating": bool(self.participating.data),
        }


class TrustImportForm(PortalForm):
    csv_file = FileField(
        "Upload a CSV file",
        description=f"Saved as CSV UTF-8, no larger than {MAX_SIZE_LABEL}",
        validators=[FileRequired("Select a CSV file")],
        render_kw={"accept": ".csv,text/csv"},
    )


class ApplyImportForm(PortalForm):
    # What the preview showed: the import is refused if a fresh plan would do something else.
    fingerprint = HiddenField()
    skip_invalid = BooleanField("Import the valid rows and skip the rejected ones")


# A telephone number as people write it: digits, spaces, brackets, a leading + and hyphens.
PHONE = re.compile(r"^\+?[0-9 ()\-]+$")


class RegionForm(PortalForm):
    name = StringField(
        "Full name",
        description="For example, NHS North East",
        filters=[_strip],
        validators=[
            DataRequired("Enter the region's full name"),
            Length(max=80, message="Full name must be 80 characters or fewer"),
        ],
    )
    short_name = StringField(
        "Short name",
        description="Used where space is short, for example North East",
        filters=[_strip],
        validators=[
            DataRequired("Enter the region's short name"),
            Length(max=40, message="Short name must be 40 characters or fewer"),
        ],
    )
    contact_name = StringField(
        "Coordinator's name (optional)",
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=120, message="Coordinator's name must be 120 characters or fewer"),
        ],
        render_kw={"autocomplete": "off"},
    )
    contact_email = EmailField(
        "Coordinator's e-mail address (optional)",
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=254, message="E-mail address must be 254 characters or fewer"),
            Email(
                "Enter an e-mail address in the correct format, like name@nhs.net",
                check_deliverability=False,
            ),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    contact_phone = TelField(
        "Coordinator's telephone number (optional)",
        description="For example, 0191 496 0000",
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=40, message="Telephone number must be 40 characters or fewer"),
        ],
        render_kw={"autocomplete": "off"},
    )

    def __init__(self, *args: Any, region: Region, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region = region

    def validate_name(self, field: StringField) -> None:
        if region_name_in_use(field.data or "", other_than=self.region):
            raise ValidationError(f"Another region is already called {field.data}")

    def validate_contact_phone(self, field: TelField) -> None:
        digits = sum(c.isdigit() for c in field.data or "")
        if not PHONE.match(field.data or "") or not 7 <= digits <= 15:
            raise ValidationError(
                "Enter a telephone number, like 0191 496 0000 or +44 191 496 0000"
            )

    def values(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in REGION_FIELDS}


# --- Audit log ----------------------------------------------------------------------------


class AuditFilterForm(PlainForm):
    """The audit log's filters, read from the query string (a GET form: no CSRF token)."""

    one_line_names: ClassVar[dict[str, str]] = {"person": "E-mail address"}

    person = SearchField(
        "Person's e-mail address contains",
        filters=[_strip],
        validators=[Length(max=254, message="E-mail address must be 254 characters or fewer")],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    object_type = SelectField("What changed", choices=[], validate_choice=False)
    action = SelectField("Action", choices=[], validate_choice=False)
    date_from = DateInputField("From date (optional)", description="For example, 1 4 2026")
    date_to = DateInputField("To date (optional)", description="For example, 30 4 2026")

    def __init__(
        self, *args: Any, object_types: list[str], actions: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.object_type.choices = [SelectChoice("", "Anything")] + [
            SelectChoice(value, value) for value in object_types
        ]
        self.action.choices = [SelectChoice("", "Any action")] + [
            SelectChoice(value, value) for value in actions
        ]
        # A value no entry has (from an old link) is ignored rather than refused.
        if self.object_type.data not in object_types:
            self.object_type.data = ""
        if self.action.data not in actions:
            self.action.data = ""

    def validate_date_to(self, field: DateInputField) -> None:
        start = self.date_from.data
        if start is not None and field.data is not None and field.data < start:
            raise ValidationError("To date must be the same as or after the from date")
