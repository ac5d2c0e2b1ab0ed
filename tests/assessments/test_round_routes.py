"""A round's life through its pages, as a team's member lives it: starting it, answering a pathway
saved as they go (htmx autosave) or with "Save and continue", coming back to it, completing it
(refused while a position is missing), choosing priorities, writing and changing actions, and the
pictures and comparison; every form with htmx and without; nobody but the trust's staff sees it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from portal.assessments.models import AssessmentRound, ParticipantRole, RoundAction
from portal.assessments.pathways import Pathway
from portal.assessments.rounds import ActionValues, add_action, set_priorities
from portal.auth.models import User
from portal.extensions import db
from portal.web.dates import today_in_london
from tests.assessments.helpers import answer, begin, by_code, completed, load_framework, staff_of
from tests.client import HTMX, PortalClient
from tests.factories import make_user

ALL = {"VB1": (1, 3), "VB2": (2, 2), "FP1": (2, 4)}


@pytest.fixture
def staff(app: Flask) -> User:
    load_framework()
    return staff_of()


@pytest.fixture
def signed_in(client: PortalClient, staff: User) -> PortalClient:
    client.sign_in(staff)
    return client


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def start_data(**overrides: object) -> dict[str, object]:
    yesterday = today_in_london() - timedelta(days=1)
    return {
        "held_on-day": str(yesterday.day),
        "held_on-month": str(yesterday.month),
        "held_on-year": str(yesterday.year),
        "participants": ["midwife", "service-user"],
        "pathways": ["vbac", "first-pregnancy"],
        **overrides,
    }


def fields(round_: AssessmentRound, positions: dict[str, tuple[str, str, str]]) -> dict[str, str]:
    answers = by_code(round_)
    data = {}
    for code, (now, aim, note) in positions.items():
        cid = answers[code].characteristic_id
        data.update({f"current-{cid}": now, f"aspired-{cid}": aim, f"evidence-{cid}": note})
    return data


def the_round() -> AssessmentRound:
    found = db.session.scalar(select(AssessmentRound))
    assert found is not None
    return found


# --- The life of a round -------------------------------------------------------------------------


def test_a_round_from_start_to_actions_without_javascript(signed_in: PortalClient) -> None:
    client = signed_in
    listing = text(client.get("/trusts/RT1/assessments"))
    assert "No rounds yet" in listing and "Start a new round" in listing

    response = client.post_form("/trusts/RT1/assessments/new", start_data())
    assert response.status_code == 303
    round_ = the_round()
    # The pathways in the toolkit's order: first pregnancy first.
    assert response.headers["Location"] == f"/trusts/RT1/assessments/{round_.id}/first-pregnancy"
    assert round_.chosen_pathways == [Pathway.FIRST_PREGNANCY, Pathway.VBAC]
    assert round_.participant_roles == [ParticipantRole.MIDWIFE, ParticipantRole.SERVICE_USER]

    page = text(client.get(response.headers["Location"]))
    assert "Invented first pregnancy characteristic" in page
    assert "Invented description FP1 3" in page  # each position's description
    response = client.post_form(
        f"/trusts/RT1/assessments/{round_.id}/first-pregnancy",
        fields(round_, {"FP1": ("2", "4", "Guideline from 2025")}),
    )
    assert response.headers["Location"] == f"/trusts/RT1/assessments/{round_.id}/vbac"

    # Half of VBAC, then away: the round page says what is left, and completing is refused.
    client.post_form(
        f"/trusts/RT1/assessments/{round_.id}/vbac", fields(round_, {"VB1": ("1", "3", "")})
    )
    page = text(client.get(f"/trusts/RT1/assessments/{round_.id}"))
    assert "1 of 2 characteristics have both positions" in page
    refused = client.post_form(f"/trusts/RT1/assessments/{round_.id}/complete")
    assert refused.status_code == 422
    assert "The round cannot be completed yet" in text(refused)
    assert "VB2: give the current and aspired positions" in text(refused)
    assert f"/trusts/RT1/assessments/{round_.id}/vbac#current-" in text(refused)

    # Back to VBAC: what was given is there.
    page = text(client.get(f"/trusts/RT1/assessments/{round_.id}/vbac"))
    vb1 = by_code(round_)["VB1"].characteristic_id
    assert re.search(
        rf'id="current-{vb1}" name="current-{vb1}" type="radio" value="1"\s+checked', page
    )
    client.post_form(
        f"/trusts/RT1/assessments/{round_.id}/vbac",
        fields(round_, {"VB1": ("1", "3", ""), "VB2": ("2", "2", "")}),
    )
    done = client.post_form(f"/trusts/RT1/assessments/{round_.id}/complete")
    assert done.headers["Location"] == f"/trusts/RT1/assessments/{round_.id}/priorities"
    db.session.expire_all()
    assert round_.is_complete

    # Priorities: the largest gap first.
    page = text(client.get(done.headers["Location"]))
    assert page.index("Gap 2") < page.index("Gap 0")
    answers = by_code(round_)
    response = client.post_form(
        f"/trusts/RT1/assessments/{round_.id}/priorities",
        {"priorities": [str(answers["VB1"].id), str(answers["FP1"].id)]},
    )
    assert response.headers["Location"] == f"/trusts/RT1/assessments/{round_.id}/actions"
    assert sorted(a.characteristic.code for a in round_.answers if a.priority) == ["FP1", "VB1"]

    # An action for VB1, then done.
    due = today_in_london() + timedelta(days=30)
    response = client.post_form(
        f"/trusts/RT1/assessments/{round_.id}/actions",
        {
            "characteristic": str(answers["VB1"].id),
            "what": "Audit VBAC conversations",
            "owner_role": "obstetrician",
            "due_on-day": str(due.day),
            "due_on-month": str(due.month),
            "due_on-year": str(due.year),
            "status": "not-started",
        },
    )
    assert response.status_code == 303
    action = db.session.scalar(select(RoundAction))
    assert action is not None and (action.characteristic_code, action.due_on) == ("VB1", due)
    assert "Audit VBAC conversations" in text(client.get(response.headers["Location"]))
    response = client.post_form(
        f"/trusts/RT1/assessments/actions/{action.id}?round={round_.id}",
        {
            "what": "Audit VBAC conversations",
            "owner_role": "obstetrician",
            "due_on-day": str(due.day),
            "due_on-month": str(due.month),
            "due_on-year": str(due.year),
            "status": "done",
        },
    )
    assert response.headers["Location"] == f"/trusts/RT1/assessments/{round_.id}/actions"
    db.session.expire_all()
    assert action.status.value == "done"

    # A completed round's answers cannot change.
    response = client.get(f"/trusts/RT1/assessments/{round_.id}/vbac")
    assert response.headers["Location"] == f"/trusts/RT1/assessments/{round_.id}"


def test_answers_are_saved_as_they_are_given_and_found_again(
    signed_in: PortalClient, staff: User
) -> None:
    round_ = begin(staff)
    path = f"/trusts/RT1/assessments/{round_.id}/vbac/autosave"
    partial = fields(round_, {"VB1": ("3", "", "Audit of 40 notes")})
    response = signed_in.post_form(path, partial, htmx=True)
    assert response.status_code == 200
    assert re.fullmatch(r"Saved at \d{1,2}(:\d\d)?(am|pm)\.", text(response).strip()), text(
        response
    )
    db.session.expire_all()
    vb1 = by_code(round_)["VB1"]
    assert (vb1.current_position, vb1.aspired_position, vb1.evidence) == (
        3,
        None,
        "Audit of 40 notes",
    )
    # Resumed later: the page shows what was saved.
    page = text(signed_in.get(f"/trusts/RT1/assessments/{round_.id}/vbac"))
    assert "Audit of 40 notes" in page
    # Something the form cannot hold is not saved, and the line says so.
    bad = fields(round_, {"VB1": ("9", "", "Changed")})
    response = signed_in.post_form(path, bad, htmx=True)
    assert "not saved yet" in text(response)
    db.session.expire_all()
    assert (vb1.current_position, vb1.evidence) == (3, "Audit of 40 notes")


def test_a_bad_answer_is_shown_next_to_its_field_with_everything_typed_kept(
    signed_in: PortalClient, staff: User
) -> None:
    round_ = begin(staff)
    long_note = "Evidence " + "x" * 1000
    data = fields(round_, {"VB1": ("2", "3", "Kept note"), "VB2": ("1", "7", long_note)})
    for htmx in (False, True):
        response = signed_in.post_form(f"/trusts/RT1/assessments/{round_.id}/vbac", data, htmx=htmx)
        assert response.status_code == 422
        page = text(response)
        assert "There is a problem" in page
        assert "VB2: Choose the aspired position from the 4 positions shown" in page
        assert "VB2: The note of evidence must be 1,000 characters or fewer" in page
        assert "Kept note" in page and long_note in page
        assert ("<html" in page) is not htmx  # htmx gets the form alone, swapped in place
    db.session.expire_all()
    assert all(a.current_position is None for a in round_.answers)  # nothing saved


def test_starting_with_htmx_and_with_mistakes(signed_in: PortalClient) -> None:
    tomorrow = today_in_london() + timedelta(days=1)
    response = signed_in.post_form(
        "/trusts/RT1/assessments/new",
        start_data(
            participants=[],
            pathways=["top-ten"],
            **{
                "held_on-day": str(tomorrow.day),
                "held_on-month": str(tomorrow.month),
                "held_on-year": str(tomorrow.year),
            },
        ),
        htmx=True,
    )
    assert response.status_code == 422
    page = text(response)
    assert "The date the team met must be today or in the past" in page
    assert "Select who took part" in page
    assert "Select pathways from the list" in page  # top-ten has no characteristics here
    assert f'value="{tomorrow.day}"' in page
    response = signed_in.post_form("/trusts/RT1/assessments/new", start_data(), htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Location"].endswith("/first-pregnancy")
    # While it is in progress, no other round starts.
    page = text(signed_in.get("/trusts/RT1/assessments/new"))
    assert "still in progress" in page and "Start the round" not in page


def test_an_action_with_mistakes_keeps_what_was_typed(signed_in: PortalClient, staff: User) -> None:
    round_ = completed(staff, ALL)
    response = signed_in.post_form(
        f"/trusts/RT1/assessments/{round_.id}/actions",
        {
            "characteristic": "",
            "what": "Keep this text",
            "owner_role": "",
            "due_on-day": "31",
            "due_on-month": "2",
            "due_on-year": "2027",
            "status": "not-started",
        },
        htmx=True,
    )
    assert response.status_code == 422
    page = text(response)
    for message in (
        "Choose the characteristic the action is for",
        "Choose the role that owns the action",
        "Due date must be a real date",
    ):
        assert message in page
    assert 'value="Keep this text"' in page and 'value="31"' in page
    assert db.session.scalar(select(RoundAction.id)) is None


def test_pages_before_completion_send_back_to_the_round(
    signed_in: PortalClient, staff: User
) -> None:
    round_ = begin(staff)
    for page in ("priorities", "actions"):
        response = signed_in.get(f"/trusts/RT1/assessments/{round_.id}/{page}")
        assert response.headers["Location"] == f"/trusts/RT1/assessments/{round_.id}"


# --- Pictures and comparison ---------------------------------------------------------------------


def test_the_round_shows_a_spectrum_chart_per_pathway_with_its_table(
    signed_in: PortalClient, staff: User
) -> None:
    round_ = completed(staff, ALL)
    page = text(signed_in.get(f"/trusts/RT1/assessments/{round_.id}"))
    for pathway in ("vbac", "first-pregnancy"):
        for width in (720, 360):
            assert f'aria-labelledby="spectrum-{pathway}-{width}"' in page
    assert page.count('role="img" aria-labelledby="spectrum-') == 4
    assert "Spectrum chart for Vaginal birth after caesarean (VBAC)" in page
    assert "1 of 4: Not yet" in page and "3 of 4: Mostly" in page


def test_the_comparison_says_what_moved(signed_in: PortalClient, staff: User) -> None:
    earlier = completed(staff, ALL, held_on=date(2025, 9, 1))
    later = completed(staff, {**ALL, "VB1": (2, 3), "VB2": (1, 2)}, held_on=date(2026, 3, 1))
    page = text(signed_in.get(f"/trusts/RT1/assessments/{later.id}/compare"))
    assert "Moved up: 1" in page and "Stayed: 1" in page and "Moved down: 1" in page
    assert 'aria-labelledby="comparison-vbac-720"' in page
    page = text(signed_in.get(f"/trusts/RT1/assessments/{earlier.id}/compare"))
    assert "There is no completed round before" in page


def test_overdue_actions_show_on_the_trusts_home(signed_in: PortalClient, staff: User) -> None:
    round_ = completed(staff, ALL)
    set_priorities(round_, [round_.answers[0].id], actor=staff)
    add_action(
        round_,
        round_.answers[0].id,
        ActionValues(
            "Late leaflet", ParticipantRole.MIDWIFE, today_in_london() - timedelta(days=1)
        ),
        actor=staff,
    )
    add_action(
        round_,
        round_.answers[0].id,
        ActionValues("Due today", ParticipantRole.MIDWIFE, today_in_london()),
        actor=staff,
    )
    home = text(signed_in.get("/"))
    assert "Overdue actions" in home and "Late leaflet" in home and "Due today" not in home


# --- Privacy -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "admin", "other_staff"])
def test_nobody_but_the_trusts_staff_finds_its_assessment(
    app: Flask, client: PortalClient, staff: User, who: str
) -> None:
    """The owning region's own coordinator and the programme team too (the authorization matrix
    checks another region's coordinator and anonymous visitors)."""
    round_ = completed(staff, ALL)
    action = add_action(
        round_,
        round_.answers[0].id,
        ActionValues("Private", ParticipantRole.MIDWIFE, date(2026, 1, 1)),
        actor=staff,
    )
    person = {
        "coordinator": lambda: make_user("coordinator", "c@nhs.example", region_slug="london"),
        "admin": lambda: make_user("admin", "a@nhs.example"),
        "other_staff": lambda: staff_of("RT2"),
    }[who]()
    client.sign_in(person)
    base = "/trusts/RT1/assessments"
    gets = [
        base,
        f"{base}/new",
        f"{base}/{round_.id}",
        f"{base}/{round_.id}/vbac",
        f"{base}/{round_.id}/priorities",
        f"{base}/{round_.id}/actions",
        f"{base}/{round_.id}/compare",
        f"{base}/actions/{action.id}",
    ]
    posts = [
        *(gets[i] for i in (1, 3, 4, 5, 7)),
        f"{base}/{round_.id}/complete",
        f"{base}/{round_.id}/vbac/autosave",
    ]
    for headers in ({}, HTMX):
        for path in gets:
            assert client.get(path, headers=headers).status_code == 404, path
        for path in posts:
            assert client.post_form(path, {}, htmx=bool(headers)).status_code == 404, path


