"""The portal's lean NHS.UK components (templates/nhs/) draw what the design system's macros draw.

Each case renders a component through the nhsuk-frontend-jinja macro and through ours, in the
app's Jinja environment, and compares the two as trees of elements: tag names, attributes (the
class attribute as a set of classes), text with its whitespace collapsed. An upgrade of the design
system that changes a component's markup fails here, naming the component and the case.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

#: Each design-system component the portal has a lean version of: (its folder in
#: nhsuk/components/, its macro) -> our template. The page template is compared separately.
LEAN = {
    ("input", "input"): "nhs/forms.jinja",
    ("textarea", "textarea"): "nhs/forms.jinja",
    ("select", "select"): "nhs/forms.jinja",
    ("file-upload", "fileUpload"): "nhs/forms.jinja",
    ("checkboxes", "checkboxes"): "nhs/forms.jinja",
    ("radios", "radios"): "nhs/forms.jinja",
    ("date-input", "dateInput"): "nhs/forms.jinja",
    ("error-summary", "errorSummary"): "nhs/forms.jinja",
    ("button", "button"): "nhs/components.jinja",
    ("back-link", "backLink"): "nhs/components.jinja",
    ("breadcrumb", "breadcrumb"): "nhs/components.jinja",
    ("details", "details"): "nhs/components.jinja",
    ("inset-text", "insetText"): "nhs/components.jinja",
    ("warning-callout", "warningCallout"): "nhs/components.jinja",
    ("pagination", "pagination"): "nhs/components.jinja",
    ("notification-banner", "notificationBanner"): "nhs/components.jinja",
    ("panel", "panel"): "nhs/components.jinja",
    ("task-list", "taskList"): "nhs/components.jinja",
    ("header", "header"): "nhs/frame.jinja",
    ("footer", "footer"): "nhs/frame.jinja",
}
MACROS = {macro: (folder, lean) for (folder, macro), lean in LEAN.items()}


# --- The normaliser: HTML as a tree, compared line by line -------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attributes: list[tuple[str, str | None]]
    children: list[Element | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", [])
        self.open = [self.root]

    def handle_decl(self, decl: str) -> None:
        self.open[-1].children.append(Element(f"!{decl}", []))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, attrs)
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(Element(tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        children = self.open[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)


def _attribute(name: str, value: str | None) -> str:
    if name == "class":
        return "class={" + " ".join(sorted(set((value or "").split()))) + "}"
    return name if value is None else f"{name}={value!r}"


def _lines(element: Element, depth: int = 0) -> Iterator[str]:
    for child in element.children:
        if isinstance(child, str):
            text = " ".join(child.split())
            if text:
                yield "  " * depth + repr(text)
        else:
            # Sorted, so that order does not matter; a repeated attribute shows twice.
            attributes = sorted(_attribute(name, value) for name, value in child.attributes)
            yield "  " * depth + " ".join([f"<{child.tag}", *attributes]) + ">"
            yield from _lines(child, depth + 1)


def tree(html: str) -> list[str]:
    """The HTML as one line per element and per text: what the comparison looks at."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.open == [builder.root], f"unclosed: {[e.tag for e in builder.open[1:]]}"
    return list(_lines(builder.root))


def assert_same_tree(library: str, lean: str) -> None:
    expected, actual = tree(library), tree(lean)
    diff = "\n".join(
        difflib.unified_diff(expected, actual, "design system", "lean macro", lineterm="")
    )
    assert actual == expected, f"the lean markup differs from the design system's:\n{diff}"


def test_the_normaliser_sees_what_matters() -> None:
    same = '<p class="a  b" id="x">\n  Some   text <b>bold</b>\n</p><input name="n">'
    assert tree(same) == tree('<p id="x" class="b a">Some text <b>bold</b></p><input name="n">')
    for different in (
        '<p class="a" id="x">Some text <b>bold</b></p><input name="n">',  # a class fewer
        '<p class="a b" id="y">Some text <b>bold</b></p><input name="n">',  # another id
        '<p class="a b" id="x">Some text <i>bold</i></p><input name="n">',  # another element
        '<p class="a b" id="x">Some text bold</p><input name="n">',  # text not in an element
        '<p class="a b" id="x">Some text <b>bold</b></p><input name="n" checked>',
        '<p class="a b" id="x">Some <b>bold</b> text</p><input name="n">',
    ):
        assert tree(same) != tree(different), different
    with pytest.raises(AssertionError):
        tree("<div><span></div>")


