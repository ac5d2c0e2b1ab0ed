"""Markdown written by people, rendered to HTML and then sanitised (nh3) before it is shown."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

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


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "href" and not value.lower().startswith(LINK_PREFIXES):
        return None
    return value


def render_markdown(source: str | None) -> Markup:
    """Safe HTML for a Markdown text: links keep only http(s) and mailto, and open nothing new."""
    if not source:
        return Markup("")
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
    """Plain text of a Markdown text (for calendars and e-mail): tags removed, entities decoded."""
    import html as htmllib

    if not source:
        return ""
    rendered = _markdown.render(source)
    text = nh3.clean(rendered, tags=set())
    return htmllib.unescape(text).strip()
