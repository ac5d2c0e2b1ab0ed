"""A trust's charts on its public page: only when the trust publishes them, and never with a
count from 1 to 7; other counts rounded to the nearest 5 (NHS small-number rules)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask

from portal.extensions import db
from portal.measures.disclosure import public_count
from portal.measures.service import is_published, record_month, set_published
from portal.regions.models import Trust
from tests.client import HTMX, PortalClient
from tests.factories import make_trust, make_user

GOOD = {
    "deliveries": 302,
    "caesareans_elective": 31,
    "caesareans_emergency": 46,
    "normal_births": 121,
    "previous_caesarean": 41,
    "vbac": 13,
}


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, "0"), (1, "*"), (7, "*"), (8, "10"), (12, "10"), (13, "15"), (1233, "1,235")],
)
def test_small_counts_are_hidden_and_others_rounded_to_the_nearest_5(
    count: int, shown: str
) -> None:
    assert public_count(count) == shown


def fill(trust: Trust) -> None:
    for i in range(14):
        # March 2024: 5 women with a previous caesarean, 2 of them VBAC (both suppressed).
        small = i == 2
        record_month(
            trust,
            date(2024 + i // 12, i % 12 + 1, 1),
            {**GOOD, "previous_caesarean": 5 if small else 41, "vbac": 2 if small else 13},
            actor=None,
        )


def measures_section(html: str) -> str:
    start = html.find('id="measures"')
    return html[start : html.find("Improvement stories")] if start >= 0 else ""


def test_the_public_sees_published_charts_only_with_small_numbers_hidden(
    app: Flask, client: PortalClient
) -> None:
    trust = make_trust()
    fill(trust)
    assert measures_section(client.get("/trusts/RT1").get_data(as_text=True)) == ""

    set_published(trust, True, actor=None)
    section = measures_section(client.get("/trusts/RT1").get_data(as_text=True))
    assert "counts are rounded to the nearest 5" in section
    assert "They are not medical advice" in section
    # Counts rounded: 302 deliveries shown as 300, 77 caesareans as 75, 41 women as 40.
    assert "75 of 300" in section and "15 of 40" in section
    words = re.sub(r"<svg.*?</svg>", "", section, flags=re.S)  # not the drawing's coordinates
    assert "302" not in words and "77 of" not in words
    # The VBAC chart and table leave out March 2024 (5 women, 2 VBACs); the others keep it.
    vbac = section[section.find('id="public-measure-vbac"') :]
    total = section[: section.find('id="public-measure-elective-cs"')]
    assert "March 2024" not in vbac and "March 2024" in total
    wide = vbac.split('class="portal-chart__narrow"')[0]
    assert len(re.findall(r"<circle", wide)) == 13

    set_published(trust, False, actor=None)
    assert measures_section(client.get("/trusts/RT1").get_data(as_text=True)) == ""


@pytest.mark.parametrize(
    ("changes", "hidden_from"),
    [
        # 3 elective caesareans: total less emergency would give them away.
        ({"caesareans_elective": 3}, {"total-cs", "elective-cs", "emergency-cs"}),
        # 38 of 40 women had a VBAC: the rate gives away the 2 who did not.
        ({"previous_caesarean": 40, "vbac": 38}, {"vbac"}),
        # 297 of 302 deliveries were not normal births: 5 normal births, by subtraction or not.
        ({"normal_births": 5}, {"normal-birth"}),
    ],
)
def test_no_count_from_1_to_7_can_be_worked_out_by_subtraction(
    app: Flask, client: PortalClient, changes: dict[str, int], hidden_from: set[str]
) -> None:
    trust = make_trust()
    for i in range(13):
        given = {**GOOD, **(changes if i == 12 else {})}
        record_month(trust, date(2024 + i // 12, i % 12 + 1, 1), given, actor=None)
    set_published(trust, True, actor=None)
    section = measures_section(client.get("/trusts/RT1").get_data(as_text=True))
    for measure in ("total-cs", "elective-cs", "emergency-cs", "normal-birth", "vbac"):
        start = section.find(f'id="public-measure-{measure}"')
        part = section[start : section.find("</section>", start)]
        assert ("January 2025" in part) is (measure not in hidden_from), measure


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_publish_and_withdraw_their_charts(client: PortalClient, htmx: bool) -> None:
    trust = make_trust()
    fill(trust)
    client.sign_in(make_user("trust", "staff@nhs.example", trust=trust))
    token = client.csrf_token("/account")
    headers = HTMX if htmx else {}
    response = client.post(
        "/trusts/RT1/measures/publish",
        data={"csrf_token": token, "published": "yes"},
        headers=headers,
    )
    assert response.status_code == (204 if htmx else 303)
    db.session.expire_all()
    assert is_published(trust)
    page = client.get("/trusts/RT1/measures/changes").get_data(as_text=True)
    assert "The charts are now on the trust’s public page" in page
    assert "Stop showing the charts publicly" in page
    refused = client.post(
        "/trusts/RT1/measures/publish",
        data={"csrf_token": token, "published": "maybe"},
        headers=headers,
    )
    assert refused.status_code == 400
    client.post("/trusts/RT1/measures/publish", data={"csrf_token": token, "published": "no"})
    db.session.expire_all()
    assert not is_published(trust)


def test_a_page_kept_for_anonymous_visitors_shows_new_figures_at_once(
    app: Flask, client: PortalClient
) -> None:
    trust = make_trust()
    fill(trust)
    set_published(trust, True, actor=None)
    first = client.get("/trusts/RT1").get_data(as_text=True)
    assert "February 2025" in first and "March 2025" not in first
    record_month(trust, date(2025, 3, 1), GOOD, actor=None)
    assert "March 2025" in client.get("/trusts/RT1").get_data(as_text=True)