# --- Rendering ---------------------------------------------------------------------------------


def render(app: Flask, source: str, **context: Any) -> str:
    with app.test_request_context("/"):
        return app.jinja_env.from_string(source).render(**context)


def render_both(
    app: Flask, macro: str, params: dict[str, Any], body: str | None
) -> tuple[str, str]:
    folder, lean = MACROS[macro]
    call = (
        f"{{% call {macro}(params) %}}{body}{{% endcall %}}"
        if body
        else f"{{{{ {macro}(params) }}}}"
    )
    library = f'{{% from "nhsuk/components/{folder}/macro.jinja" import {macro} %}}{call}'
    ours = f'{{% from "{lean}" import {macro} %}}{call}'
    return render(app, library, params=params), render(app, ours, params=params)


@dataclass(frozen=True)
class Case:
    macro: str
    name: str
    params: dict[str, Any]
    #: The content of a {% call %} block, for components that take one.
    body: str | None = None


def field_params(**given: Any) -> dict[str, Any]:
    """A field's params as macros/forms.jinja builds them: every key, most of them empty."""
    params: dict[str, Any] = {
        "id": "title",
        "name": "title",
        "label": {"text": "Title", "classes": ""},
        "hint": None,
        "errorMessage": None,
        "classes": "",
        "attributes": {},
    }
    params.update(given)
    return params


def input_params(**given: Any) -> dict[str, Any]:
    defaults = {
        "type": "text",
        "value": "",
        "autocomplete": None,
        "spellcheck": None,
        "inputmode": None,
        "width": None,
    }
    return field_params(**{**defaults, **given})


AWKWARD = "Smith & Jones <\"quoted\" 'text'>"
CHECKBOX_ITEMS = [
    {"value": "first", "text": "First pregnancy", "checked": True, "id": "pathways-1"},
    {"value": "vbac", "text": "VBAC & more", "checked": False, "id": "pathways-2"},
    {"value": "elective", "text": "Elective", "checked": None, "id": "pathways-3"},
]
HINTED_ITEMS = [
    {
        "value": "7",
        "id": "priorities-1",
        "text": "A1 Leadership",
        "hint": {"text": "Gap 2"},
        "checked": True,
    },
    {
        "value": "9",
        "id": "priorities-2",
        "text": "B2 Audit",
        "hint": {"text": "Gap 1"},
        "checked": False,
    },
]
DATE_ITEMS = [
    {
        "id": "held_on-day",
        "name": "held_on-day",
        "label": "Day",
        "value": "31",
        "width": 2,
        "classes": "",
        "inputmode": "numeric",
    },
    {
        "id": "held_on-month",
        "name": "held_on-month",
        "label": "Month",
        "value": "13",
        "width": 2,
        "classes": "",
        "inputmode": "numeric",
    },
    {
        "id": "held_on-year",
        "name": "held_on-year",
        "label": "Year",
        "value": "",
        "width": 4,
        "classes": "",
        "inputmode": "numeric",
    },
]


def date_items(*in_error: str) -> list[dict[str, Any]]:
    return [
        {**item, "classes": "nhsuk-input--error" if item["label"].lower() in in_error else ""}
        for item in DATE_ITEMS
    ]


