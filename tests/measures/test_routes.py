"""Giving, correcting and importing a trust's monthly figures through the web, plain and htmx;
its changes and targets; the charts page and the downloads."""

from __future__ import annotations

import csv as csv_module
import io
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.measures.models import MeasureChange, MeasureTarget
from portal.measures.service import (
    CSV_HEADER,
    current_month,
    mark_change,
    month_key,
    months_of,
    record_month,
)
from portal.regions.models import Trust
from portal.registrations.models import Registration
from portal.registrations.service import book_places
from tests.client import HTMX, PortalClient
from tests.factories import make_event, make_trust, make_user, published
from tests.registrations.helpers import person

GOOD = {
    "deliveries": "300",
    "caesareans_elective": "30",
    "caesareans_emergency": "45",
    "normal_births": "120",
    "previous_caesarean": "40",
    "vbac": "12",
}
LAST_MONTH = (current_month() - timedelta(days=1)).replace(day=1)
PREVIEW = re.compile(r"^/measures/import/([A-Za-z0-9_-]{24})$")


def staff_signed_in(client: PortalClient) -> Trust:
    trust = make_trust()
    client.sign_in(make_user("trust", "staff@nhs.example", trust=trust))
    return trust


def send(client: PortalClient, path: str, data: dict[str, str], *, htmx: bool = False):  # type: ignore[no-untyped-def]
    token = client.csrf_token("/account")
    return client.post(path, data={**data, "csrf_token": token}, headers=HTMX if htmx else {})


