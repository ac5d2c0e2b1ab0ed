from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    Field,
    FormField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.events.models import NetworkEvent
from portal.regions.models import Region
from portal.stories.models import Measure, Pathway, Story
from portal.stories.service import (
    CharacteristicChoice,
    MeasureValues,
    StoryFilters,
    StoryValues,
    ToolkitChoices,
)
from portal.web.dates import long_date
from portal.web.forms import FilterForm, PercentField, PlainForm, PortalForm, searched

TITLE_MAX, SUMMARY_MAX, BODY_MAX, PERIOD_MAX = 150, 300, 20000, 40


def one_kind_of_line_break(value: str | None) -> str | None:
    """Browsers post text areas with CR LF, htmx with LF: store (and count) LF only."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


class MeasureForm(PlainForm):
    """One measure's before and after; all four parts or none."""

    baseline_value = PercentField("Baseline (%)", render_kw={"inputmode": "decimal"})
    baseline_period = StringField(
        "Baseline period",
        description="For example, April 2007 to March 2008",
        validators=[
            Optional(),
            Length(max=PERIOD_MAX, message="Period must be 40 characters or fewer"),
        ],
    )
    latest_value = PercentField("Latest (%)", render_kw={"inputmode": "decimal"})
    latest_period = StringField(
        "Latest period",
        description="For example, April to September 2009",
        validators=[
            Optional(),
            Length(max=PERIOD_MAX, message="Period must be 40 characters or fewer"),
        ],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        parts = [self.baseline_value, self.baseline_period, self.latest_value, self.latest_period]
        # A rate of 0% is given (bool(0.0) is False); a period of spaces is not.
        given = [
            bool(p.data.strip()) if isinstance(p.data, str) else p.data is not None for p in parts
        ]
        if any(given) and not all(given):
            for part, present in zip(parts, given, strict=True):
                if not present and not part.errors:
                    part.errors = [
                        *part.errors,
                        f"Enter the {part.label.text.lower().replace(' (%)', '')}",
                    ]
            valid = False
        return valid

    @property
    def typed(self) -> bool:
        """Whether anything was typed into this measure's boxes (spaces are nothing)."""
        return any(part.raw_data and str(part.raw_data[0]).strip() for part in self)

    def clear(self) -> None:
        for part in self:
            part.raw_data, part.data = [], None

    def values(self, measure: Measure) -> MeasureValues | None:
        # A validated form has both rates or neither; an unvalidated one may have only one.
        baseline, latest = self.baseline_value.data, self.latest_value.data
        if baseline is None or latest is None:
            return None
        return MeasureValues(
            measure=measure,
            baseline_value=baseline,
            baseline_period=(self.baseline_period.data or "").strip(),
            latest_value=latest,
            latest_period=(self.latest_period.data or "").strip(),
        )


class PathwaysField(SelectMultipleField):
    """The toolkit's pathways as NHS checkboxes; unknown values are refused."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, choices=[SelectChoice(p.value, p.label) for p in Pathway], **kwargs)

    @property
    def first_input_id(self) -> str:
        """Where the error summary's link goes: the first checkbox."""
        return f"{self.id}-1"

    def pre_validate(self, form: Any) -> None:
        known = {p.value for p in Pathway}
        if any(value not in known for value in self.data or []):
            raise ValidationError("Select pathways from the list")


class ShownMeasuresField(Field):
    """Which measures' boxes the form shows: a hidden input in each measure's boxes, so that
    "Add a measure" and "Remove" keep the others, even empty ones. An unknown value is ignored."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        known = {m.value: m for m in Measure}
        self.data = list(dict.fromkeys(known[v] for v in valuelist if v in known))

    def process_data(self, value: Any) -> None:
        self.data = list(value or [])


class CharacteristicsField(SelectMultipleField):
    """The current toolkit's characteristics as checkboxes, grouped by pathway, each sent as
    `pathway:code`; offered only once a framework is loaded, and a value not offered is refused."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, choices=[], **kwargs)
        self.toolkit: ToolkitChoices | None = None

    def offer(self, toolkit: ToolkitChoices | None) -> None:
        self.toolkit = toolkit
        self.choices = [
            SelectChoice(c.key, c.code) for c in (toolkit.characteristics if toolkit else [])
        ]

    @property
    def first_input_id(self) -> str:
        """Where the error summary's link goes: the first checkbox."""
        return f"{self.id}-1"

    def by_pathway(
        self,
    ) -> list[tuple[Pathway, list[tuple[int, CharacteristicChoice, bool]], int]]:
        """Each pathway that has characteristics: them, numbered for their inputs' ids (1, 2, 3 …
        over the whole field) and whether each is selected, and how many are selected."""
        chosen = set(self.data or [])
        groups: dict[Pathway, list[tuple[int, CharacteristicChoice, bool]]] = {}
        for number, choice in enumerate(self.toolkit.characteristics if self.toolkit else [], 1):
            groups.setdefault(choice.pathway, []).append((number, choice, choice.key in chosen))
        return [
            (pathway, entries, sum(checked for *_, checked in entries))
            for pathway, entries in groups.items()
        ]

    def pre_validate(self, form: Any) -> None:
        if self.toolkit is None:
            return  # not offered: whatever came is not used
        known = {c.key for c in self.toolkit.characteristics}
        if any(value not in known for value in self.data or []):
            raise ValidationError(
                "Select characteristics from the list: one you sent is not in the current toolkit"
            )

    def cited(self) -> list[tuple[Pathway, str]] | None:
        """The (pathway, code) pairs selected; None when the field was not offered."""
        if self.toolkit is None:
            return None
        known = {c.key: (c.pathway, c.code) for c in self.toolkit.characteristics}
        return [known[value] for value in dict.fromkeys(self.data or []) if value in known]


def _measure_field_name(measure: Measure) -> str:
    return "measure_" + measure.value.replace("-", "_")


class StoryForm(PortalForm):
    """A story as its writers see it. Drafts save whatever is there; submitting checks the rest."""

    title = StringField(
        "Title",
        validators=[Length(max=TITLE_MAX, message="Title must be 150 characters or fewer")],
    )
    summary = TextAreaField(
        "Summary",
        filters=[one_kind_of_line_break],
        description="What you changed and what happened, in one or two sentences (300 characters at most). It is shown in lists and feeds.",
        validators=[Length(max=SUMMARY_MAX, message="Summary must be 300 characters or fewer")],
        render_kw={"rows": 3},
    )
    body = TextAreaField(
        "Your story",
        filters=[one_kind_of_line_break],
        description="What you changed, how, what happened, and what others can learn. You can use Markdown: ## for a heading, * for a list, **bold**, [link text](https://…).",
        validators=[Length(max=BODY_MAX, message="Story must be 20,000 characters or fewer")],
        render_kw={"rows": 16},
    )
    pathways = PathwaysField(
        "Pathways",
        description="Which parts of the toolkit this story is about. Select all that apply.",
    )
    characteristics = CharacteristicsField("Characteristics this story improved (optional)")
    event = SelectField(
        "Presented at a network event (optional)", choices=[], default="", validate_choice=True
    )
    chart_measure = SelectField(
        "Chart from your trust’s monthly figures (optional)",
        description=(
            "The story shows this rate’s chart, month by month, from the figures your trust gives. "
            "Readers outside your trust see it only if your trust shows its charts publicly."
        ),
        choices=[SelectChoice("", "No chart")] + [SelectChoice(m.value, m.label) for m in Measure],
        default="",
        validate_choice=True,
    )
    measures_shown = ShownMeasuresField()
    #: Which measure "Add a measure" adds (the first not shown, if none or an unknown one is sent).
    new_measure = SelectField("Measure to add", choices=[], default="", validate_choice=False)

    def __init__(
        self,
        *args: Any,
        events: list[NetworkEvent] | None = None,
        toolkit: ToolkitChoices | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.event.choices = [SelectChoice("", "Not presented at an event")] + [
            SelectChoice(str(e.id), f"{e.title} ({long_date(e.event_date)})") for e in events or []
        ]
        self.characteristics.offer(toolkit)
        self._offer_new_measures()

    @property
    def measure_fields(self) -> list[tuple[Measure, FormField]]:
        return [(m, getattr(self, _measure_field_name(m))) for m in Measure]

    @property
    def shown_measures(self) -> list[Measure]:
        """The measures whose boxes the form shows: those it showed before, and any with
        something typed in (whoever sent the form), in the measures' order."""
        shown = set(self.measures_shown.data or [])
        shown |= {m for m, subform in self.measure_fields if subform.form.typed}
        return [m for m in Measure if m in shown]

    def _offer_new_measures(self) -> None:
        shown = self.shown_measures
        self.new_measure.choices = [
            SelectChoice(m.value, m.label) for m in Measure if m not in shown
        ]

    def add_measure(self) -> Measure | None:
        """Show one more measure's boxes (empty): the one chosen, or the first not shown."""
        shown = self.shown_measures
        left = [m for m in Measure if m not in shown]
        chosen = next((m for m in left if m.value == self.new_measure.data), None)
        added = chosen or (left[0] if left else None)
        if added is not None:
            self.measures_shown.data = [*shown, added]
            self.new_measure.data = ""
            self._offer_new_measures()
        return added

    def remove_measure(self, value: str) -> Measure | None:
        """Take a measure's boxes off the form, and what was typed in them."""
        removed = next((m for m in self.shown_measures if m.value == value), None)
        if removed is not None:
            getattr(self, _measure_field_name(removed)).form.clear()
            self.measures_shown.data = [m for m in self.shown_measures if m is not removed]
            self._offer_new_measures()
        return removed

    def load(self, story: Story) -> None:
        """Fill the form from a saved story (for GET)."""
        self.title.data = story.title
        self.summary.data = story.summary
        self.body.data = story.body
        self.pathways.data = [p.value for p in story.pathways]
        self.event.data = str(story.event_id) if story.event_id else ""
        self.chart_measure.data = story.chart_measure.value if story.chart_measure else ""
        self.characteristics.data = [
            f"{link.pathway.value}:{link.characteristic_code}"
            for link in story.characteristic_links
        ]
        self.measures_shown.data = [m.measure for m in story.measures]
        self._offer_new_measures()
        for measure, subform in self.measure_fields:
            saved = story.measure(measure)
            if saved is not None:
                subform.baseline_value.data = saved.baseline_value
                subform.baseline_period.data = saved.baseline_period
                subform.latest_value.data = saved.latest_value
                subform.latest_period.data = saved.latest_period

    def values(self) -> StoryValues:
        measures = [subform.form.values(m) for m, subform in self.measure_fields]
        return StoryValues(
            title=(self.title.data or "").strip(),
            summary=(self.summary.data or "").strip(),
            body=(self.body.data or "").strip(),
            pathways=[Pathway(v) for v in self.pathways.data or []],
            event_id=int(self.event.data) if self.event.data else None,
            measures=[m for m in measures if m is not None],
            chart_measure=Measure(self.chart_measure.data) if self.chart_measure.data else None,
            characteristics=self.characteristics.cited(),
        )


for _measure in Measure:
    setattr(
        StoryForm,
        _measure_field_name(_measure),
        FormField(MeasureForm, label=_measure.label, separator="-"),
    )


class SubmitForm(PortalForm):
    declaration = BooleanField(
        "I confirm this story holds no patient-identifiable information",
        description="No names, dates of birth, NHS numbers, addresses, photographs, or details that could identify a woman, baby or family.",
        validators=[
            DataRequired("Confirm that the story holds no patient-identifiable information")
        ],
    )


class PublishForm(PortalForm):
    confirmation = BooleanField(
        "I have checked this story and it holds no patient-identifiable information",
        validators=[
            DataRequired(
                "Confirm that you have checked the story for patient-identifiable information"
            )
        ],
    )


class ReturnForm(PortalForm):
    comment = TextAreaField(
        "What should the trust change?",
        filters=[one_kind_of_line_break],
        description="The author gets this by e-mail and sees it beside the story.",
        validators=[
            DataRequired("Say what the trust should change"),
            Length(max=2000, message="Comment must be 2,000 characters or fewer"),
        ],
        render_kw={"rows": 5},
    )


class PreviewForm(PortalForm):
    body = TextAreaField(
        filters=[one_kind_of_line_break],
        validators=[Length(max=BODY_MAX, message="Story must be 20,000 characters or fewer")],
    )


class StoryFilterForm(FilterForm):
    """The published stories' search and filters."""

    q = SearchField(
        "Search stories",
        description="Words from the title, summary or story, for example “VBAC clinic”",
        filters=[searched(200)],
        render_kw={"maxlength": "200", "autocomplete": "off", "spellcheck": "false"},
    )
    region = SelectField("Region", choices=[])
    # Typed, not chosen from a list: the portal may hold well over a thousand trusts.
    trust = SearchField(
        "Trust or ODS code",
        filters=[searched(100)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    pathway = SelectField(
        "Pathway",
        choices=[SelectChoice("", "All pathways")]
        + [SelectChoice(p.value, p.label) for p in Pathway],
    )
    measure = SelectField(
        "Quotes a measure",
        choices=[SelectChoice("", "Any or none")]
        + [SelectChoice(m.value, m.label) for m in Measure],
    )

    def __init__(self, *args: Any, regions: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regions = {r.slug: r for r in regions}
        self.region.choices = [SelectChoice("", "All regions")] + [
            SelectChoice(r.slug, r.name) for r in regions
        ]
        self.clear_unknown_choices()

    def filters(self) -> StoryFilters:
        """The filters as the service takes them."""
        return StoryFilters(
            query=self.q.data or "",
            region=self.regions.get(self.region.data or ""),
            trust=self.trust.data or "",
            pathway=Pathway(self.pathway.data) if self.pathway.data else None,
            measure=Measure(self.measure.data) if self.measure.data else None,
        )
