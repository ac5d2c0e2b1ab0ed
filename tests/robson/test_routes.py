"""The Robson pages through the web, plain and htmx: a month given, refused and corrected; the
report for a trust, a region and the programme, and its CSV; a file of births counted and never
kept; the CSV import, all or nothing; who sees what."""

from __future__ import annotations

import csv as csv_module
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import inspect, select

from portal.extensions import db
from portal.measures.service import current_month, month_key
from portal.regions.models import Trust
from portal.robson.models import RobsonCount, RobsonMonth
from portal.robson.report import CSV_HEADER as REPORT_HEADER
from portal.robson.service import CSV_HEADER, month_of, months_of, record_month
from tests.client import HTMX, PortalClient
from tests.factories import make_trust, make_user

LAST_MONTH = (current_month() - timedelta(days=1)).replace(day=1)
#: A month's counts, groups 2 and 4 split: 500 women, 125 caesareans.
COUNTS = {
    "1": (150, 15),
    "2a": (60, 18),
    "2b": (20, 20),
    "3": (130, 2),
    "4a": (25, 5),
    "4b": (10, 10),
    "5": (50, 35),
    "6": (10, 9),
    "7": (8, 6),
    "8": (7, 4),
    "9": (2, 1),
    "10": (28, 0),
}
PREVIEW = re.compile(r"^/robson/import/([A-Za-z0-9_-]{24})$")
BIRTHS_HEADER = "parity,previous_cs,fetuses,presentation,gestation_weeks,onset,caesarean"


def form_data(counts: dict[str, tuple[int, int]], **extra: str) -> dict[str, str]:
    data = {}
    for code, (women, caesareans) in counts.items():
        data[f"women_{code}"] = str(women)
        data[f"caesareans_{code}"] = str(caesareans)
    return {**data, **extra}


def staff_signed_in(client: PortalClient) -> Trust:
    trust = make_trust()
    client.sign_in(make_user("trust", "staff@nhs.example", trust=trust))
    return trust


def send(client: PortalClient, path: str, data: dict[str, str], *, htmx: bool = False):  # type: ignore[no-untyped-def]
    return client.post_form(path, data, htmx=htmx)


def fill(
    trust: Trust, first: date, months: int, counts: dict[str, tuple[int, int]] = COUNTS
) -> None:
    for i in range(months):
        month = date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
        record_month(trust, month, counts, actor=None)


@pytest.fixture(autouse=True)
def _no_uploads_left_behind(app: Flask):  # type: ignore[no-untyped-def]
    yield
    folder = Path(app.instance_path) / "imports"
    for path in folder.glob("*.csv") if folder.is_dir() else []:
        path.unlink()


