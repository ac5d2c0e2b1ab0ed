"""The list pages' search and filters (people, trusts, stories, events) never refuse what a link
asks for: a choice that no option offers (from an old link) is ignored, so the page lists
everything, and a search longer than its box allows is cut to that length. Both with htmx (the
results alone) and without (the whole page, its form showing what was used)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tests.admin.helpers import signed_in_admin
from tests.client import HTMX, PortalClient
from tests.factories import make_trust, make_user, open_event, stored_story, trust_staff


@dataclass(frozen=True)
class ListPage:
    path: str
    results: str  # the id of the part of the page htmx swaps
    everything: str  # what the page says when nothing narrows the list (see `_lists`)
    unknown: dict[str, str] = field(default_factory=dict)  # per field, a value no option offers
    default: dict[str, str] = field(default_factory=dict)  # a field's choice when none is made

    def __str__(self) -> str:
        return self.path


PEOPLE = ListPage(
    "/admin/people",
    "people-results",
    "4 people.",
    {"role": "chief-executive", "status": "on-leave", "region": "wessex"},
)
TRUSTS = ListPage(
    "/admin/trusts",
    "trust-results",
    "2 trusts.",
    {"region": "wessex", "participating": "sometimes"},
)
STORIES = ListPage(
    "/stories",
    "story-results",
    ">2 stories</h2>",
    {"region": "wessex", "pathway": "breech-birth", "measure": "apgar-score"},
)
EVENTS = ListPage(
    "/events",
    "event-results",
    ">2 upcoming events</h2>",
    {"region": "wessex", "when": "someday"},
    {"when": "upcoming"},
)

UNKNOWN_CHOICES = [
    pytest.param(page, name, id=f"{page.path}?{name}")
    for page in (PEOPLE, TRUSTS, STORIES, EVENTS)
    for name in page.unknown
]


def _lists(client: PortalClient) -> None:
    """An admin (signed in), two trusts with a member of staff and a published story each, and
    two upcoming events planned by London's coordinator: four people in all."""
    signed_in_admin(client)
    for code, slug in (("RT1", "london"), ("RT2", "north-east")):
        staff = trust_staff(code, slug)
        assert staff.trust is not None
        stored_story(staff.trust, title=f"What {code} changed")
    open_event(title="Spring network day")
    open_event(title="Autumn network day")


def _get(client: PortalClient, page: ListPage, query: str, htmx: bool) -> str:
    headers = {**HTMX, "HX-Target": page.results} if htmx else {}
    response = client.get(f"{page.path}?{query}", headers=headers)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f'id="{page.results}"' in body
    # htmx gets the results alone; a browser without it, the whole page.
    assert ("<html" in body) is not htmx
    return body


def _chosen(body: str, name: str) -> str:
    """The option selected (or the radio button checked) for the field `name`; "" for none."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', body, re.DOTALL)
    if select is not None:
        picked = re.findall(r'<option value="([^"]*)"\s*selected', select.group(1))
    else:
        picked = re.findall(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"\s*checked', body)
    assert len(picked) <= 1
    return picked[0] if picked else ""


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(("page", "name"), UNKNOWN_CHOICES)
def test_a_choice_no_option_offers_is_ignored(
    client: PortalClient, page: ListPage, name: str, htmx: bool
) -> None:
    _lists(client)
    value = page.unknown[name]
    body = _get(client, page, f"{name}={value}", htmx)
    assert page.everything in body
    assert value not in body  # nor carried on, in a link to another page of the list
    if not htmx:
        assert _chosen(body, name) == page.default.get(name, "")


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_choice_an_option_offers_still_filters(client: PortalClient, htmx: bool) -> None:
    _lists(client)
    body = _get(client, PEOPLE, "region=north-east&status=active", htmx)
    assert "1 person found." in body
    if not htmx:
        assert _chosen(body, "region") == "north-east"
        assert _chosen(body, "status") == "active"


def _long_named_person() -> None:
    make_user("trust", "long.name@nhs.example", trust=make_trust(), name="a" * 100)


def _long_named_trust() -> None:
    make_trust("A" * 100 + " NHS Trust", "RLN")


def _vbac_story() -> None:
    stored_story(make_trust(), title="A VBAC clinic")


# Each search matches one row when cut to its box's length, and none when read whole.
LONG_SEARCHES = [
    pytest.param(PEOPLE, _long_named_person, "a" * 100, "zzz", "1 person found.", id="people"),
    pytest.param(TRUSTS, _long_named_trust, "a" * 100, "zzz", "1 trust found.", id="trusts"),
    pytest.param(
        STORIES, _vbac_story, "vbac" + " " * 196, "zzz", ">1 story matching", id="stories"
    ),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(("page", "arrange", "kept", "beyond", "says"), LONG_SEARCHES)
def test_a_search_longer_than_its_box_is_cut(
    client: PortalClient,
    page: ListPage,
    arrange: Callable[[], None],
    kept: str,
    beyond: str,
    says: str,
    htmx: bool,
) -> None:
    signed_in_admin(client)
    arrange()
    body = _get(client, page, f"q={kept}{beyond}", htmx)
    assert says in body
    assert beyond not in body
    if not htmx:
        assert f'value="{kept}"' in body  # the search box shows what was searched for
