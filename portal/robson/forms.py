"""The Robson pages' forms: the range of a report, a month's counts, a file of births, the CSV
import."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField
from wtforms.validators import Optional

from portal.measures.service import month_key, month_label, recent_months
from portal.robson.groups import GROUP_CODES, SPLITS, description
from portal.web.forms import PlainForm, PortalForm, WholeNumberField
from portal.web.uploads import MAX_SIZE_LABEL

#: The form's rows: every group, split forms first; the whole 2 and 4 go in a details component.
SPLIT_CODES = tuple(code for code in GROUP_CODES if code not in SPLITS)
WHOLE_CODES = tuple(SPLITS)


class RangeForm(PlainForm):
    """The months a report covers, from the query string (a GET form: no CSRF token)."""

    first = SelectField("From", name="from", choices=[], validate_choice=False)
    last = SelectField("To", name="to", choices=[], validate_choice=False)

    def __init__(self, *args: Any, months: list[date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(month_key(m), month_label(m)) for m in months]
        self.first.choices = list(choices)
        self.last.choices = list(choices)


class GroupNumberField(WholeNumberField):
    """A group's women or caesarean births, whose messages name the group."""

    def __init__(self, label: str, *, group: str, what: str, **kwargs: Any) -> None:
        super().__init__(label, validators=[Optional()], **kwargs)
        self.group = group
        self.what = what
        # Rendered as the whole-number input it is (macros/forms.jinja chooses by type).
        self.type = "WholeNumberField"

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(
                f"Group {self.group}: {self.what} must be a whole number, like 40"
            ) from exc


class RobsonMonthForm(PortalForm):
    """A month's Robson counts: women and caesarean births for each group, and the women not
    placed in a group. The month is chosen for new counts and fixed when correcting them."""

    month = SelectField("Month", choices=[], validate_choice=True)
    unclassified = WholeNumberField(
        "Women not placed in a group (optional)",
        description="Women whose records lacked what is needed to place them in a group.",
        validators=[Optional()],
    )

    def __init__(self, *args: Any, months_given: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        given = months_given or set()
        self.month.choices = [("", "Choose a month")] + [
            (month_key(m), month_label(m) + (" (counts given)" if month_key(m) in given else ""))
            for m in recent_months(120)
        ]

    def women(self, code: str) -> GroupNumberField:
        return getattr(self, f"women_{code}")

    def caesareans(self, code: str) -> GroupNumberField:
        return getattr(self, f"caesareans_{code}")

    def counts(self) -> dict[str, tuple[int, int]] | None:
        """The groups given (those whose Women box is filled); None, with errors on the form,
        when a group's boxes do not make a pair."""
        counts: dict[str, tuple[int, int]] = {}
        ok = True
        for code in GROUP_CODES:
            women, caesareans = self.women(code).data, self.caesareans(code).data
            if women is None:
                if caesareans is not None:
                    self.women(code).errors = [
                        f"Group {code}: give the number of women, or clear the caesarean births"
                    ]
                    ok = False
                continue
            if caesareans is None:
                self.caesareans(code).errors = [
                    f"Group {code}: give the number of caesarean births (0 if none)"
                ]
                ok = False
                continue
            counts[code] = (women, caesareans)
        return counts if ok else None

    def fill(self, counts: Mapping[str, tuple[int, int]], unclassified: int = 0) -> None:
        for code, (women, caesareans) in counts.items():
            self.women(code).data = women
            self.caesareans(code).data = caesareans
        self.unclassified.data = unclassified

    def show_problems(self, problems: dict[str, str]) -> None:
        """RobsonRefused's problems next to the group they are about."""
        for key, message in problems.items():
            if key == "unclassified":
                self.unclassified.errors = [message]
            elif key in GROUP_CODES:
                self.women(key).errors = [message]
            else:  # "split": a group given whole and split
                whole = next(
                    (c for c in WHOLE_CODES if self.women(c).data is not None),
                    WHOLE_CODES[0],
                )
                self.women(whole).errors = [message]

    @property
    def whole_given(self) -> bool:
        """Whether the whole 2 or 4 rows hold something (so their details start open)."""
        return any(
            self.women(c).data is not None
            or self.caesareans(c).data is not None
            or self.women(c).errors
            or self.caesareans(c).errors
            for c in WHOLE_CODES
        )


for _code in GROUP_CODES:
    setattr(
        RobsonMonthForm,
        f"women_{_code}",
        GroupNumberField("Women", group=_code, what="women", description=None),
    )
    setattr(
        RobsonMonthForm,
        f"caesareans_{_code}",
        GroupNumberField("Caesarean births", group=_code, what="caesarean births"),
    )

GROUP_LEGENDS = {code: f"Group {code}: {description(code)}" for code in GROUP_CODES}


class BirthsUploadForm(PortalForm):
    month = SelectField("Month of the births", choices=[], validate_choice=True)
    births_file = FileField(
        "Births file (CSV)",
        description=f"Saved as CSV UTF-8, no larger than {MAX_SIZE_LABEL}",
        validators=[FileRequired("Select a CSV file of births")],
        render_kw={"accept": ".csv,text/csv"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.month.choices = [("", "Choose a month")] + [
            (month_key(m), month_label(m)) for m in recent_months(120)
        ]


class CountsUploadForm(PortalForm):
    csv_file = FileField(
        "CSV file",
        description=f"Saved as CSV UTF-8, no larger than {MAX_SIZE_LABEL}",
        validators=[FileRequired("Select a CSV file")],
        render_kw={"accept": ".csv,text/csv"},
    )


class ApplyImportForm(PortalForm):
    # What the preview showed: the import is refused if a fresh plan would do something else.
    fingerprint = HiddenField()
