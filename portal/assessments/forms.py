"""The toolkit's forms: a framework's CSV file to check, and loading what the preview showed;
starting a self-assessment round, its answers, its priorities and its actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import request
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from portal.assessments.models import (
    ACTION_LENGTH,
    NOTE_LENGTH,
    ActionStatus,
    ParticipantRole,
    RoundAnswer,
)
from portal.assessments.pathways import Pathway
from portal.assessments.rounds import ActionValues, AnswerValues, RoundStart, check_answer
from portal.web.dates import DateInputField, today_in_london
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


# --- Self-assessment rounds ----------------------------------------------------------------------


class CheckboxesField(SelectMultipleField):
    """Choices as NHS checkboxes, with plain messages (never echoing what was sent)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The field macro draws a SelectMultipleField as checkboxes.
        self.type = "SelectMultipleField"

    @property
    def first_input_id(self) -> str:
        """Where the error summary's link goes: the first checkbox."""
        return f"{self.id}-1"

    def pre_validate(self, form: Any) -> None:
        known = {str(value) for value, *_ in self.iter_choices()}
        if any(str(value) not in known for value in self.data or []):
            raise ValidationError(f"Select {self.label.text.lower()} from the list")


class StartRoundForm(PortalForm):
    held_on = DateInputField(
        "Date the team met",
        description="The day of the workshop or meeting, for example 14 3 2026",
    )
    participants = CheckboxesField(
        "Who took part",
        description="Their roles, not their names. Select all that apply.",
        choices=[SelectChoice(role.value, role.label) for role in ParticipantRole],
    )
    pathways = CheckboxesField(
        "Pathways",
        description="The pathways this round assesses. Select all that apply.",
        choices=[],
    )

    def __init__(self, *args: Any, pathways: Sequence[Pathway] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pathways.choices = [SelectChoice(p.value, p.label) for p in pathways]

    def validate_held_on(self, field: DateInputField) -> None:
        if field.data is None:
            raise ValidationError("Enter the date the team met")
        if field.data > today_in_london():
            raise ValidationError("The date the team met must be today or in the past")

    def validate_participants(self, field: CheckboxesField) -> None:
        if not field.data:
            raise ValidationError("Select who took part")

    def validate_pathways(self, field: CheckboxesField) -> None:
        if not field.data:
            raise ValidationError("Select at least one pathway")

    def values(self) -> RoundStart:
        assert self.held_on.data is not None
        return RoundStart(
            self.held_on.data,
            frozenset(ParticipantRole(v) for v in self.participants.data or []),
            frozenset(Pathway(v) for v in self.pathways.data or []),
        )


@dataclass
class AnswerInput:
    """What was sent for one characteristic, as typed (kept to show again), and its problems."""

    current: str = ""
    aspired: str = ""
    evidence: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def answer_names(characteristic_id: int) -> tuple[str, str, str]:
    """The form's names for one characteristic's current and aspired positions and evidence."""
    return (
        f"current-{characteristic_id}",
        f"aspired-{characteristic_id}",
        f"evidence-{characteristic_id}",
    )


class AnswersForm(PortalForm):
    """One pathway's answers: two radio groups and a note per characteristic, read by `read`
    (the characteristics are the round's, known only at request time)."""

    def read(
        self, answers: Sequence[RoundAnswer]
    ) -> tuple[dict[int, AnswerInput], dict[int, AnswerValues]]:
        """What was sent for each answer (as typed) and, when every one is good, the values to
        save. A position left unchosen stays as it was."""
        formdata = request.form
        inputs: dict[int, AnswerInput] = {}
        values: dict[int, AnswerValues] = {}
        for answer in answers:
            cid = answer.characteristic_id
            names = answer_names(cid)
            current, aspired = (_one(formdata, n)[:10].strip() for n in names[:2])
            evidence = _one(formdata, names[2]).replace("\r\n", "\n").strip()
            given = AnswerInput(current, aspired, evidence)
            positions: dict[str, int | None] = {}
            for name, text in (("current", current), ("aspired", aspired)):
                number = int(text) if text.isascii() and text.isdigit() else None
                if text and number is None:
                    given.errors[name] = f"Choose the {name} position from the positions shown"
                positions[name] = number
            value = AnswerValues(
                positions["current"],
                positions["aspired"],
                evidence if names[2] in formdata else None,
            )
            given.errors = {**check_answer(answer, value), **given.errors}
            inputs[cid] = given
            values[cid] = value
        self.answer_errors = {cid: i.errors for cid, i in inputs.items() if i.errors}
        return inputs, values

    answer_errors: dict[int, dict[str, str]]


def _one(formdata: Any, name: str) -> str:
    """The first value sent under `name` ("" if none)."""
    return str(formdata.get(name, ""))


class PrioritiesForm(PortalForm):
    priorities = CheckboxesField("Priorities", choices=[])

    def __init__(self, *args: Any, answers: Sequence[RoundAnswer] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.priorities.choices = [SelectChoice(str(a.id), a.characteristic.code) for a in answers]

    def chosen(self) -> list[int]:
        return [int(v) for v in self.priorities.data or []]


class ActionForm(PortalForm):
    characteristic = SelectField("Characteristic", choices=[], validate_choice=False)
    what = StringField(
        "What will be done",
        description="One line, for example “Audit every VBAC decision for three months”",
        filters=[_stripped],
        validators=[
            DataRequired("Say what will be done"),
            Length(
                max=ACTION_LENGTH,
                message=f"What will be done must be {ACTION_LENGTH} characters or fewer",
            ),
        ],
    )
    owner_role = SelectField(
        "Owner",
        description="The role that leads it",
        choices=[
            SelectChoice("", "Choose a role"),
            *(SelectChoice(r.value, r.label) for r in ParticipantRole),
        ],
        validate_choice=False,
    )
    due_on = DateInputField("Due date", description="For example, 30 9 2026")
    status = SelectField(
        "Status",
        choices=[SelectChoice(s.value, s.label) for s in ActionStatus],
        default=ActionStatus.NOT_STARTED.value,
        validate_choice=False,
    )

    def __init__(
        self,
        *args: Any,
        answers: Sequence[RoundAnswer] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if answers is None:
            del self.characteristic  # an action keeps the characteristic it was written for
        else:
            self.characteristic.choices = [
                SelectChoice("", "Choose a characteristic"),
                *(
                    SelectChoice(
                        str(a.id), f"{a.characteristic.code} {_short(a.characteristic.wording)}"
                    )
                    for a in answers
                ),
            ]

    def validate_characteristic(self, field: SelectField) -> None:
        known = {str(value) for value, *_ in field.iter_choices() if value}
        if field.data not in known:
            raise ValidationError("Choose the characteristic the action is for")

    def validate_owner_role(self, field: SelectField) -> None:
        if field.data not in {r.value for r in ParticipantRole}:
            raise ValidationError("Choose the role that owns the action")

    def validate_due_on(self, field: DateInputField) -> None:
        if field.data is None:
            raise ValidationError("Enter the date the action is due")

    def validate_status(self, field: SelectField) -> None:
        if field.data not in {s.value for s in ActionStatus}:
            raise ValidationError("Choose a status from the list")

    def values(self) -> ActionValues:
        assert self.due_on.data is not None
        return ActionValues(
            self.what.data or "",
            ParticipantRole(self.owner_role.data),
            self.due_on.data,
            ActionStatus(self.status.data),
        )

    def answer_id(self) -> int:
        return int(self.characteristic.data)


def _short(text: str, most: int = 60) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


class ShareForm(PortalForm):
    """Share a completed round with the network, or stop: the state asked for is named, so a
    second press changes nothing."""

    shared = SelectField(
        "Shared", choices=[SelectChoice("yes", "Share"), SelectChoice("no", "Stop sharing")]
    )

    @property
    def wants_shared(self) -> bool:
        return self.shared.data == "yes"


class FocusForm(PortalForm):
    focus = CheckboxesField("Focus characteristics", choices=[])

    def __init__(self, *args: Any, choices: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.focus.choices = [SelectChoice(value, label) for value, label in choices]
