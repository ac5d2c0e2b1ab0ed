"""What tests of forms share: text no one-line field may hold, the message shown by a field, and
what the Markdown parser is given."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from unittest.mock import patch

import pytest

import portal.web.markdown as markdown

#: A header injected through a line break, and a terminal escape sequence.
NOT_ONE_LINE = [
    pytest.param("Title\r\nX-Evil: 1", id="crlf"),
    pytest.param("\x1b[31m", id="escape"),
]

ONE_LINE_MESSAGE = "must be on one line, without tabs or other invisible characters"

#: A full page, and the same form sent by htmx.
HTMX_OR_NOT = pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])


def field_error(page: str, field_id: str) -> str | None:
    """The error message the NHS component shows next to the field `field_id`, if any."""
    match = re.search(
        rf'<span class="nhsuk-error-message" id="{re.escape(field_id)}-error">\s*'
        r'<span class="nhsuk-u-visually-hidden">Error: </span>(.*?)\s*</span>',
        page,
        re.DOTALL,
    )
    return html.unescape(match.group(1)) if match else None


@contextmanager
def parser_inputs() -> Iterator[list[str]]:
    """Every text the Markdown parser is given meanwhile (it still parses them)."""
    given: list[str] = []
    parse = markdown._markdown.render

    def spy(source: str, *args: object) -> str:
        given.append(source)
        return parse(source, *args)

    with patch.object(markdown._markdown, "render", spy):
        yield given
