"""The audit log in words: every action the portal records reads as a sentence, its objects named
as they are now (with links while they exist), its details labelled, its entries under each day
in England; the log itself never holds an attendee's name, so erasure leaves none behind."""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select

from portal.admin.audit_sentences import SENTENCES, Names
from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.events.service import delete_draft
from portal.extensions import db
from portal.registrations.models import Registration, RegistrationState
from portal.registrations.privacy import erase_person, purge
from portal.registrations.service import set_attended, withdraw
from portal.web.dates import LONDON
from tests.admin.helpers import signed_in_admin
from tests.admin.test_audit_log import clear_log, entry, results
from tests.client import PortalClient
from tests.factories import (
    draft,
    make_event,
    make_trust,
    make_user,
    open_event,
    published,
    trust_staff,
)
from tests.factories import region as region_of
from tests.registrations.helpers import book

PORTAL = Path(__file__).resolve().parents[2] / "portal"
ACTION = re.compile(r"^[a-z_]+\.[a-z_]+$")
#: Actions built in an f-string from an enum's values: the prefix, and the values it takes.
FORMATTED = {"registration.": [state.value for state in RegistrationState]}


# --- Every action has a sentence -----------------------------------------------------------------


def _imports_record(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module in ("portal.audit.service", "portal.audit")
        and any(alias.name == "record" for alias in node.names)
        for node in ast.walk(tree)
    )


def _actions_in(node: ast.expr, path: Path) -> list[str]:
    """The action strings an argument can be: a literal, either side of `a if x else b`, or an
    f-string over an enum's values (FORMATTED)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _actions_in(node.body, path) + _actions_in(node.orelse, path)
    if isinstance(node, ast.JoinedStr):
        first = node.values[0]
        prefix = first.value if isinstance(first, ast.Constant) else ""
        assert len(node.values) == 2 and prefix in FORMATTED, (
            f"{path}:{node.lineno}: an action built in an unknown way: add it to FORMATTED"
        )
        return [prefix + value for value in FORMATTED[str(prefix)]]
    raise AssertionError(f"{path}:{node.lineno}: cannot read the action {ast.unparse(node)}")


def written_actions() -> dict[str, str]:
    """Every action passed to the audit's record(), or to a module's wrapper of it (a function
    that hands one of its own parameters on as the action): action -> where."""
    found: dict[str, str] = {}
    for path in sorted(PORTAL.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not _imports_record(tree):
            continue
        wrappers = {"record"}
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        forwarded: set[int] = set()
        for function in functions:
            parameters = {a.arg for a in function.args.args}
            for call in ast.walk(function):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Name)
                    and call.func.id == "record"
                    and call.args
                    and isinstance(call.args[0], ast.Name)
                    and call.args[0].id in parameters
                ):
                    wrappers.add(function.name)
                    forwarded.add(id(call))
        for call in ast.walk(tree):
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id in wrappers
                and id(call) not in forwarded
            ):
                continue
            argument = call.args[0] if call.args else None
            assert argument is not None, f"{path}:{call.lineno}: a record() without an action"
            for action in _actions_in(argument, path):
                found.setdefault(action, f"{path.relative_to(PORTAL.parent)}:{call.lineno}")
    return found


def test_the_scan_finds_the_actions_however_they_are_written() -> None:
    actions = written_actions()
    # A literal, both sides of a conditional, a wrapper's argument, an f-string over states.
    for action in (
        "event.published",
        "user.reactivated",
        "user.deactivated",
        "story.returned",
        "registration.checked_in",
        "registration.withdrawn",
        "measures.month_added",
        "robson.month_corrected",
    ):
        assert action in actions


def test_every_action_the_portal_records_has_a_sentence() -> None:
    actions = written_actions()
    malformed = {a: where for a, where in actions.items() if not ACTION.match(a)}
    assert malformed == {}
    missing = {a: where for a, where in actions.items() if a not in SENTENCES}
    assert missing == {}, "actions without a sentence in portal/admin/audit_sentences.py"
    # And no sentence for an action nothing records any more.
    assert sorted(set(SENTENCES) - set(actions)) == []


SAMPLE_DETAILS: dict[str, Any] = {
    "event_id": 1,
    "trust_id": 1,
    "trust": "RT1",
    "month": "2026-03",
    "role": "trust",
    "measure": "vbac",
    "target": 20,
    "number": 2,
    "registrations": 3,
    "needs": 2,
    "by": "trust",
    "title": "Old title",
    "state": "confirmed",
    "version": 2,
    "people": 12,
    "round_id": 3,
}


@pytest.mark.parametrize("action", sorted(SENTENCES))
def test_every_sentence_fills_in_from_what_its_action_records(app: Flask, action: str) -> None:
    made = AuditEntry(
        at=datetime(2026, 3, 1, tzinfo=UTC),
        action=action,
        object_type=action.split(".")[0],
        object_id="1",
        before=dict(SAMPLE_DETAILS),
        after=dict(SAMPLE_DETAILS),
    )
    with app.test_request_context():
        sentence = str(Names([made], viewer=None).sentence(made))
    assert "{" not in sentence and "}" not in sentence and "_" not in sentence
    assert sentence[0].isupper() and not sentence.endswith(".")
    assert action not in sentence  # words, not the code name


def test_an_action_without_a_sentence_still_reads_plainly(client: PortalClient) -> None:
    admin = signed_in_admin(client)
    clear_log()
    entry("widget.polished", datetime(2026, 1, 10, tzinfo=UTC), actor=admin, object_type="widget")
    html = results(client.get("/admin/audit").get_data(as_text=True))
    assert (
        "<bdi>Bea Boss</bdi></a> did <code>widget.polished</code> to <bdi>widget 1</bdi>." in html
    )


# --- Names looked up now -------------------------------------------------------------------------


def _page(client: PortalClient, query: str = "") -> str:
    return results(client.get(f"/admin/audit{query}").get_data(as_text=True))


def _words(html: str) -> str:
    """What a person reads: the text without its tags, in single spaces."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html)))


