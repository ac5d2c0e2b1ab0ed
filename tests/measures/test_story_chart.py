"""A story may show the chart of one of its trust's measures: whole to those who may see the
trust's figures, with small numbers left out to everyone else, and only once the trust publishes
its charts. Rates typed into the story stay readable, marked as typed."""

from __future__ import annotations

from datetime import date

import pytest

from portal.extensions import db
from portal.measures.models import Measure
from portal.measures.service import mark_change, record_month, set_published
from portal.regions.models import Trust
from portal.stories.models import Story
from portal.stories.service import MeasureValues
from tests.client import HTMX, PortalClient
from tests.factories import draft, make_trust, make_user, published
from tests.stories.helpers import form_data

COUNTS = {
    "deliveries": 302,
    "caesareans_elective": 31,
    "caesareans_emergency": 46,
    "normal_births": 121,
    "previous_caesarean": 41,
    "vbac": 13,
}


def fill(trust: Trust) -> None:
    for i in range(14):
        small = i == 2  # March 2024: 5 women with a previous caesarean, 2 VBACs
        record_month(
            trust,
            date(2024 + i // 12, i % 12 + 1, 1),
            {**COUNTS, "previous_caesarean": 5 if small else 41, "vbac": 2 if small else 13},
            actor=None,
        )


def chart_section(html: str) -> str:
    start = html.find('id="story-chart"')
    return html[start : html.find("</section>", start)] if start >= 0 else ""


@pytest.mark.parametrize("htmx", [False, True])
def test_the_writer_links_a_measures_chart(client: PortalClient, htmx: bool) -> None:
    trust = make_trust()
    staff = make_user("trust", "staff@nhs.example", trust=trust)
    story = draft(staff)
    client.sign_in(staff)
    token = client.csrf_token(f"/stories/{story.id}/edit")
    bad = client.post(
        f"/stories/{story.id}/edit",
        data={**form_data(chart_measure="robson"), "csrf_token": token},
        headers=HTMX if htmx else {},
    )
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    ok = client.post(
        f"/stories/{story.id}/edit",
        data={**form_data(chart_measure="vbac"), "csrf_token": token},
        headers=HTMX if htmx else {},
    )
    assert ok.status_code == (204 if htmx else 303)
    db.session.expire_all()
    assert db.session.get(Story, story.id).chart_measure is Measure.VBAC
    form = client.get(f"/stories/{story.id}/edit").get_data(as_text=True)
    assert '<option value="vbac" selected>' in form


def test_readers_see_the_chart_as_their_role_allows(client: PortalClient) -> None:
    trust = make_trust()
    fill(trust)
    staff = make_user("trust", "staff@nhs.example", trust=trust)
    coordinator = make_user("coordinator", "coord@nhs.example", region_slug="london")
    typed = MeasureValues(Measure.VBAC, 21.5, "2007–08", 30.0, "2009–10")
    story = published(staff, coordinator, title="Our VBAC clinic", measures=[typed])
    story.chart_measure = Measure.VBAC
    db.session.commit()
    mark_change(trust, date(2024, 9, 1), "VBAC clinic opened", actor=staff)
    path = f"/stories/{story.id}"

    # The trust has not published its charts: the public sees the typed rates only.
    page = client.get(path).get_data(as_text=True)
    assert chart_section(page) == ""
    assert "What changed, in numbers" in page

    set_published(trust, True, actor=None)
    page = client.get(path).get_data(as_text=True)
    section = chart_section(page)
    assert "VBAC rate, month by month" in section
    assert "VBAC rate: 31.7% in February 2025" in section
    assert "left out of the chart" in section
    assert section.count("<circle") == 2 * 13  # March 2024 is left out, in both drawings
    assert "Rates typed into the story by the trust" in page
    assert "September 2024: <bdi>Change: VBAC clinic opened</bdi>" in section
    assert section.count("portal-spc-chart__change") == 2  # the line, in both drawings

    client.sign_in(staff)
    section = chart_section(client.get(path).get_data(as_text=True))
    assert "You see the trust’s own figures" in section
    assert section.count("<circle") == 2 * 14