def header_params(signed_in: bool, navigation: list[dict[str, Any]]) -> dict[str, Any]:
    """The header as layout.jinja calls it."""
    if signed_in:
        account = [
            {"href": "/account", "text": "Pat O'Brien & co", "icon": True},
            {
                "html": '<form class="nhsuk-header__account-form" action="/sign-out" method="post">'
                '<input type="hidden" name="csrf_token" value="abc.def">'
                '<button class="nhsuk-header__account-button">Sign out</button></form>'
            },
        ]
    else:
        account = [{"href": "/sign-in", "text": "Sign in", "icon": True}]
    return {
        "service": {"text": "Caesarean section network", "href": "/"},
        "logo": {"href": "/"},
        "account": {"items": account},
        "navigation": {"items": navigation},
    }


NAVIGATION = [
    {"href": "/your-trust", "text": "Your trust", "current": False, "active": True},
    {"href": "/bookings", "text": "Bookings", "current": True, "active": False},
    {"href": "/events", "text": "Events & more", "current": False, "active": False},
]

CASES = [
    # input
    Case("input", "minimal", {"id": "name", "name": "name", "label": {"text": "Full name"}}),
    Case("input", "as forms.jinja calls it", input_params()),
    Case("input", "hint", input_params(hint={"text": "As it appears on your badge"})),
    Case("input", "error", input_params(errorMessage={"text": "Enter a title"})),
    Case(
        "input",
        "hint, error, classes and attributes",
        input_params(
            hint={"text": "A hint"},
            errorMessage={"text": "Enter a title"},
            classes="nhsuk-u-width-two-thirds",
            label={"text": "Title", "classes": "nhsuk-label--s"},
            attributes={
                "autofocus": {"value": True, "optional": True},
                "maxlength": "200",
                "data-x": 'a "quoted" value',
            },
        ),
    ),
    Case(
        "input",
        "value, autocomplete, spellcheck, width",
        input_params(
            type="email", value=AWKWARD, autocomplete="username", spellcheck=False, width=20
        ),
    ),
    Case("input", "numeric, width 5", input_params(value="12", inputmode="numeric", width=5)),
    Case("input", "decimal, width 3", input_params(value="0", inputmode="decimal", width=3)),
    Case("input", "password", input_params(type="password", autocomplete="current-password")),
    Case(
        "input",
        "search with extra attributes",
        input_params(type="search", attributes={"enterkeyhint": "search", "maxlength": "100"}),
    ),
    Case("input", "awkward label", input_params(label={"text": AWKWARD, "classes": ""})),
    # textarea
    Case("textarea", "minimal", {"id": "summary", "name": "summary", "label": {"text": "Summary"}}),
    Case(
        "textarea",
        "as forms.jinja calls it",
        field_params(value="Line one\nLine <two> & three", rows=3),
    ),
    Case(
        "textarea",
        "hint and error",
        field_params(
            value="", rows=8, hint={"text": "Markdown"}, errorMessage={"text": "Too long"}
        ),
    ),
    Case(
        "textarea",
        "classes and attributes",
        field_params(
            value="x",
            rows=16,
            classes="portal-story-body",
            attributes={
                "hx-post": "/preview?a=1&b=2",
                "hx-trigger": "input changed delay:500ms, load",
                "autocomplete": "off",
            },
        ),
    ),
    Case(
        "textarea",
        "label as HTML, default rows",
        {
            "id": "evidence-7",
            "name": "evidence-7",
            "label": {
                "html": Markup(
                    'Evidence (optional)<span class="nhsuk-u-visually-hidden"> for A1</span>'
                )
            },
            "hint": {"text": "Up to 2,000 characters."},
            "value": "Audit & guideline",
            "rows": 3,
            "errorMessage": None,
        },
    ),
    # select
    Case(
        "select",
        "as forms.jinja calls it",
        field_params(
            items=[
                {"value": "", "text": "All regions", "selected": False},
                {"value": "london", "text": "NHS London", "selected": True},
            ]
        ),
    ),
    Case(
        "select",
        "hint, error, classes",
        field_params(
            items=[
                {"value": "a", "text": "A & B", "selected": False},
                {"value": "b", "text": "C", "selected": None},
            ],
            hint={"text": "Choose one"},
            errorMessage={"text": "Choose a region"},
            classes="portal-select-full",
            label={"text": "Show", "classes": "nhsuk-label--s"},
        ),
    ),
    Case(
        "select",
        "attributes",
        field_params(
            items=[{"value": "1", "text": "One", "selected": True}],
            attributes={"hx-get": "/x", "data-a": "1"},
        ),
    ),
    # file upload
    Case("fileUpload", "minimal", {"id": "file", "name": "file", "label": {"text": "CSV file"}}),
    Case(
        "fileUpload",
        "as forms.jinja calls it",
        field_params(id="file", name="file", attributes={"accept": ".csv,text/csv"}),
    ),
    Case(
        "fileUpload",
        "hint, error, classes",
        field_params(
            id="file",
            name="file",
            hint={"text": "A CSV file"},
            errorMessage={"text": "Choose a file"},
            classes="x-file",
            attributes={"accept": ".csv"},
        ),
    ),
    # checkboxes
    Case(
        "checkboxes",
        "a list in a fieldset",
        {
            "idPrefix": "pathways",
            "name": "pathways",
            "fieldset": {"legend": {"text": "Pathways", "size": "s"}},
            "errorMessage": None,
            "hint": None,
            "items": CHECKBOX_ITEMS,
        },
    ),
    Case(
        "checkboxes",
        "hint and error in a fieldset",
        {
            "idPrefix": "pathways",
            "name": "pathways",
            "fieldset": {"legend": {"text": "Pathways", "size": "s"}},
            "errorMessage": {"text": "Choose at least one"},
            "hint": {"text": "Select all that apply"},
            "items": CHECKBOX_ITEMS,
        },
    ),
    Case(
        "checkboxes",
        "items with hints, legend size m",
        {
            "idPrefix": "priorities",
            "name": "priorities",
            "fieldset": {"legend": {"text": "Priorities", "size": "m"}},
            "hint": {"text": "Select all that apply."},
            "errorMessage": {"text": "Choose fewer"},
            "items": HINTED_ITEMS,
        },
    ),
    Case(
        "checkboxes",
        "one box without a fieldset",
        {
            "idPrefix": "remember",
            "name": "remember",
            "errorMessage": None,
            "hint": None,
            "items": [{"value": "y", "text": "Remember me", "checked": True, "id": "remember"}],
        },
    ),
    Case(
        "checkboxes",
        "one box with hint and error, no fieldset",
        {
            "idPrefix": "agree",
            "name": "agree",
            "errorMessage": {"text": "You must agree"},
            "hint": {"text": "We keep it for a year"},
            "items": [{"value": "y", "text": "I agree", "checked": False, "id": "agree"}],
        },
    ),
    Case(
        "checkboxes",
        "small, numbered ids, form group classes",
        {
            "idPrefix": "characteristics-first",
            "name": "characteristics",
            "small": True,
            "formGroup": {"classes": "nhsuk-u-margin-bottom-0"},
            "items": [
                {"value": "a1", "text": "A1: Leadership", "checked": True},
                {"value": "a2", "text": "A2 (no longer in the toolkit)", "checked": False},
                {"value": "a3", "text": "A3", "checked": False},
            ],
        },
    ),
    # radios
    Case(
        "radios",
        "items with hints, legend as HTML",
        {
            "idPrefix": "current-7",
            "name": "current-7",
            "fieldset": {
                "legend": {
                    "html": Markup(
                        'Where is your service now?<span class="nhsuk-u-visually-hidden"> (A1)</span>'
                    ),
                    "size": "s",
                }
            },
            "errorMessage": None,
            "items": [
                {
                    "value": "1",
                    "text": "1. Starting",
                    "hint": {"text": "No plan yet"},
                    "checked": False,
                },
                {
                    "value": "2",
                    "text": "2. Growing & <learning>",
                    "hint": {"text": "Some audits"},
                    "checked": True,
                },
                {"value": "3", "text": "3. Leading", "hint": {"text": ""}, "checked": False},
            ],
        },
    ),
    Case(
        "radios",
        "hint as a string and an error",
        {
            "idPrefix": "aspired-7",
            "name": "aspired-7",
            "fieldset": {"legend": {"html": Markup("Where do you aspire to be?"), "size": "s"}},
            "hint": "The same positions, described above.",
            "errorMessage": {"text": "Choose where you aspire to be"},
            "items": [
                {"value": "1", "text": "1. Starting", "checked": False},
                {"value": "2", "text": "2. Growing", "checked": False},
            ],
        },
    ),
    # date input
    Case(
        "dateInput",
        "no error",
        {
            "id": "held_on",
            "fieldset": {"legend": {"text": "Date", "size": "s"}},
            "hint": None,
            "errorMessage": None,
            "items": date_items(),
        },
    ),
    Case(
        "dateInput",
        "hint, and an error on one part",
        {
            "id": "held_on",
            "fieldset": {"legend": {"text": "Date", "size": "s"}},
            "hint": {"text": "For example, 27 3 2026"},
            "errorMessage": {"text": "Month must be between 1 and 12"},
            "items": date_items("month"),
        },
    ),
    Case(
        "dateInput",
        "an error on every part",
        {
            "id": "held_on",
            "fieldset": {"legend": {"text": "Date", "size": "s"}},
            "hint": None,
            "errorMessage": {"text": "Enter a date"},
            "items": date_items("day", "month", "year"),
        },
    ),
    Case(
        "dateInput",
        "an error on no part marks every part",
        {
            "id": "held_on",
            "fieldset": {"legend": {"text": "Date", "size": "s"}},
            "errorMessage": {"text": "Enter a real date"},
            "items": date_items(),
        },
    ),
    # error summary
    Case(
        "errorSummary",
        "several items",
        {
            "titleText": "There is a problem",
            "errorList": [
                {"text": "Enter a title", "href": "#title"},
                {"text": "Date: enter a day & month", "href": "#held_on-day"},
                {"text": "Choose a file", "href": "#file"},
            ],
        },
    ),
    Case(
        "errorSummary",
        "a description, no items",
        {
            "titleText": "This place cannot be offered",
            "descriptionText": "The event is full <now>",
            "errorList": [],
        },
    ),
    Case(
        "errorSummary",
        "a description and items",
        {
            "titleText": "The round cannot be completed yet",
            "descriptionText": "Still to give:",
            "errorList": [{"text": "A1: current position", "href": "/answer#current-1"}],
        },
    ),
    # button
    Case("button", "a button", {"text": "Save changes"}),
    Case(
        "button", "a secondary button", {"text": "Save name", "classes": "nhsuk-button--secondary"}
    ),
    Case(
        "button",
        "a button with attributes",
        {
            "text": "Erase & go",
            "classes": "nhsuk-button--warning",
            "attributes": {
                "name": "action",
                "value": "erase",
                "formnovalidate": {"value": True, "optional": True},
            },
        },
    ),
    Case(
        "button",
        "HTML",
        {
            "html": 'Save the target<span class="nhsuk-u-visually-hidden"> for the total CS rate</span>',
            "classes": "nhsuk-button--secondary",
        },
    ),
    Case("button", "a link", {"text": "Start a new round", "href": "/rounds/new?a=1&b=2"}),
    Case(
        "button",
        "a link with attributes",
        {
            "text": "Start",
            "href": "/start",
            "classes": "nhsuk-button--secondary",
            "attributes": {"id": "start", "hx-boost": "true"},
        },
    ),
    # back link
    Case("backLink", "text and href", {"href": "/regions?page=2&x=1", "text": "Back to regions"}),
    Case("backLink", "no text", {"href": "/events/1"}),
    Case(
        "backLink",
        "classes and attributes",
        {"href": "/x", "text": "Back", "classes": "portal-no-print", "attributes": {"data-x": "1"}},
    ),
    # breadcrumb
    Case(
        "breadcrumb",
        "two items",
        {
            "items": [
                {"href": "/events", "text": "Network events"},
                {"href": "/regions/london", "text": "NHS London & co"},
            ]
        },
    ),
    Case(
        "breadcrumb", "one item", {"items": [{"href": "/stories", "text": "Improvement stories"}]}
    ),
    # details
    Case(
        "details",
        "summary text and HTML",
        {"summaryText": "Trusts already up to date (1,204)", "html": "<ul><li>A &amp; B</li></ul>"},
    ),
    Case(
        "details",
        "summary HTML and classes",
        {
            "summaryHtml": 'Details<span class="nhsuk-u-visually-hidden"> of the change at 9:05am</span>',
            "html": "<p>Changed</p>",
            "classes": "portal-audit__details",
        },
    ),
    Case(
        "details",
        "open, with a call block",
        {
            "summaryText": "First pregnancy (2 selected)",
            "open": ["an error"],
            "classes": "portal-characteristics nhsuk-u-margin-bottom-2",
        },
        body="<p>The boxes</p>",
    ),
    Case(
        "details",
        "closed, with a call block",
        {"summaryText": "VBAC", "open": False},
        body="<p>The boxes</p>",
    ),
    # inset text
    Case("insetText", "text", {"text": "The event is full & has a waiting list"}),
    Case(
        "insetText",
        "HTML",
        {"html": '<p><strong class="nhsuk-tag nhsuk-tag--grey">Demo</strong> Invented.</p>'},
    ),
    # warning callout
    Case(
        "warningCallout",
        "heading and text",
        {"heading": "Some rows cannot be imported", "text": "Fix these rows & upload again."},
    ),
    Case(
        "warningCallout",
        "heading and HTML",
        {"heading": "Placeholder framework", "html": "<p>Invented.</p>"},
    ),
    Case(
        "warningCallout",
        "a heading that says important",
        {"heading": "Important: read this", "text": "Read it."},
    ),
    # pagination
    Case(
        "pagination",
        "previous and next",
        {
            "previous": {"href": "/people?page=1", "labelText": "Page 1 of 3"},
            "next": {"href": "/people?page=3&q=a", "labelText": "Page 3 of 3"},
        },
    ),
    Case(
        "pagination",
        "next only",
        {"previous": None, "next": {"href": "/people?page=2", "labelText": "Page 2 of 3"}},
    ),
    Case(
        "pagination",
        "previous only",
        {"previous": {"href": "/people?page=2", "labelText": "Page 2 of 3"}, "next": None},
    ),
    # notification banner
    Case(
        "notificationBanner",
        "success",
        {"variant": "success", "text": "Your name is saved", "titleId": "flash-title-1"},
    ),
    Case(
        "notificationBanner",
        "important",
        {"variant": None, "text": "You have been signed out <now>", "titleId": "flash-title-2"},
    ),
    # panel
    Case(
        "panel",
        "heading and text",
        {
            "heading": {"text": "2 places booked", "level": 1},
            "text": "Each person has their confirmation & a calendar invitation.",
        },
    ),
    # task list
    Case(
        "taskList",
        "each status",
        {
            "idPrefix": "pathway-task",
            "items": [
                {
                    "title": {"text": "First pregnancy & labour"},
                    "href": "/answer/first",
                    "hint": "3 of 3 characteristics have both positions",
                    "status": {"text": "Completed"},
                },
                {
                    "title": {"text": "VBAC"},
                    "href": "/answer/vbac",
                    "hint": "1 of 4 characteristics",
                    "status": {"tag": {"text": "In progress", "classes": "nhsuk-tag--blue"}},
                },
                {
                    "title": {"text": "Elective"},
                    "href": "/answer/elective",
                    "hint": "0 of 2",
                    "status": {"tag": {"text": "Not started", "classes": "nhsuk-tag--grey"}},
                },
            ],
        },
    ),
    Case(
        "taskList",
        "without a link or a hint",
        {"items": [{"title": {"text": "Top ten"}, "status": {"text": "Cannot start yet"}}]},
    ),
    # header and footer
    Case("header", "signed in, with a current and an active link", header_params(True, NAVIGATION)),
    Case("header", "signed out", header_params(False, NAVIGATION[2:])),
    Case("header", "no navigation", header_params(False, [])),
    Case(
        "footer",
        "as layout.jinja calls it",
        {
            "navigation": [
                {
                    "items": [
                        {"href": "/about", "text": "About the programme"},
                        {"href": "/contact", "text": "Contact & help"},
                        {"href": "/privacy", "text": "Privacy notice"},
                    ]
                }
            ],
            "copyright": {"text": "© NHS Institute for Innovation and Improvement"},
            "meta": {"text": "This portal supports the programme. It gives no medical advice."},
        },
    ),
]