def test_the_navigation_takes_each_role_to_its_own_self_assessment_page(
    signed_in: PortalClient, app: Flask
) -> None:
    """Trust staff: their trust's rounds; a coordinator: the region's shared rounds; the
    programme team: every participating trust's. Never another trust's rounds."""
    assert 'href="/trusts/RT1/assessments"' in text(signed_in.get("/toolkit"))
    coordinator = app.test_client()
    coordinator.sign_in(make_user("coordinator", "c@nhs.example", region_slug="london"))
    page = text(coordinator.get("/toolkit"))
    assert 'href="/regions/london/self-assessment"' in page
    assert "/trusts/RT1/assessments" not in page
    admin = app.test_client()
    admin.sign_in(make_user("admin", "a@nhs.example"))
    page = text(admin.get("/toolkit"))
    assert 'href="/self-assessment"' in page
    assert "/trusts/RT1/assessments" not in page


def test_answers_in_a_pathway_not_chosen_are_not_found(
    signed_in: PortalClient, staff: User
) -> None:
    round_ = begin(staff, [Pathway.VBAC])
    assert signed_in.get(f"/trusts/RT1/assessments/{round_.id}/first-pregnancy").status_code == 404
    assert signed_in.get(f"/trusts/RT1/assessments/{round_.id}/nonsense").status_code == 404
    assert signed_in.get(f"/trusts/RT1/assessments/{round_.id + 1}").status_code == 404
    answer(round_, staff, {"VB1": (1, 2)})


def test_pages_htmx_goes_on_to_come_whole(signed_in: PortalClient, staff: User) -> None:
    """After a form sent by htmx, HX-Location asks for the next page with htmx's headers: it gets
    the whole page, not the part a 422 answer would swap."""
    done = completed(staff, ALL, held_on=date(2025, 9, 1))
    begin(staff)
    for path in (
        "/trusts/RT1/assessments/new",
        f"/trusts/RT1/assessments/{done.id}/priorities",
        f"/trusts/RT1/assessments/{done.id}/actions",
        f"/trusts/RT1/assessments/{done.id}",
    ):
        page = text(signed_in.get(path, headers=HTMX))
        assert "<h1>" in page and "<html" in page, path
