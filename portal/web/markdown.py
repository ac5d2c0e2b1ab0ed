"""Markdown written by people, rendered to HTML and then sanitised (nh3) before it is shown."""

from __future__ import annotations

import html as htmllib
import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

# CommonMark with tables and strikethrough; raw HTML in the source is not passed through.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "a", "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


# Where a link in user text may go: the web, e-mail, or a page of the portal itself. Anything else
# (a relative path made of an escaped "javascript:", say) is dropped, leaving the link text.
LINK_PREFIXES = ("https://", "http://", "mailto:", "/", "#")

# --- How much work a text may ask of the parser -------------------------------------------
#
# markdown-it-py is pure Python: its time grows with the structure of a text, not its length.
# Letters cost almost nothing (20,000 take under 1 ms), but each line, each character where the
# inline parser stops to try a rule ([, *, _, `, <, !, -, : …), each list marker and each table
# cell costs it 5 to 100 µs; 20,000 "[" took 0.3 to 1.7 s. Two shapes cost far more than their
# length: a table whose header has 500 columns fills every row up to 500 cells (3.8 kB took
# 4.5 s), and a block quote makes the parser read on to the next blank line looking for lazy
# continuation lines, again for each quote and each level of nesting, so 800 lines of ">>" and
# text between them (4 kB) took 2.5 s. No length limit stops either, so the renderer weighs the
# structure first (in one pass, at C speed where it can) and, past a budget that real stories
# stay well inside, shows the text as plain paragraphs instead of parsing it.

#: The characters where markdown-it's inline parser stops to try its rules (its text rule's
#: terminators), with what each costs it, in units of about 10 µs (measured with markdown-it-py
#: 4.3, worst context for each). A line break carries the cost of the line's block parsing.
MARK_WEIGHTS = {
    "\n": 6, "<": 7, "[": 6, "!": 4, "*": 3, "_": 3, "~": 2, "`": 2,
    "#": 1, "$": 1, "%": 1, "&": 1, "+": 1, "-": 1, ":": 1, "=": 1, ">": 1, "@": 1, "\\": 1,
    "]": 1, "^": 1, "{": 1, "}": 1,
}  # fmt: skip
LIST_MARKER_WEIGHT = 4  # "1." or "2)": digits, which are not stops
TABLE_CELL_WEIGHT = 7
QUOTED_LINES_PER_UNIT = 2  # a line read again for an open quote costs about 4 µs

#: The most structure a text may have to be laid out as Markdown: about 100 ms of parsing at
#: worst; a 20,000-character story with a table, and lists and links on every page, weighs 5,000.
MARKUP_BUDGET = 8000

_LIST_MARKER = re.compile(r"\d[.)]")
_DELIMITER_ROW_CHARACTERS = frozenset("|:- \t")
PLAIN_TEXT_NOTE = (
    "This text has more formatting (lines, lists, links or table cells) than the portal can "
    "lay out, so it is shown as plain text."
)


def _one_kind_of_line_break(source: str) -> str:
    # markdown-it reads CR LF and CR as LF; weighing them so keeps the budget honest.
    return source.replace("\r\n", "\n").replace("\r", "\n")


def _table_cells(lines: list[str]) -> int:
    """At most how many cells the tables of a text make: a table's header row and delimiter row,
    and every following line up to a blank one, filled up to the delimiter row's columns."""
    cells = columns = 0
    previous = ""
    for line in lines:
        if not line.strip():
            columns = 0
        elif columns:
            cells += columns
        elif "|" in previous and "-" in line and set(line) <= _DELIMITER_ROW_CHARACTERS:
            columns = line.strip().strip("|").count("|") + 1
            cells += 2 * columns
        previous = line
    return cells


def _quote_depth(line: str) -> int:
    """How many block quotes a line opens or continues (">", "> >", "  >>" …)."""
    depth = 0
    for character in line:
        if character == ">":
            depth += 1
        elif character not in " \t":
            break
    return depth


def _lines_read_again_for_quotes(lines: list[str]) -> int:
    """At most how many lines the parser reads again after the quotes before them, up to the
    next blank line: each quote, at each level, reads on to there."""
    total = open_quotes = 0
    for line in lines:
        if not line.strip():
            open_quotes = 0
            continue
        total += open_quotes
        open_quotes += _quote_depth(line)
    return total


def markup_weight(source: str) -> int:
    """How much work a Markdown text asks of the parser, in units of about 10 µs (see above)."""
    text = _one_kind_of_line_break(source)
    lines = text.split("\n")
    marks = sum(text.count(mark) * weight for mark, weight in MARK_WEIGHTS.items())
    markers = len(_LIST_MARKER.findall(text)) * LIST_MARKER_WEIGHT
    cells = _table_cells(lines) * TABLE_CELL_WEIGHT
    return marks + markers + cells + _lines_read_again_for_quotes(lines) // QUOTED_LINES_PER_UNIT


def is_too_busy(source: str | None) -> bool:
    """Whether a text has more structure than the renderer lays out as Markdown."""
    return bool(source) and markup_weight(source or "") > MARKUP_BUDGET


def _as_plain_text(source: str) -> Markup:
    """The text as written, escaped: paragraphs at blank lines, line breaks kept."""
    paragraphs: list[list[str]] = [[]]
    for line in _one_kind_of_line_break(source).split("\n"):
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    html = [f'<p class="portal-meta">{PLAIN_TEXT_NOTE}</p>']
    for lines in paragraphs:
        if lines:
            html.append("<p>" + "<br>".join(str(escape(line)) for line in lines) + "</p>")
    return Markup("".join(html))


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "href" and not value.lower().startswith(LINK_PREFIXES):
        return None
    return value


def render_markdown(source: str | None) -> Markup:
    """Safe HTML for a Markdown text: links keep only http(s) and mailto, and open nothing new.

    A text with more structure than MARKUP_BUDGET is shown as plain text, with a note saying so.
    """
    if not source:
        return Markup("")
    if is_too_busy(source):
        return _as_plain_text(source)
    html = _markdown.render(source)
    # Headings in user text start at level 2: the page's own h1 is the title.
    for level in (6, 5, 4, 3, 2, 1):
        target = min(level + 1, 4)
        html = html.replace(f"<h{level}>", f"<h{target}>").replace(f"</h{level}>", f"</h{target}>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_keep_attribute,
    )
    return Markup(clean)


def markdown_to_text(source: str | None) -> str:
    """Plain text of a Markdown text (for calendars and e-mail): tags removed, entities decoded.

    A text with more structure than MARKUP_BUDGET is given as written.
    """
    if not source:
        return ""
    if is_too_busy(source):
        return _one_kind_of_line_break(source).strip()
    rendered = _markdown.render(source)
    text = nh3.clean(rendered, tags=set())
    return htmllib.unescape(text).strip()