def fill(trust: Trust, months: int, **overrides: int) -> None:
    first = date(2024, 1, 1)
    for i in range(months):
        record_month(
            trust,
            date(first.year + i // 12, i % 12 + 1, 1),
            {**{k: int(v) for k, v in GOOD.items()}, **overrides},
            actor=None,
        )


# --- A month's figures -------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_give_a_months_figures(client: PortalClient, htmx: bool) -> None:
    trust = staff_signed_in(client)
    form = client.get("/trusts/RT1/measures/months/new").get_data(as_text=True)
    assert f'value="{month_key(LAST_MONTH)}"' in form
    response = send(
        client,
        "/trusts/RT1/measures/months/new",
        {"month": month_key(LAST_MONTH), **GOOD},
        htmx=htmx,
    )
    if htmx:
        assert response.status_code == 204
        assert response.headers["HX-Location"] == "/trusts/RT1/measures"
    else:
        assert response.status_code == 303
        assert response.headers["Location"] == "/trusts/RT1/measures"
    [row] = months_of(trust)
    assert row.month == LAST_MONTH and row.vbac == 12 and row.deliveries == 300
    page = client.get("/trusts/RT1/measures").get_data(as_text=True)
    assert f"The figures for {LAST_MONTH:%B} {LAST_MONTH.year} have been saved." in page


@pytest.mark.parametrize("htmx", [False, True])
def test_figures_that_do_not_add_up_are_refused_next_to_their_field_and_kept(
    client: PortalClient, htmx: bool
) -> None:
    trust = staff_signed_in(client)
    response = send(
        client,
        "/trusts/RT1/measures/months/new",
        {"month": month_key(LAST_MONTH), **GOOD, "normal_births": "226", "vbac": "ten"},
        htmx=htmx,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert ("<html" in html) is not htmx
    assert "There is a problem" in html
    assert (
        'href="#vbac"' in html and "Vaginal births after caesarean must be a whole number" in html
    )
    assert 'value="226"' in html and 'value="ten"' in html
    assert months_of(trust) == []
    # The whole-number check comes first; once it passes, the counts are checked together.
    response = send(
        client,
        "/trusts/RT1/measures/months/new",
        {"month": month_key(LAST_MONTH), **GOOD, "normal_births": "226"},
        htmx=htmx,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        "Normal births (226) must not be more than the deliveries that were not caesarean" in html
    )
    assert 'id="normal_births-error"' in html
    assert months_of(trust) == []


def test_a_month_must_be_chosen_and_may_not_be_given_twice(client: PortalClient) -> None:
    trust = staff_signed_in(client)
    response = send(client, "/trusts/RT1/measures/months/new", {"month": "", **GOOD})
    assert response.status_code == 422 and "Choose a month" in response.get_data(as_text=True)
    fill(trust, 1)
    response = send(client, "/trusts/RT1/measures/months/new", {"month": "2024-01", **GOOD})
    assert response.status_code == 422
    assert "January 2024 already has figures" in response.get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_month_is_corrected_from_the_list(client: PortalClient, htmx: bool) -> None:
    trust = staff_signed_in(client)
    fill(trust, 2)
    months_page = client.get("/trusts/RT1/measures/months").get_data(as_text=True)
    assert 'href="/trusts/RT1/measures/months/2024-02"' in months_page
    form = client.get("/trusts/RT1/measures/months/2024-02").get_data(as_text=True)
    assert 'value="300"' in form and 'name="month"' not in form
    bad = send(client, "/trusts/RT1/measures/months/2024-02", {**GOOD, "vbac": "41"}, htmx=htmx)
    assert bad.status_code == 422
    assert "must not be more than the women with a previous caesarean (40)" in bad.get_data(
        as_text=True
    )
    good = send(client, "/trusts/RT1/measures/months/2024-02", {**GOOD, "vbac": "14"}, htmx=htmx)
    assert good.status_code == (204 if htmx else 303)
    assert [r.vbac for r in months_of(trust)] == [12, 14]
    assert client.get("/trusts/RT1/measures/months/2024-03").status_code == 404
    assert client.get("/trusts/RT1/measures/months/march").status_code == 404


def test_a_month_from_long_ago_can_be_corrected(client: PortalClient) -> None:
    trust = staff_signed_in(client)
    record_month(trust, date(2015, 6, 1), {k: int(v) for k, v in GOOD.items()}, actor=None)
    response = send(client, "/trusts/RT1/measures/months/2015-06", {**GOOD, "vbac": "11"})
    assert response.status_code == 303
    assert months_of(trust)[0].vbac == 11


def test_the_regions_coordinator_sees_and_corrects_a_trusts_figures(client: PortalClient) -> None:
    trust = make_trust()
    fill(trust, 3)
    client.sign_in(make_user("coordinator", "coord@nhs.example", region_slug="london"))
    assert client.get("/trusts/RT1/measures").status_code == 200
    response = send(client, "/trusts/RT1/measures/months/2024-03", {**GOOD, "vbac": "10"})
    assert response.status_code == 303
    assert months_of(trust)[-1].vbac == 10
    region_page = client.get("/measures").get_data(as_text=True)
    assert "Test Hospitals NHS Trust" in region_page
    assert "Total caesarean section rate: 25.0% in March 2024" in region_page


# --- Changes and targets -----------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_a_change_is_marked_and_removed(client: PortalClient, htmx: bool) -> None:
    trust = staff_signed_in(client)
    empty = send(
        client, "/trusts/RT1/measures/changes", {"month": "2024-06", "note": " "}, htmx=htmx
    )
    assert empty.status_code == 422 and "Enter what changed" in empty.get_data(as_text=True)
    response = send(
        client,
        "/trusts/RT1/measures/changes",
        {"month": "2024-06", "note": "Midwife-led unit opened"},
        htmx=htmx,
    )
    assert response.status_code == (204 if htmx else 303)
    [change] = db.session.scalars(select(MeasureChange)).all()
    assert (change.month, change.note) == (date(2024, 6, 1), "Midwife-led unit opened")
    again = send(
        client, "/trusts/RT1/measures/changes", {"month": "2024-06", "note": "Again"}, htmx=htmx
    )
    assert again.status_code == 422
    html = again.get_data(as_text=True)
    assert "June 2024 is already marked as a change" in html
    assert 'href="#month"' in html and 'id="month-error"' in html
    page = client.get("/trusts/RT1/measures/changes").get_data(as_text=True)
    assert "Midwife-led unit opened" in page
    removed = send(client, f"/trusts/RT1/measures/changes/{change.id}/remove", {})
    assert removed.status_code == 303
    assert db.session.scalars(select(MeasureChange)).all() == []
    assert trust.id


@pytest.mark.parametrize("htmx", [False, True])
def test_a_target_is_set_refused_and_removed(client: PortalClient, htmx: bool) -> None:
    staff_signed_in(client)
    bad = send(client, "/trusts/RT1/measures/total-cs/target", {"total-cs-target": "1O"}, htmx=htmx)
    assert bad.status_code == 422
    assert "must be a percentage from 0 to 100" in bad.get_data(as_text=True)
    ok = send(
        client, "/trusts/RT1/measures/total-cs/target", {"total-cs-target": "23.5"}, htmx=htmx
    )
    assert ok.status_code == (204 if htmx else 303)
    assert db.session.scalar(select(MeasureTarget.target)) == 23.5
    send(client, "/trusts/RT1/measures/total-cs/target", {"total-cs-target": ""})
    assert db.session.scalar(select(MeasureTarget.target)) is None
    assert client.post("/trusts/RT1/measures/nonsense/target").status_code in (400, 404)


# --- The charts page and the downloads ---------------------------------------------------------


def test_the_measures_page_tells_the_story_in_words_with_the_events_and_stories(
    client: PortalClient,
) -> None:
    trust = make_trust()
    staff = make_user("trust", "staff@nhs.example", trust=trust)
    coordinator = make_user("coordinator", "coord@nhs.example", region_slug="london")
    fill(trust, 14)
    mark_change(trust, date(2024, 9, 1), "Joined the programme", actor=staff)
    event = make_event(coordinator, publish=True, title="Promoting normal birth together")
    [outcome] = book_places(event, [person("attended")], actor=staff)
    assert outcome.registration is not None
    registration = db.session.get(Registration, outcome.registration.id)
    assert registration is not None
    registration.checked_in_at = registration.booked_at
    published(staff, coordinator, title="Our VBAC clinic")
    db.session.commit()
    client.sign_in(staff)
    html = client.get("/trusts/RT1/measures").get_data(as_text=True)
    assert "Total caesarean section rate: 25.0% in February 2025; common cause variation." in html
    assert "They are not medical advice" in html
    assert "Change: Joined the programme" in html
    assert "Network event: Promoting normal birth together" in html
    assert "Story published: Our VBAC clinic" in html
    assert html.count('aria-hidden="true" focusable="false"') >= 5  # each chart hidden from AT
    assert "the figures as a table" in html


def test_the_csv_export_has_every_month_with_its_limits(client: PortalClient) -> None:
    trust = staff_signed_in(client)
    fill(trust, 13)
    record_month(
        trust,
        date(2025, 2, 1),
        {**{k: int(v) for k, v in GOOD.items()}, "caesareans_emergency": 100, "normal_births": 100},
        actor=None,
    )
    response = client.get("/trusts/RT1/measures/total-cs.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv_module.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == [
        "month",
        "numerator",
        "denominator",
        "value",
        "mean",
        "lower_limit",
        "upper_limit",
        "lower_2sigma",
        "upper_2sigma",
        "signal",
    ]
    assert rows[1][:5] == ["2024-01", "75", "300", "25.000", "25.000"]
    assert rows[-1][:4] == ["2025-02", "130", "300", "43.333"]
    assert rows[-1][-1] == "concern"  # a rise beyond the upper limit, and lower is better
    assert {row[-1] for row in rows[1:-1]} == {""}
    assert client.get("/trusts/RT1/measures/nonsense.csv").status_code == 404


def test_the_chart_downloads_as_an_svg_file(client: PortalClient) -> None:
    trust = staff_signed_in(client)
    fill(trust, 6)
    response = client.get("/trusts/RT1/measures/vbac.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert 'filename="rt1-vbac.svg"' in response.headers["Content-Disposition"]
    root = ET.fromstring(response.get_data())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


# --- From a CSV file ---------------------------------------------------------------------------


def upload(client: PortalClient, content: str, *, htmx: bool = False):  # type: ignore[no-untyped-def]
    token = client.csrf_token("/measures/import")
    response = client.post(
        "/measures/import",
        data={"csv_file": (io.BytesIO(content.encode()), "months.csv"), "csrf_token": token},
        content_type="multipart/form-data",
        headers=HTMX if htmx else {},
    )
    response.request.input_stream.close()
    return response


HEADER = ",".join(CSV_HEADER)


def fingerprint(html: str) -> str:
    found = re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]{64})"', html)
    assert found, "no fingerprint on the preview"
    return found.group(1)


def test_a_preview_that_no_longer_holds_is_made_again_not_applied(client: PortalClient) -> None:
    trust = staff_signed_in(client)
    response = upload(client, f"{HEADER}\nRT1,2024-01,300,30,45,120,40,13\n")
    location = response.headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    record_month(trust, date(2024, 1, 1), {k: int(v) for k, v in GOOD.items()}, actor=None)
    stale = send(client, location, {"fingerprint": fingerprint(preview)})
    assert stale.status_code == 422
    html = stale.get_data(as_text=True)
    assert "The figures have changed since this preview was made" in html
    assert "Months to correct" in html
    assert [r.vbac for r in months_of(trust)] == [12]  # the colleague's month is kept
    applied = send(client, location, {"fingerprint": fingerprint(html)})
    assert applied.status_code == 303
    assert [r.vbac for r in months_of(trust)] == [13]


@pytest.fixture(autouse=True)
def _no_uploads_left_behind(app: Flask):  # type: ignore[no-untyped-def]
    yield
    folder = Path(app.instance_path) / "imports"
    for path in folder.glob("*.csv") if folder.is_dir() else []:
        path.unlink()


@pytest.mark.parametrize("htmx", [False, True])
def test_months_are_imported_after_a_preview(client: PortalClient, htmx: bool) -> None:
    trust = staff_signed_in(client)
    fill(trust, 1)
    response = upload(
        client,
        f"{HEADER}\nRT1,2024-01,300,30,45,120,40,13\nRT1,2024-02,310,30,45,120,40,12\n",
        htmx=htmx,
    )
    location = response.headers["HX-Location" if htmx else "Location"]
    assert PREVIEW.match(location)
    preview = client.get(location).get_data(as_text=True)
    assert "Months to add" in preview and "Months to correct" in preview
    assert [r.vbac for r in months_of(trust)] == [12]  # nothing yet
    applied = send(client, location, {"fingerprint": fingerprint(preview)}, htmx=htmx)
    assert applied.status_code == (204 if htmx else 303)
    assert [(r.month.month, r.vbac) for r in months_of(trust)] == [(1, 13), (2, 12)]
    final = client.get("/measures", follow_redirects=True).get_data(as_text=True)
    assert "Import finished: 1 month added, 1 corrected, 0 unchanged." in final
    assert client.get(location).status_code == 303  # used once: back to the upload form


@pytest.mark.parametrize("htmx", [False, True])
def test_a_file_with_a_bad_row_imports_nothing(client: PortalClient, htmx: bool) -> None:
    trust = staff_signed_in(client)
    make_trust("Other NHS Trust", "RT2", "london")
    response = upload(
        client,
        f"{HEADER}\nRT1,2024-01,300,30,45,120,40,12\nRT2,2024-01,300,30,45,120,40,12\n",
    )
    location = response.headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    assert "You cannot give figures for Other NHS Trust (RT2)" in preview
    assert "Apply the import" not in preview
    assert 'name="fingerprint"' not in preview  # no button to apply it
    refused = send(client, location, {"fingerprint": ""}, htmx=htmx)
    assert refused.status_code == 422
    assert "Nothing was imported" in refused.get_data(as_text=True)
    assert months_of(trust) == []


@pytest.mark.parametrize("htmx", [False, True])
def test_a_file_that_is_not_the_right_csv_is_refused_at_upload(
    client: PortalClient, htmx: bool
) -> None:
    staff_signed_in(client)
    response = upload(client, "name,ods_code\nA,B\n", htmx=htmx)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The first line must be the header ods_code,month,deliveries" in html
    assert ("<html" in html) is not htmx
