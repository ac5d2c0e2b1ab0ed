from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.measures.models import COUNT_FIELDS
from portal.measures.service import COUNT_NAMES, NOTE_MAX, month_key, month_label, recent_months
from portal.web.forms import PercentField, PortalForm, WholeNumberField
from portal.web.uploads import MAX_SIZE_LABEL

HINTS = {
    "deliveries": "Women delivered in the month whose method of delivery is known.",
    "caesareans_elective": "Planned caesarean sections (before the onset of labour).",
    "caesareans_emergency": "Every other caesarean section.",
    "normal_births": (
        "Births without induction, instruments, caesarean section, episiotomy, or general, "
        "spinal or epidural anaesthetic (the Maternity Care Working Party definition)."
    ),
    "previous_caesarean": "Women delivered who had had a caesarean section before.",
    "vbac": "Of those women, the number who gave birth vaginally.",
}


class CountsForm(PortalForm):
    """A month's counts; the month is chosen for new figures and fixed when correcting them."""

    month = SelectField("Month", choices=[], validate_choice=True)
    deliveries = WholeNumberField(COUNT_NAMES["deliveries"], description=HINTS["deliveries"])
    caesareans_elective = WholeNumberField(
        COUNT_NAMES["caesareans_elective"], description=HINTS["caesareans_elective"]
    )
    caesareans_emergency = WholeNumberField(
        COUNT_NAMES["caesareans_emergency"], description=HINTS["caesareans_emergency"]
    )
    normal_births = WholeNumberField(
        COUNT_NAMES["normal_births"], description=HINTS["normal_births"]
    )
    previous_caesarean = WholeNumberField(
        COUNT_NAMES["previous_caesarean"], description=HINTS["previous_caesarean"]
    )
    vbac = WholeNumberField(COUNT_NAMES["vbac"], description=HINTS["vbac"])

    def __init__(self, *args: Any, months_given: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        given = months_given or set()
        self.month.choices = [("", "Choose a month")] + [
            (month_key(m), month_label(m) + (" (figures given)" if month_key(m) in given else ""))
            for m in recent_months()
        ]

    def counts(self) -> dict[str, int | None]:
        return {name: getattr(self, name).data for name in COUNT_FIELDS}

    def show_problems(self, problems: dict[str, str]) -> None:
        for name, message in problems.items():
            getattr(self, name).errors = [message]


class ChangeForm(PortalForm):
    month = SelectField("Month", choices=[], validate_choice=True)
    note = StringField(
        "What changed",
        description="For example, “Joined the programme” or “Midwife-led unit opened”.",
        validators=[
            DataRequired("Enter what changed"),
            Length(max=NOTE_MAX, message=f"What changed must be {NOTE_MAX} characters or fewer"),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.month.choices = [("", "Choose a month")] + [
            (month_key(m), month_label(m)) for m in recent_months(120)
        ]


class TargetForm(PortalForm):
    target = PercentField("Target (%)", render_kw={"inputmode": "decimal"})


class CountsUploadForm(PortalForm):
    csv_file = FileField(
        "CSV file",
        description=f"Saved as CSV UTF-8, no larger than {MAX_SIZE_LABEL}",
        validators=[FileRequired("Select a CSV file")],
        render_kw={"accept": ".csv,text/csv"},
    )


class ApplyCountsForm(PortalForm):
    # What the preview showed: the import is refused if a fresh plan would do something else.
    fingerprint = HiddenField()
