"""Rules for text people type, shared by forms, imports and anything else that takes names."""

from __future__ import annotations

import re

# Unicode category Cc (C0 controls, DEL and C1 controls: CR, LF, TAB, NUL, ESC, U+0085 …), and
# the line and paragraph separators, which are not Cc but break a line as surely as LF does.
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def holds_control_character(text: str) -> bool:
    """Whether one-line text (a title, a name, an e-mail address) holds a line break, a tab or
    another invisible control character: none of them means anything in a name, and a line
    break ends up where it cannot be held (a calendar line, an e-mail header, a CSV cell)."""
    return CONTROL_CHARACTER.search(text) is not None