def test_a_check_in_names_who_checked_in_whom_at_which_event(client: PortalClient) -> None:
    event = open_event(title="London network day")
    staff = trust_staff()
    (booked,) = (o.registration for o in book(event, staff, 1))
    coordinator = db.session.get(User, event.created_by_id)
    assert coordinator is not None
    set_attended(booked, True, actor=coordinator)
    signed_in_admin(client)
    html = _page(client)
    person = f'<a href="/people/{coordinator.id}"><bdi>{coordinator.name}</bdi></a>'
    attendee = f'<a href="/events/{event.id}/attendees"><bdi>Attendee 1</bdi></a>'
    title = f'“<a href="/events/{event.id}"><bdi>London network day</bdi></a>”'
    assert f"{person} checked in {attendee} at {title}." in html
    assert f"<bdi>Booker RT1</bdi></a> booked a place for {attendee} at {title}." in html
    assert f"{person} published {title}." in html
    # The details in words: the event and trust by name, the state as a word.
    assert re.search(r"Event:</span>\s+<bdi>“London network day”</bdi>", html)
    assert re.search(r"Trust:</span>\s+<bdi>Trust RT1 NHS Trust</bdi>", html)
    assert re.search(r"Checked in:</span>\s+<bdi>yes</bdi>", html)


def _log_as_text() -> str:
    """Every column of every audit entry, as one string."""
    return "\n".join(
        " ".join([e.action, e.object_type, e.object_id, json.dumps(e.before), json.dumps(e.after)])
        for e in db.session.scalars(select(AuditEntry))
    )


@pytest.mark.parametrize("how", ["erased on request", "purged after the event"])
def test_after_erasure_the_log_names_only_an_attendee(client: PortalClient, how: str) -> None:
    event = open_event(title="London network day")
    staff = trust_staff()
    (booked,) = (o.registration for o in book(event, staff, 1))
    coordinator = db.session.get(User, event.created_by_id)
    assert coordinator is not None
    set_attended(booked, True, actor=coordinator)
    admin = signed_in_admin(client)
    assert "Attendee 1" in _page(client)
    # The log itself never held the attendee's name or address, even before erasure.
    assert "Attendee 1" not in _log_as_text() and "attendee1@" not in _log_as_text()

    if how == "erased on request":
        erase_person("attendee1@nhs.example", actor=admin)
    else:
        purge(datetime.combine(event.event_date, datetime.min.time(), LONDON) + timedelta(days=400))
        db.session.commit()
    html = _page(client)
    assert "Attendee 1" not in html and "attendee1@" not in html
    said = _words(html)
    assert "checked in an attendee at “London network day”." in said
    assert "booked a place for an attendee at “London network day”." in said
    assert "Attendee 1" not in _log_as_text() and "attendee1@" not in _log_as_text()
    eraser = "Bea Boss erased one person's details at their request (1 booking)."
    purger = "The portal erased the details of 1 attendee of past events."
    assert (eraser if how == "erased on request" else purger) in said


def test_an_attendee_who_withdrew_and_was_then_erased_starts_the_sentence(
    client: PortalClient,
) -> None:
    event = open_event(title="London network day")
    (booked,) = (o.registration for o in book(event, trust_staff(), 1))
    withdraw(booked, actor=None, by="attendee")
    erase_person("attendee1@nhs.example", actor=None)
    signed_in_admin(client)
    assert "An attendee withdrew from “London network day”." in _words(_page(client))


