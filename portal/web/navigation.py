"""The header's navigation, put together from the links each feature declares.

A feature declares its links where its pages are (`navigation_link(...)` in its routes module):
the text, a place in the order (lower first: public pages 10–50, a role's own pages 60–190,
Contact last), the address for the person looking (None when the link is not for them), and
the endpoints of the pages under it, where the link is shown as the current section.

A signed-in person's own links come before the public ones: they are what that person came
for, and on a phone the header shows only the first few links before "More".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import request, url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavigationLink:
    text: str
    place: int
    #: The link's address for this person (the signed-in user, or an anonymous visitor), or
    #: None when it is not for them.
    address: Callable[[Any], str | None]
    #: The endpoints of the pages that belong under this link.
    section: frozenset[str]


_links: dict[str, NavigationLink] = {}


def navigation_link(
    text: str,
    place: int,
    address: Callable[[Any], str | None],
    section: Iterable[str] = (),
) -> None:
    """Declare a link in the header (once per text: declaring it again replaces it)."""
    _links[text] = NavigationLink(text, place, address, frozenset(section))


def to(endpoint: str, **values: Any) -> Callable[[Any], str | None]:
    """The address of a page everyone may open."""
    return lambda _person: url_for(endpoint, **values)


#: The places of a role's own links; below them the public pages, above them Contact.
OWN_PLACES = range(60, 1000)


def _order(link: NavigationLink, own_first: bool) -> tuple[int, int, str]:
    if not own_first:
        return (0, link.place, link.text)
    group = 0 if link.place in OWN_PLACES else 1 if link.place < OWN_PLACES.start else 2
    return (group, link.place, link.text)


@cache
def _in_order(links: tuple[NavigationLink, ...], own_first: bool) -> list[NavigationLink]:
    """The links in the header's order (sorted once per process for each kind of visitor)."""
    return sorted(links, key=lambda link: _order(link, own_first))


def navigation_items() -> list[dict[str, Any]]:
    """The header's links for the person looking, in order, with the current one marked."""
    items = []
    person = current_user._get_current_object()  # once, not through the proxy for each link
    path, endpoint = request.path, request.endpoint
    for link in _in_order(tuple(_links.values()), bool(person.is_authenticated)):
        href = link.address(person)
        if href is None:
            continue
        current = path == href
        items.append(
            {
                "href": href,
                "text": link.text,
                "current": current,
                "active": endpoint in link.section and not current,
            }
        )
    return items
