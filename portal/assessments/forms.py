"""The toolkit framework's forms: a CSV file to check, and loading what the preview showed."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from portal.assessments.models import NOTE_LENGTH
from portal.web.forms import PortalForm
from portal.web.uploads import MAX_SIZE_LABEL


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class FrameworkUploadForm(PortalForm):
    csv_file = FileField(
        "CSV file of the framework",
        description=f"Saved as CSV UTF-8, no larger than {MAX_SIZE_LABEL}",
        validators=[FileRequired("Select a CSV file")],
        render_kw={"accept": ".csv,text/csv"},
    )


class LoadVersionForm(PortalForm):
    # What the preview showed: loading is refused if a fresh plan would do something else.
    fingerprint = HiddenField()
    note = StringField(
        "Note about this version (optional)",
        description="For example, which edition of the toolkit the file was made from",
        filters=[_stripped],
        validators=[
            Length(max=NOTE_LENGTH, message=f"The note must be {NOTE_LENGTH} characters or fewer")
        ],
    )