def test_the_csv_file_names_no_attendee(client: PortalClient) -> None:
    """The file leaves the portal, where no erasure can reach it."""
    event = open_event(title="London network day")
    (booked,) = (o.registration for o in book(event, trust_staff(), 1))
    signed_in_admin(client)
    text = client.get("/admin/audit.csv?object_type=registration").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[1][-1] == (
        f"Booker RT1 booked a place for the attendee of booking {booked.id} "
        "at “London network day”."
    )
    assert "Attendee 1" not in text


def test_objects_are_linked_while_they_exist_and_named_as_deleted_after(
    client: PortalClient,
) -> None:
    admin = signed_in_admin(client)
    staff = trust_staff("RT7")
    reviewer = make_user("coordinator", "reviewer@nhs.example", name="Rita Reviewer")
    story = published(staff, reviewer, title="Fewer caesareans in first births")
    still_draft = draft(staff, title="Draft notes")
    gone = make_event(admin, title="Spring network day")
    delete_draft(gone, actor=admin)
    clear_log()
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    trust = staff.trust
    assert trust is not None
    for action, kind, object_id, after in [
        ("story.published", "story", story.id, None),
        ("story.submitted", "story", still_draft.id, None),
        ("story.published", "story", 99999, None),
        ("trust.updated", "trust", trust.id, None),
        ("trust.updated", "trust", 99999, None),
        ("region.updated", "region", region_of("london").id, None),
        ("user.invitation_resent", "user", staff.id, None),
        ("user.invitation_resent", "user", 99999, None),
        ("event.published", "event", gone.id, None),
        ("measures.month_added", "monthly_counts", 5, {"trust": "RT7", "month": "2026-02"}),
        ("measures.change_marked", "measure_change", 6, {"trust": "GONE1", "month": "2026-02"}),
        ("user.role_changed", "user", staff.id, {"role": "trust", "trust_id": trust.id}),
    ]:
        entry(action, at, actor=admin, object_type=kind, object_id=str(object_id), after=after)
    html = _page(client)
    said = re.sub(r"\s+", " ", html)
    assert (
        f'approved and published “<a href="/stories/{story.id}"><bdi>Fewer caesareans in first '
        "births</bdi></a>”." in said
    )
    # A draft the programme team may not open is named, not linked.
    assert "sent “<bdi>Draft notes</bdi>” for review." in said
    assert "approved and published a deleted story." in html.replace("<bdi>", "").replace(
        "</bdi>", ""
    )
    link = '<a href="/trusts/RT7"><bdi>Trust RT7 NHS Trust</bdi></a>'
    assert f"changed the details of {link}." in said
    assert "changed the details of <bdi>a deleted trust</bdi>." in said
    assert 'changed the details of <a href="/regions/london"><bdi>NHS London</bdi></a>.' in said
    assert f'sent <a href="/people/{staff.id}"><bdi>Booker RT7</bdi></a> a new invitation' in said
    assert "sent <bdi>a deleted account</bdi> a new invitation" in said
    assert "published <bdi>a deleted event</bdi>." in said
    assert f"entered the figures of {link} for <bdi>February 2026</bdi>." in said
    assert (
        "marked a change in <bdi>February 2026</bdi> on the charts of <bdi>a deleted trust" in said
    )
    assert (
        f'made <a href="/people/{staff.id}"><bdi>Booker RT7</bdi></a> <bdi>trust staff</bdi>.'
        in said
    )


def test_a_deleted_draft_is_named_by_the_title_its_entry_recorded(client: PortalClient) -> None:
    admin = signed_in_admin(client)
    gone = make_event(admin, title="Spring network day")
    delete_draft(gone, actor=admin)
    said = re.sub(r"\s+", " ", _page(client, "?object_type=event"))
    assert "deleted the draft event “<bdi>Spring network day</bdi>”." in said
    assert "created <bdi>a deleted event</bdi> as a draft." in said


