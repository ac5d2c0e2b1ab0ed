"""The Markdown renderer's bound on work: text with more structure than the parser can lay out
quickly is shown as plain text, and the parser never sees it. (No timings: the weights say what
costs the parser time, and the tests check that the parser is spared what weighs too much.)"""

from __future__ import annotations

import string

import pytest
from markupsafe import escape

import portal.web.markdown as markdown
from portal.web.markdown import (
    MARK_WEIGHTS,
    MARKUP_BUDGET,
    PLAIN_TEXT_NOTE,
    is_too_busy,
    markdown_to_text,
    markup_weight,
    render_markdown,
)
from tests.web.helpers import parser_inputs

#: Text that took the parser from 0.3 to 4.5 seconds before the bound, all of it short enough for
#: a story (20,000 characters).
PATHOLOGICAL = {
    "20,000 [": "[" * 20_000,
    "images": "![" * 10_000,
    "link openers and emphasis closers": "[ a_" * 5_000,
    "list items": "- a\n" * 5_000,
    "nested list items": "- - a\n" * 3_000,
    "ordered list items": "1. a\n" * 4_000,
    "autolinks": "<http://a> " * 1_800,
    "a table 500 columns wide": "a|" * 500 + "\n" + "-|" * 500 + "\n" + "b\n" * 900,
    "quotes between lines of text": "a\n>>\n" * 800,
    "nested quotes between lines": "a\n>>>>>>>>\n" * 200,
}


def test_the_weights_cover_exactly_the_characters_where_the_parser_stops() -> None:
    # A markdown-it upgrade that stops at other characters would make the weights wrong.
    stops = markdown._markdown.inline.terminator_re
    assert {c for c in string.printable if stops.match(c)} == set(MARK_WEIGHTS)


@pytest.mark.parametrize("source", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_text_is_shown_as_plain_text_without_parsing(source: str) -> None:
    assert len(source) <= 20_000
    with parser_inputs() as parsed:
        html = render_markdown(source)
        text = markdown_to_text(source)
    assert parsed == []
    assert html.startswith(f'<p class="portal-meta">{PLAIN_TEXT_NOTE}</p><p>')
    assert escape(source.split("\n")[0][:50]) in html  # the text itself, as written
    assert text == source.strip()


def test_a_long_story_with_a_table_lists_and_links_on_every_page_is_laid_out() -> None:
    table = (
        "| Month | Deliveries | Total CS rate |\n|---|---:|---:|\n"
        + "| Apr 2008 | 412 | 26.5% |\n" * 12
    )
    page = (
        "## What we changed\n\n"
        "In April 2008 we reviewed every emergency caesarean section at 39+ weeks: 24.5% of women "
        "were *first-time mothers* admitted before 4 cm. A **triage phone line** - see the "
        "[NICE guideline](https://www.nice.org.uk/guidance/cg190) - and a monthly audit.\n\n"
        + "".join(f"- Step {i}: we changed the *leaflet* ({i * 3}%)\n" for i in range(1, 11))
        + "\n"
    )
    story = (table + "\n" + page * 40)[:20_000]
    assert len(story) == 20_000
    with parser_inputs() as parsed:
        html = render_markdown(story)
    assert parsed == [story]
    assert "<table>" in html and "<li>" in html and "<strong>triage phone line</strong>" in html
    assert PLAIN_TEXT_NOTE not in html


def test_plain_text_keeps_paragraphs_and_lines_and_escapes_everything() -> None:
    source = "<script>alert(1)</script>\r\nsecond line\n\n\n" + "[" * MARKUP_BUDGET
    html = render_markdown(source)
    assert html == (
        f'<p class="portal-meta">{PLAIN_TEXT_NOTE}</p>'
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;<br>second line</p>"
        f"<p>{'[' * MARKUP_BUDGET}</p>"
    )


@pytest.mark.parametrize(
    ("source", "weight"),
    [
        ("Plain words, commas, full stops (and brackets)?", 0),
        ("[link](https://nhs.uk)", 6 + 1 + 1),  # [ ] and :; brackets, slashes and dots are free
        ("line\r\nline\rline\n", 3 * 6),  # one line break however it is sent
        ("1. one\n2) two", 2 * 4 + 6),
        ("a|b\n-|-\nc|d\n", 7 * 6 + 3 * 6 + 2 * 1),  # six cells, three lines, two hyphens
        ("a\n> b\nc\nd\n\ne", 5 * 6 + 1 + 2 // 2),  # the quote reads c and d again
    ],
)
def test_what_the_weight_counts(source: str, weight: int) -> None:
    assert markup_weight(source) == weight


def test_the_budget_is_the_line_between_markdown_and_plain_text() -> None:
    at_budget = "[" * (MARKUP_BUDGET // MARK_WEIGHTS["["])
    over_budget = at_budget + "["
    assert markup_weight(at_budget) <= MARKUP_BUDGET < markup_weight(over_budget)
    assert not is_too_busy(at_budget) and is_too_busy(over_budget)
    with parser_inputs() as parsed:
        render_markdown(at_budget)
        render_markdown(over_budget)
    assert parsed == [at_budget]