def imports_folder_files(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "imports"
    return list(folder.iterdir()) if folder.is_dir() else []


# --- A month's counts --------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_staff_give_a_months_counts(client: PortalClient, htmx: bool) -> None:
    trust = staff_signed_in(client)
    form = client.get("/trusts/RT1/robson/months/new").get_data(as_text=True)
    assert f'value="{month_key(LAST_MONTH)}"' in form
    assert "If you do not split groups 2 and 4" in form
    assert form.index('id="women_1"') < form.index('id="women_2a"') < form.index('id="women_2"')
    response = send(
        client,
        "/trusts/RT1/robson/months/new",
        form_data(COUNTS, month=month_key(LAST_MONTH), unclassified="3"),
        htmx=htmx,
    )
    if htmx:
        assert response.status_code == 204
        assert response.headers["HX-Location"] == "/trusts/RT1/robson"
    else:
        assert response.status_code == 303
        assert response.headers["Location"] == "/trusts/RT1/robson"
    row = month_of(trust, LAST_MONTH)
    assert row is not None and row.unclassified == 3
    assert {code: tuple(v) for code, v in row.counts().items()} == COUNTS
    page = client.get("/trusts/RT1/robson").get_data(as_text=True)
    assert f"The Robson counts for {LAST_MONTH:%B} {LAST_MONTH.year} have been saved." in page


@pytest.mark.parametrize("htmx", [False, True])
def test_counts_that_break_a_rule_are_refused_next_to_their_group_and_kept(
    client: PortalClient, htmx: bool
) -> None:
    trust = staff_signed_in(client)
    bad = {**COUNTS, "3": (130, 131)}
    response = send(
        client,
        "/trusts/RT1/robson/months/new",
        form_data(bad, month=month_key(LAST_MONTH), women_6="ten"),
        htmx=htmx,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert ("<html" in html) is not htmx
    assert "There is a problem" in html
    assert 'href="#women_6"' in html and "Group 6: women must be a whole number" in html
    assert 'value="ten"' in html and 'value="131"' in html
    response = send(
        client,
        "/trusts/RT1/robson/months/new",
        form_data(bad, month=month_key(LAST_MONTH)),
        htmx=htmx,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#women_3"' in html and "131" in html
    assert months_of(trust) == []


@pytest.mark.parametrize("htmx", [False, True])
def test_a_month_must_give_every_group_and_not_both_forms(client: PortalClient, htmx: bool) -> None:
    trust = staff_signed_in(client)
    missing = {k: v for k, v in COUNTS.items() if k != "9"}
    response = send(
        client,
        "/trusts/RT1/robson/months/new",
        form_data(missing, month=month_key(LAST_MONTH)),
        htmx=htmx,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#women_9"' in html and "group 9" in html
    both = {**COUNTS, "2": (80, 38)}
    response = send(
        client,
        "/trusts/RT1/robson/months/new",
        form_data(both, month=month_key(LAST_MONTH)),
        htmx=htmx,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#women_2"' in html
    assert '<details class="nhsuk-details" open>' in html  # the whole rows are shown
    assert months_of(trust) == []


def test_a_unit_that_does_not_split_gives_groups_2_and_4_whole(client: PortalClient) -> None:
    trust = staff_signed_in(client)
    whole = {k: v for k, v in COUNTS.items() if k[-1] not in "ab"} | {
        "2": (80, 38),
        "4": (35, 15),
    }
    response = send(
        client, "/trusts/RT1/robson/months/new", form_data(whole, month=month_key(LAST_MONTH))
    )
    assert response.status_code == 303
    row = month_of(trust, LAST_MONTH)
    assert row is not None and set(row.counts()) == set(whole)


def test_a_month_must_be_chosen_and_may_not_be_given_twice(client: PortalClient) -> None:
    trust = staff_signed_in(client)
    response = send(client, "/trusts/RT1/robson/months/new", form_data(COUNTS))
    assert response.status_code == 422
    assert "Choose a month" in response.get_data(as_text=True)
    response = send(client, "/trusts/RT1/robson/months/new", {})
    html = response.get_data(as_text=True)
    assert "Choose a month" in html and 'href="#women_1"' in html  # every problem at once
    fill(trust, LAST_MONTH, 1)
    response = send(
        client, "/trusts/RT1/robson/months/new", form_data(COUNTS, month=month_key(LAST_MONTH))
    )
    assert response.status_code == 422
    assert "already has Robson counts" in response.get_data(as_text=True)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_month_is_corrected_from_the_list(client: PortalClient, htmx: bool) -> None:
    trust = staff_signed_in(client)
    fill(trust, date(2024, 3, 1), 2)
    listing = client.get("/trusts/RT1/robson/months").get_data(as_text=True)
    assert listing.index("April 2024") < listing.index("March 2024")  # newest first
    assert "500" in listing and "125" in listing
    assert 'href="/trusts/RT1/robson/months/2024-03"' in listing
    form = client.get("/trusts/RT1/robson/months/2024-03").get_data(as_text=True)
    assert 'id="women_1" name="women_1" type="text" value="150"' in form or 'value="150"' in form
    corrected = {**COUNTS, "1": (151, 15)}
    response = send(client, "/trusts/RT1/robson/months/2024-03", form_data(corrected), htmx=htmx)
    assert response.status_code == (204 if htmx else 303)
    row = month_of(trust, date(2024, 3, 1))
    assert row is not None and row.counts()["1"] == (151, 15)
    again = send(client, "/trusts/RT1/robson/months/2024-03", form_data(corrected))
    assert again.status_code == 303
    page = client.get("/trusts/RT1/robson/months").get_data(as_text=True)
    assert "Nothing changed" in page
    assert client.get("/trusts/RT1/robson/months/2024-05").status_code == 404
    assert client.get("/trusts/RT1/robson/months/May").status_code == 404


# --- The report ----------------------------------------------------------------------------------


def test_the_report_shows_the_table_notes_notice_and_chart(client: PortalClient) -> None:
    trust = staff_signed_in(client)
    fill(trust, date(2024, 1, 1), 2)
    html = client.get("/trusts/RT1/robson").get_data(as_text=True)
    assert "January 2024 to February 2024" in html
    assert '<th scope="row" class="nhsuk-table__header portal-robson-group"><span>2a</span>' in html
    assert ">1,000<" in html and ">250<" in html  # totals: two months
    assert ">30.00<" in html  # group 1 size: 300 of 1,000
    assert ">25.00<" in html  # the overall CS rate
    assert "They are not medical advice" in html
    assert "For discussion" in html and "Source: WHO" in html
    assert 'href="/trusts/RT1/robson.csv?from=2024-01&amp;to=2024-02"' in html
    assert 'role="img"' in html and "<title" in html
    assert "The table above gives the same figures" in html
    assert "Give a month’s Robson counts" in html
    assert "Import months from a CSV file" in html


def test_a_percentage_with_nothing_to_divide_by_shows_a_dash(client: PortalClient) -> None:
    trust = staff_signed_in(client)
    fill(trust, date(2024, 1, 1), 1, {**COUNTS, "9": (0, 0)})
    html = client.get("/trusts/RT1/robson").get_data(as_text=True)
    assert (
        '<span aria-hidden="true">–</span><span class="nhsuk-u-visually-hidden">no value</span>'
        in html
    )


def test_a_trust_without_robson_months_sees_an_empty_state(client: PortalClient) -> None:
    staff_signed_in(client)
    html = client.get("/trusts/RT1/robson").get_data(as_text=True)
    assert "No Robson counts have been given yet" in html
    assert "<table" not in html


def test_the_range_defaults_to_the_last_12_months_with_counts(client: PortalClient) -> None:
    trust = staff_signed_in(client)
    fill(trust, date(2023, 1, 1), 18)  # January 2023 to June 2024
    html = client.get("/trusts/RT1/robson").get_data(as_text=True)
    assert "July 2023 to June 2024" in html
    html = client.get("/trusts/RT1/robson?from=2023-01&to=2023-03").get_data(as_text=True)
    assert "January 2023 to March 2023" in html and ">1,500<" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2024-03&to=2024-01", "The last month must be the same as or after the first month"),
        ("from=March&to=2024-01", "Choose the first month from the list"),
        ("from=2024-01&to=2024-13", "Choose the last month from the list"),
    ],
)
def test_a_wrong_range_is_a_message_on_the_form(
    client: PortalClient, query: str, message: str
) -> None:
    trust = staff_signed_in(client)
    fill(trust, date(2024, 1, 1), 3)
    response = client.get(f"/trusts/RT1/robson?{query}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There is a problem" in html and message in html
    assert "January 2024 to March 2024" in html  # the default range is shown
    assert client.get(f"/trusts/RT1/robson.csv?{query}").status_code == 400


def read_csv(body: bytes) -> list[list[str]]:
    return list(csv_module.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_has_the_header_each_group_and_a_total(client: PortalClient) -> None:
    trust = staff_signed_in(client)
    fill(trust, date(2024, 1, 1), 3)
    response = client.get("/trusts/RT1/robson.csv?from=2024-02&to=2024-03")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="robson-RT1-2024-02-to-2024-03.csv"'
    )
    rows = read_csv(response.data)
    assert rows[0] == list(REPORT_HEADER)
    assert [r[0] for r in rows[1:]] == [*COUNTS, "total"]
    assert rows[1] == ["1", "300", "30", "30.00", "10.00", "3.00", "12.00"]
    assert rows[-1] == ["total", "1000", "250", "100.00", "25.00", "25.00", "100.00"]
    for row in rows[1:]:
        for cell in row[3:]:
            assert re.fullmatch(r"\d+\.\d{2}", cell)
    one = read_csv(client.get("/trusts/RT1/robson.csv?from=2024-03&to=2024-03").data)
    assert one[-1][1] == "500"


def test_a_region_and_the_programme_add_up_their_trusts(client: PortalClient) -> None:
    rt1 = make_trust()
    rt2 = make_trust("Second NHS Trust", "RT2", "london")
    rt3 = make_trust("Northern NHS Trust", "RN3", "north-east")
    for trust in (rt1, rt2, rt3):
        fill(trust, date(2024, 1, 1), 1)
    client.sign_in(make_user("coordinator", "coord@nhs.example", region_slug="london"))
    html = client.get("/regions/london/robson").get_data(as_text=True)
    assert ">1,000<" in html and "from 2 trusts" in html
    rows = read_csv(client.get("/regions/london/robson.csv").data)
    assert rows[-1][:3] == ["total", "1000", "250"]
    assert client.get("/regions/north-east/robson").status_code == 404
    assert client.get("/regions/north-east/robson.csv").status_code == 404
    assert client.get("/robson.csv").status_code == 404
    assert client.get("/robson").headers["Location"] == "/regions/london/robson"
    assert client.get("/trusts/RN3/robson").status_code == 404
    assert client.get("/trusts/RT2/robson").status_code == 200


def test_the_programme_team_see_every_trust(client: PortalClient) -> None:
    for code, slug in (("RT1", "london"), ("RN3", "north-east")):
        fill(make_trust(f"Trust {code}", code, slug), date(2024, 1, 1), 1)
    client.sign_in(make_user("admin", "admin@nhs.example"))
    html = client.get("/robson").get_data(as_text=True)
    assert ">1,000<" in html and "Every trust" in html
    response = client.get("/robson.csv?from=2024-01&to=2024-01")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="robson-programme-2024-01-to-2024-01.csv"'
    )
    assert read_csv(response.data)[-1][:3] == ["total", "1000", "250"]
    assert client.get("/regions/north-east/robson").status_code == 200


def test_who_sees_a_trusts_robson_pages(client: PortalClient) -> None:
    trust = make_trust()
    other = make_trust("Other NHS Trust", "RT2", "london")
    fill(trust, date(2024, 1, 1), 1)
    paths = [
        "/trusts/RT1/robson",
        "/trusts/RT1/robson.csv",
        "/trusts/RT1/robson/months",
        "/trusts/RT1/robson/months/new",
        "/trusts/RT1/robson/months/2024-01",
        "/trusts/RT1/robson/births",
    ]
    for path in paths:
        assert client.get(path).headers["Location"].startswith("/sign-in?next=")
    client.sign_in(make_user("trust", "other@nhs.example", trust=other))
    assert client.get("/robson").headers["Location"] == "/trusts/RT2/robson"
    for path in paths:
        assert client.get(path).status_code == 404, path
    assert client.get("/regions/london/robson").status_code == 404
    client.post("/sign-out", data={"csrf_token": client.csrf_token()})
    client.sign_in(make_user("coordinator", "far@nhs.example", region_slug="north-east"))
    for path in paths:
        assert client.get(path).status_code == 404, path
    client.post("/sign-out", data={"csrf_token": client.csrf_token()})
    client.sign_in(make_user("trust", "staff@nhs.example", trust=trust))
    for path in paths:
        assert client.get(path).status_code == 200, path


def test_the_navigation_links_to_the_robson_report(client: PortalClient) -> None:
    assert "Robson groups" not in client.get("/").get_data(as_text=True)
    staff_signed_in(client)
    html = client.get("/account").get_data(as_text=True)
    assert html.index(">Measures<") < html.index(">Robson groups<")
    assert 'href="/robson"' in html


# --- A file of births ----------------------------------------------------------------------------


def births_upload(client: PortalClient, content: str, month: str, *, htmx: bool = False):  # type: ignore[no-untyped-def]
    token = client.csrf_token("/trusts/RT1/robson/births")
    response = client.post(
        "/trusts/RT1/robson/births",
        data={
            "births_file": (io.BytesIO(content.encode()), "births.csv"),
            "month": month,
            "csrf_token": token,
        },
        content_type="multipart/form-data",
        headers=HTMX if htmx else {},
    )
    response.request.input_stream.close()
    return response


def rows_per_woman_tables() -> list[str]:
    """Any table with a column a births file has: none may exist."""
    inspector = inspect(db.session.connection())
    return [
        name
        for name in inspector.get_table_names()
        if {"parity", "gestation_weeks", "presentation"}
        & {column["name"] for column in inspector.get_columns(name)}
    ]


@pytest.mark.parametrize("htmx", [False, True])
def test_a_file_of_births_is_counted_checked_then_saved(
    app: Flask, client: PortalClient, htmx: bool
) -> None:
    trust = staff_signed_in(client)
    lines = [
        BIRTHS_HEADER,
        "0,no,1,cephalic,40,spontaneous,no",
        "0,no,1,cephalic,39,spontaneous,yes",
        "0,no,1,cephalic,41,induced,no",
        "1+,yes,1,cephalic,39,induced,yes",
        "0,no,1,cephalic,,spontaneous,no",
    ]
    response = births_upload(client, "\n".join(lines) + "\n", month_key(LAST_MONTH), htmx=htmx)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ("<html" in html) is not htmx
    assert "Check the counts, then save the month" in html
    assert 'id="women_1" name="women_1"' in html
    assert re.search(r'name="women_1" type="text" value="2"', html) or 'value="2"' in html
    assert "1 woman could not be placed in a group" in html
    assert re.search(r'name="unclassified"[^>]*value="1"', html)
    assert f'<option value="{month_key(LAST_MONTH)}" selected' in html
    # Nothing is kept: no month, no file, no table of rows.
    assert months_of(trust) == []
    assert imports_folder_files(app) == []
    assert rows_per_woman_tables() == []
    counts = {code: (0, 0) for code in COUNTS} | {"1": (2, 1), "2a": (1, 0), "5": (1, 1)}
    saved = send(
        client,
        "/trusts/RT1/robson/months/new",
        form_data(counts, month=month_key(LAST_MONTH), unclassified="1"),
        htmx=htmx,
    )
    assert saved.status_code == (204 if htmx else 303)
    row = month_of(trust, LAST_MONTH)
    assert row is not None and row.unclassified == 1 and row.counts()["1"] == (2, 1)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_births_file_with_an_nhs_number_is_refused_and_nothing_is_kept(
    app: Flask, client: PortalClient, htmx: bool
) -> None:
    trust = staff_signed_in(client)
    content = f"nhs_number,{BIRTHS_HEADER}\n9434765919,0,no,1,cephalic,40,spontaneous,no\n"
    response = births_upload(client, content, month_key(LAST_MONTH), htmx=htmx)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "nhs_number" in html and 'href="#births_file"' in html
    assert "9434765919" not in html
    assert months_of(trust) == []
    assert imports_folder_files(app) == []
    assert db.session.scalars(select(RobsonCount)).all() == []
    assert db.session.scalars(select(RobsonMonth)).all() == []


def test_a_births_file_needs_a_month_and_readable_text(client: PortalClient) -> None:
    staff_signed_in(client)
    response = births_upload(client, BIRTHS_HEADER + "\n0,no,1,cephalic,40,spontaneous,no\n", "")
    assert response.status_code == 422
    assert "Choose a month" in response.get_data(as_text=True)
    token = client.csrf_token("/trusts/RT1/robson/births")
    response = client.post(
        "/trusts/RT1/robson/births",
        data={
            "births_file": (io.BytesIO(b"\xff\xfe\x00bad"), "births.csv"),
            "month": month_key(LAST_MONTH),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    response.request.input_stream.close()
    assert response.status_code == 422
    assert 'href="#births_file"' in response.get_data(as_text=True)


# --- The CSV import ------------------------------------------------------------------------------


def upload(client: PortalClient, content: str, *, htmx: bool = False):  # type: ignore[no-untyped-def]
    token = client.csrf_token("/robson/import")
    response = client.post(
        "/robson/import",
        data={"csv_file": (io.BytesIO(content.encode()), "robson.csv"), "csrf_token": token},
        content_type="multipart/form-data",
        headers=HTMX if htmx else {},
    )
    response.request.input_stream.close()
    return response


def import_file(code: str, month: str, counts: dict[str, tuple[int, int]] = COUNTS) -> str:
    lines = [",".join(CSV_HEADER)]
    lines += [f"{code},{month},{group},{w},{c}" for group, (w, c) in counts.items()]
    return "\n".join(lines) + "\n"


def fingerprint(html: str) -> str:
    found = re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]{64})"', html)
    assert found, "no fingerprint on the preview"
    return found.group(1)


@pytest.mark.parametrize("htmx", [False, True])
def test_months_are_imported_after_a_preview(client: PortalClient, htmx: bool) -> None:
    trust = staff_signed_in(client)
    fill(trust, date(2024, 1, 1), 1)
    content = (
        import_file("RT1", "2024-01", {**COUNTS, "1": (151, 15)})
        + import_file("RT1", "2024-02").split("\n", 1)[1]
    )
    response = upload(client, content, htmx=htmx)
    location = response.headers["HX-Location" if htmx else "Location"]
    assert PREVIEW.match(location)
    preview = client.get(location).get_data(as_text=True)
    assert "Months to add" in preview and "Months to correct" in preview
    assert [r.month for r in months_of(trust)] == [date(2024, 1, 1)]  # nothing yet
    applied = send(client, location, {"fingerprint": fingerprint(preview)}, htmx=htmx)
    assert applied.status_code == (204 if htmx else 303)
    assert [r.month for r in months_of(trust)] == [date(2024, 2, 1), date(2024, 1, 1)]
    row = month_of(trust, date(2024, 1, 1))
    assert row is not None and row.counts()["1"] == (151, 15)
    final = client.get("/robson", follow_redirects=True).get_data(as_text=True)
    assert "Import finished: 1 month added, 1 corrected, 0 unchanged." in final
    assert client.get(location).status_code == 303  # used once: back to the upload form


@pytest.mark.parametrize("htmx", [False, True])
def test_a_file_with_a_bad_row_imports_nothing(client: PortalClient, htmx: bool) -> None:
    trust = staff_signed_in(client)
    make_trust("Other NHS Trust", "RT2", "london")
    content = import_file("RT1", "2024-01") + import_file("RT2", "2024-01").split("\n", 1)[1]
    location = upload(client, content).headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    assert "You cannot give figures for Other NHS Trust (RT2)" in preview
    assert 'name="fingerprint"' not in preview
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
    assert "ods_code,month,group,women,caesareans" in html
    assert ("<html" in html) is not htmx


def test_a_preview_that_no_longer_holds_is_made_again_not_applied(client: PortalClient) -> None:
    trust = staff_signed_in(client)
    location = upload(client, import_file("RT1", "2024-01")).headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    fill(trust, date(2024, 1, 1), 1, {**COUNTS, "1": (149, 15)})
    stale = send(client, location, {"fingerprint": fingerprint(preview)})
    assert stale.status_code == 422
    html = stale.get_data(as_text=True)
    assert "The counts have changed since this preview was made" in html
    row = month_of(trust, date(2024, 1, 1))
    assert row is not None and row.counts()["1"] == (149, 15)
    applied = send(client, location, {"fingerprint": fingerprint(html)})
    assert applied.status_code == 303
    db.session.expire_all()
    row = month_of(trust, date(2024, 1, 1))
    assert row is not None and row.counts()["1"] == (150, 15)