def test_the_details_are_in_words(client: PortalClient) -> None:
    admin = signed_in_admin(client)
    clear_log()
    northgate = make_trust("Northgate NHS Trust", "RN1")
    db.session.commit()
    entry(
        "event.edited",
        datetime(2026, 3, 1, tzinfo=UTC),
        actor=admin,
        object_type="event",
        before={"event_date": "2026-03-10", "start_time": "09:30:00", "open_to_all_regions": False},
        after={"event_date": "2026-03-11", "start_time": "10:00:00", "open_to_all_regions": True},
    )
    entry(
        "registration.changed",
        datetime(2026, 3, 2, tzinfo=UTC),
        actor=admin,
        object_type="registration",
        object_id="424242",
        after={"changed": ["attendee_email", "dietary_needs"]},
    )
    entry(
        "trust.updated",
        datetime(2026, 3, 3, tzinfo=UTC),
        actor=admin,
        object_id=str(northgate.id),
        before={"ods_code": "RN0", "region": "london"},
        after={"ods_code": "RN1", "region": "north-east"},
    )
    said = re.sub(r"\s+", " ", _page(client))
    for words in [
        'Date:</span> <del><span class="nhsuk-u-visually-hidden">from </span>Tuesday 10 March 2026'
        '</del> <span aria-hidden="true">→</span> <ins><span class="nhsuk-u-visually-hidden">to '
        "</span>Wednesday 11 March 2026</ins>",
        "Starts:</span> <del>",
        ">9:30am</del>",
        ">10am</ins>",
        "Open to every region:</span>",
        ">no</del>",
        ">yes</ins>",
        "Changed:</span> <bdi>e-mail address, dietary needs</bdi>",
        "changed the booking of <bdi>an attendee whose booking has since been removed</bdi>",
        "ODS code:</span>",
        ">NHS London</del>",
        ">NHS North East</ins>",
    ]:
        assert words in said, words
    assert "event_date" not in said and "open_to_all_regions" not in said


# --- Days in England -----------------------------------------------------------------------------


def test_entries_are_grouped_by_the_day_in_england_across_the_clocks_going_back(
    client: PortalClient,
) -> None:
    """British Summer Time ends at 01:00 UTC on 25 October 2026."""
    signed_in_admin(client)
    clear_log()
    for n, at in enumerate(
        [
            datetime(2026, 10, 24, 22, 59, tzinfo=UTC),  # 23:59 BST, Saturday 24th
            datetime(2026, 10, 24, 23, 30, tzinfo=UTC),  # 00:30 BST, Sunday 25th
            datetime(2026, 10, 25, 23, 30, tzinfo=UTC),  # 23:30 GMT, Sunday 25th
            datetime(2026, 10, 26, 0, 0, tzinfo=UTC),  # 00:00 GMT, Monday 26th
        ]
    ):
        entry("trust.updated", at, object_id=f"T{n}")
    html = _page(client)
    days = re.findall(r'<h2 class="nhsuk-heading-xs portal-audit-day"[^>]*>([^<]+)</h2>', html)
    assert days == ["Monday 26 October 2026", "Sunday 25 October 2026", "Saturday 24 October 2026"]
    sections = re.split(r"<h2 ", html)[1 : len(days) + 1]
    times = [re.findall(r'class="portal-audit__time"[^>]*>(\d\d:\d\d)<', s) for s in sections]
    assert times == [["00:00"], ["23:30", "00:30"], ["23:59"]]


# --- A constant number of statements -------------------------------------------------------------


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")):
            seen.append(statement)

    sqlalchemy_event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", count)


REGIONS = [
    "east-of-england",
    "east-midlands",
    "london",
    "north-east",
    "north-west",
    "south-central",
    "south-east-coast",
    "south-west",
    "west-midlands",
    "yorkshire-and-the-humber",
]


def _a_unit_of_everything(admin: User, n: int) -> None:
    """Entries naming each kind of object: a booking, its event and trust, a story, a person, a
    region, a trust by ODS code (each unit in a region of its own, which holds three events)."""
    event = open_event(title=f"Budget day {n}", slug=REGIONS[n])
    staff = trust_staff(f"RB{n}", REGIONS[n])
    (booked,) = (o.registration for o in book(event, staff, 1))
    set_attended(booked, True, actor=admin)
    published(staff, admin, title=f"Budget story {n}")
    entry("region.updated", datetime.now(UTC), actor=admin, object_type="region", object_id="1")
    entry(
        "measures.month_added",
        datetime.now(UTC),
        actor=admin,
        object_type="monthly_counts",
        object_id=str(n),
        after={"trust": f"RB{n}", "month": "2026-01"},
    )


def test_the_page_runs_as_many_statements_with_ten_times_the_entries(
    client: PortalClient, statements: list[str]
) -> None:
    admin = signed_in_admin(client)
    _a_unit_of_everything(admin, 0)
    client.get("/admin/audit")  # warm up
    statements.clear()
    assert client.get("/admin/audit").status_code == 200
    small = len(statements)
    for n in range(1, 10):
        _a_unit_of_everything(admin, n)
    statements.clear()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Budget day 9" in html and "Budget story 9" in html
    assert len(statements) == small, "\n".join(statements)
    assert db.session.query(Registration).count() >= 10