def test_every_lean_component_has_cases() -> None:
    assert {case.macro for case in CASES} == set(MACROS)


@pytest.mark.parametrize("case", CASES, ids=[f"{case.macro}: {case.name}" for case in CASES])
def test_lean_component_draws_what_the_design_system_draws(app: Flask, case: Case) -> None:
    library, lean = render_both(app, case.macro, case.params, case.body)
    assert_same_tree(library, lean)


def test_a_key_the_lean_macro_does_not_implement_is_an_error(app: Flask) -> None:
    with pytest.raises(TypeError, match="prefix"):
        render_both(app, "input", input_params(prefix="£"), None)


# --- The page ----------------------------------------------------------------------------------

PAGE = """{% extends "PARENT" %}
{% set assetPath = "/assets/nhsuk/assets" %}
{% set cspNonce = "n0nce" %}
{% if signed_in %}{% set bodyAttributes = {"hx-headers": '{"X-CSRFToken": "a.b"}'} %}{% endif %}
{% block pageTitle %}Your account – Caesarean section network{% endblock %}
{% block head %}<link rel="stylesheet" href="/assets/nhsuk/nhsuk-frontend.min.css">{% endblock %}
{% block header %}<header>The header</header>{% endblock %}
{% block beforeContent %}<a href="/back">Back</a>{% endblock %}
{% block content %}<h1>Your account</h1>{% endblock %}
{% block footer %}<footer>The footer</footer>{% endblock %}
{% block bodyEnd %}<script src="/static/js/portal.mjs" type="module"></script>{% endblock %}
"""


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed in", "signed out"])
def test_lean_page_is_the_design_system_page(app: Flask, signed_in: bool) -> None:
    library = render(app, PAGE.replace("PARENT", "nhsuk/template.jinja"), signed_in=signed_in)
    lean = render(app, PAGE.replace("PARENT", "nhs/page.jinja"), signed_in=signed_in)
    assert_same_tree(library, lean)


