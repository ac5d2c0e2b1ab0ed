"""The audit log: newest first, filtered by person, object, action and London dates; CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.admin import audit_log
from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.extensions import db
from tests.admin.helpers import signed_in_admin
from tests.client import HTMX, PortalClient
from tests.factories import make_user

#: The columns of the CSV file: the original seven, then each entry's sentence.
CSV_HEADER = (
    "at",
    "actor email",
    "action",
    "object type",
    "object id",
    "before",
    "after",
    "sentence",
)


def entry(
    action: str,
    at: datetime,
    *,
    actor: User | None = None,
    object_type: str = "trust",
    object_id: str = "1",
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
) -> AuditEntry:
    made = AuditEntry(
        at=at,
        actor_id=actor.id if actor else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
    )
    db.session.add(made)
    db.session.commit()
    return made


def clear_log() -> None:
    """Start from an empty log: signing people up writes entries of its own."""
    db.session.query(AuditEntry).delete()
    db.session.commit()


def results(html: str) -> str:
    """The results part of the page (the filters' selects name the actions too)."""
    return html.split('id="audit-results"', 1)[1]


def rows_of(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_entries_are_listed_newest_first_with_before_and_after(client: PortalClient) -> None:
    admin = signed_in_admin(client)
    clear_log()
    entry(
        "trust.created",
        datetime(2026, 1, 10, 9, 5, tzinfo=UTC),
        actor=admin,
        after={"name": "First NHS Trust"},
    )
    entry(
        "trust.updated",
        datetime(2026, 1, 11, 9, 5, tzinfo=UTC),
        actor=admin,
        before={"name": "First NHS Trust", "ods_code": "RA1"},
        after={"name": "Renamed NHS Trust", "ods_code": "RA1"},
    )
    entry("mail.failed", datetime(2026, 1, 12, 9, 5, tzinfo=UTC), object_type="mail")
    html = results(client.get("/admin/audit").get_data(as_text=True))
    assert "3 entries." in html
    assert html.index("mail.failed") < html.index("trust.updated") < html.index("trust.created")
    # Each entry a sentence under its London day, its details folded beneath it.
    assert "Sunday 11 January 2026</h2>" in html and ">09:05</time>" in html
    assert "<bdi>Bea Boss</bdi></a> changed the details of <bdi>a deleted trust</bdi>." in html
    assert "<bdi>The portal</bdi> did <code>mail.failed</code> to <bdi>mail 1</bdi>." in html
    assert "11 January 2026 at 9:05am, by" in html and "boss@example.org" in html
    assert "by the portal (automatic)" in html
    # Only the fields that changed, from before to after, labelled in words.
    updated = html.split("Sunday 11 January 2026")[1].split("</li>\n    </ol>")[0]
    assert "Name:</span>" in updated
    assert "First NHS Trust</del>" in updated and "Renamed NHS Trust</ins>" in updated
    assert "ODS code" not in updated and "ods_code" not in updated


def test_the_log_comes_50_entries_to_a_page_keeping_the_filters(client: PortalClient) -> None:
    admin = signed_in_admin(client)
    clear_log()
    start = datetime(2026, 2, 1, tzinfo=UTC)
    for n in range(60):
        entry("trust.updated", start + timedelta(minutes=n), actor=admin, object_id=f"T{n:03}")
    entry("region.updated", start, actor=admin, object_type="region")
    first = client.get("/admin/audit?action=trust.updated").get_data(as_text=True)
    assert "60 entries found." in first and "trust T059" in first and "trust T009" not in first
    assert 'href="/admin/audit?page=2&amp;action=trust.updated"' in first
    second = client.get("/admin/audit?action=trust.updated&page=2").get_data(as_text=True)
    assert "trust T009" in second and "trust T010" not in second
    assert "region" not in results(second)


def test_a_long_log_is_counted_only_as_far_as_its_pages_reach(
    client: PortalClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_log, "COUNT_UP_TO", 100)
    admin = signed_in_admin(client)
    clear_log()
    start = datetime(2026, 2, 1, tzinfo=UTC)
    for n in range(101):
        entry("trust.updated", start + timedelta(hours=n), actor=admin, object_id=f"T{n:03}")

    first = client.get("/admin/audit?action=trust.updated").get_data(as_text=True)
    assert "More than 100 entries found. Page 1 of the first 2" in first
    assert "trust T100" in first
    last = client.get("/admin/audit?action=trust.updated&page=5").get_data(as_text=True)
    assert "Page 2 of the first 2" in last and "trust T001" in last
    assert "trust T051" not in last and "page=3" not in last
    # The oldest, beyond the pages counted, is found by narrowing the dates.
    assert "trust T000" not in last
    oldest = client.get("/admin/audit?date_to-day=1&date_to-month=2&date_to-year=2026").get_data(
        as_text=True
    )
    assert "trust T000" in oldest and "More than" not in oldest

    # One entry fewer and the count is exact again.
    db.session.delete(db.session.scalars(select(AuditEntry).limit(1)).one())
    db.session.commit()
    counted = client.get("/admin/audit?action=trust.updated").get_data(as_text=True)
    assert "100 entries found." in counted and "Page 1 of 2." in counted
    assert "More than" not in counted


def test_filters_by_person_object_type_and_action(client: PortalClient) -> None:
    admin = signed_in_admin(client)
    other = make_user("admin", "other.admin@example.org")
    clear_log()
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    entry("trust.created", at, actor=admin, object_id="A1")
    entry("region.updated", at, actor=other, object_type="region", object_id="B2")
    entry("event.published", at, actor=None, object_type="event", object_id="C3")

    by_person = client.get("/admin/audit?person=OTHER.admin").get_data(as_text=True)
    assert "1 entry found." in by_person and "region B2" in by_person
    by_type = client.get("/admin/audit?object_type=trust").get_data(as_text=True)
    assert "trust A1" in by_type and "region B2" not in by_type
    by_action = client.get("/admin/audit?action=event.published").get_data(as_text=True)
    assert "event C3" in by_action and "trust A1" not in by_action
    # The selects offer what the log holds.
    page = client.get("/admin/audit").get_data(as_text=True)
    for value in ("trust", "region", "event", "trust.created", "region.updated"):
        assert f'<option value="{value}"' in page
    # A value no entry has, from an old link, is ignored.
    assert "3 entries." in client.get("/admin/audit?action=nothing.like.this").get_data(
        as_text=True
    )
    assert "No entries match these filters" in client.get("/admin/audit?person=nobody").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("day", "inside", "outside"),
    [
        # British Summer Time: 30 June in London runs from 29 June 23:00 UTC to 30 June 23:00.
        (
            "30-6-2026",
            [datetime(2026, 6, 29, 23, 0, tzinfo=UTC), datetime(2026, 6, 30, 22, 59, tzinfo=UTC)],
            [datetime(2026, 6, 29, 22, 59, tzinfo=UTC), datetime(2026, 6, 30, 23, 0, tzinfo=UTC)],
        ),
        # Greenwich Mean Time: 15 January is the same day in UTC.
        (
            "15-1-2026",
            [datetime(2026, 1, 15, 0, 0, tzinfo=UTC), datetime(2026, 1, 15, 23, 59, tzinfo=UTC)],
            [datetime(2026, 1, 14, 23, 59, tzinfo=UTC), datetime(2026, 1, 16, 0, 0, tzinfo=UTC)],
        ),
    ],
    ids=["bst", "gmt"],
)
def test_the_date_range_is_a_range_of_london_days(
    client: PortalClient, day: str, inside: list[datetime], outside: list[datetime]
) -> None:
    signed_in_admin(client)
    clear_log()
    for n, at in enumerate(inside):
        entry("trust.updated", at, object_id=f"IN{n}")
    for n, at in enumerate(outside):
        entry("trust.updated", at, object_id=f"OUT{n}")
    d, m, y = day.split("-")
    query = (
        f"date_from-day={d}&date_from-month={m}&date_from-year={y}"
        f"&date_to-day={d}&date_to-month={m}&date_to-year={y}"
    )
    html = client.get(f"/admin/audit?{query}").get_data(as_text=True)
    assert "2 entries found." in html
    assert "trust IN0" in html and "trust IN1" in html and "OUT" not in html
    exported = rows_of(client.get(f"/admin/audit.csv?{query}"))
    assert sorted(row[4] for row in exported[1:]) == ["IN0", "IN1"]


def test_only_a_start_or_only_an_end_date_is_fine(client: PortalClient) -> None:
    signed_in_admin(client)
    clear_log()
    entry("trust.updated", datetime(2026, 1, 1, tzinfo=UTC), object_id="OLD")
    entry("trust.updated", datetime(2026, 5, 1, tzinfo=UTC), object_id="NEW")
    since = client.get("/admin/audit?date_from-day=1&date_from-month=2&date_from-year=2026")
    assert "trust NEW" in since.get_data(as_text=True)
    assert "trust OLD" not in since.get_data(as_text=True)
    until = client.get("/admin/audit?date_to-day=1&date_to-month=2&date_to-year=2026")
    assert "trust OLD" in until.get_data(as_text=True)
    assert "trust NEW" not in until.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from-day=31&date_from-month=2&date_from-year=2026", "From date must be a real date"),
        ("date_from-day=1&date_from-month=2", "From date must include a year"),
        ("date_to-day=x&date_to-month=2&date_to-year=2026", "To date must be a real date"),
        (
            "date_from-day=2&date_from-month=2&date_from-year=2026"
            "&date_to-day=1&date_to-month=2&date_to-year=2026",
            "To date must be the same as or after the from date",
        ),
    ],
)
def test_a_bad_date_gets_a_message_by_the_field(
    client: PortalClient, query: str, message: str
) -> None:
    signed_in_admin(client)
    response = client.get(f"/admin/audit?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html and message in html
    assert "<title>Error: Audit log" in html
    assert client.get(f"/admin/audit.csv?{query}").status_code == 422


def test_htmx_filtering_gets_the_results_or_the_whole_form_after_an_error(
    client: PortalClient,
) -> None:
    admin = signed_in_admin(client)
    entry("trust.created", datetime(2026, 1, 10, tzinfo=UTC), actor=admin)
    live = {**HTMX, "HX-Target": "audit-results"}
    results = client.get("/admin/audit?action=trust.created", headers=live)
    assert results.status_code == 200
    assert results.get_data(as_text=True).lstrip().startswith('<div id="audit-results"')
    whole = client.get("/admin/audit", headers=HTMX).get_data(as_text=True)
    assert "<h1>Audit log</h1>" in whole and "<html" in whole

    bad = client.get(
        "/admin/audit?date_from-day=40&date_from-month=1&date_from-year=2026", headers=live
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert bad.headers["HX-Retarget"] == "#audit-log" and bad.headers["HX-Reswap"] == "outerHTML"
    assert (
        html.lstrip().startswith('<div id="audit-log"') and "From date must be a real date" in html
    )
    # The form in error asks to be replaced whole, so that its messages clear once fixed.
    assert 'hx-target="#audit-log"' in html
    fixed = client.get(
        "/admin/audit?action=trust.created", headers={**HTMX, "HX-Target": "audit-log"}
    )
    fixed_html = fixed.get_data(as_text=True)
    assert fixed.status_code == 200 and fixed_html.lstrip().startswith('<div id="audit-log"')
    assert "There is a problem" not in fixed_html and 'hx-target="#audit-results"' in fixed_html


def test_the_csv_export_holds_the_filtered_entries(client: PortalClient) -> None:
    admin = signed_in_admin(client)
    clear_log()
    entry(
        "trust.updated",
        datetime(2026, 4, 1, 8, 30, tzinfo=UTC),
        actor=admin,
        object_id="7",
        before={"name": "Hôpital", "participating": False},
        after={"name": "Hospital", "participating": True},
    )
    entry("region.updated", datetime(2026, 4, 2, tzinfo=UTC), object_type="region")
    response = client.get("/admin/audit.csv?object_type=trust")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert rows_of(response) == [
        [*CSV_HEADER],
        [
            "2026-04-01T08:30:00+00:00",
            "boss@example.org",
            "trust.updated",
            "trust",
            "7",
            '{"name": "Hôpital", "participating": false}',
            '{"name": "Hospital", "participating": true}',
            "Bea Boss changed the details of a deleted trust.",
        ],
    ]
    html = client.get("/admin/audit?object_type=trust").get_data(as_text=True)
    assert 'href="/admin/audit.csv?object_type=trust"' in html


def test_the_csv_export_neutralises_spreadsheet_formulas(client: PortalClient) -> None:
    signed_in_admin(client)
    clear_log()
    entry(
        '=HYPERLINK("http://evil.example")',
        datetime(2026, 4, 1, tzinfo=UTC),
        object_type="+trust",
        object_id="-1+1",
    )
    entry("@SUM(A1)", datetime(2026, 4, 2, tzinfo=UTC), object_type="\tx", object_id="ok")
    rows = rows_of(client.get("/admin/audit.csv"))
    newest, oldest = rows[1], rows[2]
    assert newest[2:5] == ["'@SUM(A1)", "'\tx", "ok"]
    assert oldest[2:5] == ['\'=HYPERLINK("http://evil.example")', "'+trust", "'-1+1"]


def test_an_empty_log_says_so(client: PortalClient) -> None:
    signed_in_admin(client)
    clear_log()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "0 entries." in html and "Nothing has been recorded yet." in html
    assert "audit.csv" not in html
    assert rows_of(client.get("/admin/audit.csv")) == [[*CSV_HEADER]]


def test_changes_in_the_directory_show_up_in_the_log(client: PortalClient) -> None:

    signed_in_admin(client)
    client.post_form(
        "/admin/trusts/new",
        {"name": "Logged NHS Trust", "ods_code": "RL1", "region": "london"},
    )
    html = client.get("/admin/audit?object_type=trust").get_data(as_text=True)
    assert "trust.created" in html and "Logged NHS Trust" in html and "boss@example.org" in html


def test_the_filters_offer_each_kind_and_action_in_the_log_once_in_order(
    client: PortalClient,
) -> None:
    admin = signed_in_admin(client)
    at = datetime(2026, 5, 1, 9, tzinfo=UTC)
    for action, kind in (
        ("trust.created", "trust"),
        ("event.published", "event"),
        ("trust.changed", "trust"),
        ("event.published", "event"),
        ("user.created", "user"),
    ):
        entry(action, at, actor=admin, object_type=kind)
    page = client.get("/admin/audit").get_data(as_text=True)
    kinds = page[
        page.index('name="object_type"') : page.index("</select>", page.index('name="object_type"'))
    ]
    actions = page[
        page.index('name="action"') : page.index("</select>", page.index('name="action"'))
    ]
    offered_kinds = [k for k in ("event", "trust", "user") if f'value="{k}"' in kinds]
    assert offered_kinds == ["event", "trust", "user"]
    assert kinds.index('value="event"') < kinds.index('value="trust"') < kinds.index('value="user"')
    assert kinds.count('value="trust"') == 1
    for action in ("event.published", "trust.changed", "trust.created", "user.created"):
        assert actions.count(f'value="{action}"') == 1, action
    assert actions.index('value="event.published"') < actions.index('value="user.created"')