# --- Keeping the slow path out -----------------------------------------------------------------

LIBRARY_TEMPLATE = re.compile(r"[\"'](nhsuk/(?:components/([\w-]+)/macro|template)\.jinja)[\"']")


def test_no_template_uses_a_design_system_macro_that_has_a_lean_version() -> None:
    lean_folders = {folder for folder, _macro in LEAN}
    found = []
    for path in sorted(TEMPLATES.rglob("*.jinja")):
        for match in LIBRARY_TEMPLATE.finditer(path.read_text()):
            if match.group(2) is None or match.group(2) in lean_folders:
                found.append(f"{path.relative_to(TEMPLATES)}: {match.group(1)}")
    assert not found, "use the lean version in templates/nhs/ instead:\n" + "\n".join(found)


def test_lean_templates_import_only_at_the_top_and_include_nothing() -> None:
    """An import inside a macro runs on every call, and an include copies the context: the two
    costs the lean macros exist to avoid."""
    for path in sorted((TEMPLATES / "nhs").glob("*.jinja")):
        source = path.read_text()
        assert not re.search(r"{%-?\s*include\b", source), path.name
        first_macro = re.search(r"{%-?\s*macro\b", source)
        top = first_macro.start() if first_macro else len(source)
        for match in re.finditer(r"{%-?\s*(?:from|import)\b", source):
            assert match.start() < top, f"{path.name}: an import after the first macro"
