"""Self-assessment shared with the network: a trust's staff share a completed round (or stop); what
the region's coordinator and the programme team see is counts over shared, completed rounds only
(the latest per trust, with movement since the one before); an event's focus characteristics,
chosen by its coordinator, shown to signed-in people and linked from a trust's priorities."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from portal.assessments.models import AssessmentRound, EventFocus
from portal.assessments.network import (
    FocusError,
    Moved,
    focus_by_event,
    focus_choices,
    network_picture,
    set_focus,
)
from portal.assessments.pathways import Pathway
from portal.assessments.rounds import (
    AnswerValues,
    RoundError,
    complete_round,
    save_answers,
    set_priorities,
    share_round,
)
from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.events.service import cancel_event, delete_draft
from portal.extensions import db
from portal.regions.service import region_by_slug, trusts_of
from portal.web.dates import today_in_london
from tests.assessments.helpers import (
    answer,
    begin,
    by_code,
    completed,
    framework_rows,
    load_framework,
)
from tests.client import PortalClient
from tests.factories import make_event, make_trust, make_user

VBAC = Pathway.VBAC
FIRST = Pathway.FIRST_PREGNANCY


@pytest.fixture
def framework(app: Flask) -> None:
    load_framework()


def staff(code: str, slug: str = "london") -> User:
    trust = make_trust(f"Trust {code} NHS Trust", code, slug)
    return make_user("trust", f"staff.{code.lower()}@nhs.example", trust=trust)


def shared(
    person: User,
    positions: dict[str, tuple[int, int]],
    priorities: tuple[str, ...] = (),
    held_on: date = date(2026, 3, 14),
) -> AssessmentRound:
    """A completed round with these positions and priorities, shared with the network."""
    round_ = completed(person, positions, held_on=held_on)
    answers = by_code(round_)
    set_priorities(round_, [answers[code].id for code in priorities], actor=person)
    return share_round(round_, True, actor=person)


ALL = {"VB1": (1, 3), "VB2": (2, 2), "FP1": (2, 4)}


def london_picture():  # type: ignore[no-untyped-def]
    region = region_by_slug("london")
    assert region is not None
    return network_picture(trusts_of(region))


def across(picture, code: str):  # type: ignore[no-untyped-def]
    return next(c for c in picture.characteristics if c.code == code)


# --- Sharing -------------------------------------------------------------------------------------


def test_a_round_is_shared_only_once_complete_and_sharing_can_stop(framework: None) -> None:
    person = staff("RA1")
    ongoing = begin(person)
    with pytest.raises(RoundError, match="Complete the round"):
        share_round(ongoing, True, actor=person)
    assert ongoing.shared_at is None

    answer(ongoing, person, dict(ALL))
    round_ = complete_round(ongoing, actor=person)
    share_round(round_, True, actor=person)
    first = round_.shared_at
    assert first is not None
    share_round(round_, True, actor=person)  # asked again: nothing changes
    assert round_.shared_at == first
    share_round(round_, False, actor=person)
    assert round_.shared_at is None
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.action.like("assessment.round_%shared"))
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["assessment.round_shared", "assessment.round_unshared"]


# --- What the shared rounds say together ---------------------------------------------------------


def test_the_picture_counts_only_shared_completed_rounds(framework: None) -> None:
    shared(staff("RA1"), ALL, priorities=("VB1",))
    completed(staff("RA2"), {"VB1": (1, 4), "VB2": (1, 4), "FP1": (1, 4)})  # not shared
    begin(staff("RA3"))  # in progress
    other = staff("RB1", "north-east")
    shared(other, {"VB1": (4, 4), "VB2": (4, 4), "FP1": (4, 4)}, priorities=("VB1",))

    picture = london_picture()
    assert picture.trusts == 3
    assert [s.trust.ods_code for s in picture.sharing] == ["RA1"]
    vb1 = across(picture, "VB1")
    assert (vb1.answered, vb1.priority_for, vb1.gaps) == (1, 1, [2])
    assert vb1.trusts_at(1) == 1 and vb1.trusts_at(4) == 0


def test_priorities_and_gaps_are_counted_across_trusts_largest_first(framework: None) -> None:
    shared(staff("RA1"), {"VB1": (1, 4), "VB2": (2, 3), "FP1": (3, 3)}, priorities=("VB2",))
    shared(staff("RA2"), {"VB1": (2, 3), "VB2": (1, 3), "FP1": (2, 1)}, priorities=("VB2", "VB1"))
    shared(staff("RA3"), {"VB1": (2, 2), "VB2": (3, 4), "FP1": (1, 2)}, priorities=("FP1",))

    picture = london_picture()
    vb1, vb2, fp1 = (across(picture, code) for code in ("VB1", "VB2", "FP1"))
    assert vb2.priority_for == 2 and vb1.priority_for == 1 and fp1.priority_for == 1
    assert sorted(vb1.gaps) == [0, 1, 3]
    assert vb1.total_gap == 4 and vb1.largest_gap == 3 and vb1.trusts_with_gap == 2
    # A step back (FP1 at RA2: from 2 to 1) is not a step to climb.
    assert fp1.total_gap == 1 and fp1.trusts_with_gap == 1
    assert [c.code for c in picture.priorities] == ["VB2", "VB1", "FP1"]
    assert [c.code for c in picture.largest_gaps] == ["VB1", "VB2", "FP1"]
    assert [vb1.trusts_at(n) for n in (1, 2, 3, 4)] == [1, 2, 0, 0]
    assert picture.covered == {VBAC: 3, FIRST: 3}


def test_movement_compares_each_trusts_latest_shared_round_with_its_shared_round_before(
    framework: None,
) -> None:
    person = staff("RA1")
    shared(person, {"VB1": (1, 3), "VB2": (3, 3), "FP1": (2, 2)}, held_on=date(2025, 9, 1))
    completed(person, {"VB1": (4, 4), "VB2": (1, 1), "FP1": (1, 1)}, held_on=date(2026, 1, 1))
    shared(person, {"VB1": (2, 3), "VB2": (2, 3), "FP1": (2, 2)}, held_on=date(2026, 3, 1))

    picture = london_picture()
    assert picture.sharing[0].rounds == 2  # the unshared round in between is not one of them
    vb1, vb2, fp1 = (across(picture, code) for code in ("VB1", "VB2", "FP1"))
    assert vb1.moved == {Moved.UP: 1}
    assert vb2.moved == {Moved.DOWN: 1}
    assert fp1.moved == {Moved.SAME: 1}
    # The latest shared round is the one counted.
    assert vb1.trusts_at(2) == 1 and vb1.gaps == [1]


def test_rounds_against_different_versions_count_together_by_code(framework: None) -> None:
    shared(staff("RA1"), ALL, priorities=("VB1",))
    rows = framework_rows(
        (
            ("vbac", "VB1", "Reworded VBAC characteristic one"),
            ("vbac", "VB2", "Invented VBAC characteristic two"),
            ("first-pregnancy", "FP1", "Invented first pregnancy characteristic"),
        )
    )
    load_framework(rows)
    shared(staff("RA2"), ALL, priorities=("VB1",))
    picture = london_picture()
    vb1 = across(picture, "VB1")
    assert vb1.priority_for == 2
    assert vb1.wording == "Reworded VBAC characteristic one"  # the current version's


# --- An event's focus ----------------------------------------------------------------------------


def coordinator(slug: str = "london") -> User:
    return make_user("coordinator", f"coordinator.{slug}@nhs.example", region_slug=slug)


def test_the_focus_is_chosen_replaced_and_cleared_with_an_audit_entry(framework: None) -> None:
    person = coordinator()
    event = make_event(person, publish=True)
    set_focus(event, [(VBAC, "VB2"), (FIRST, "FP1")], actor=person)
    assert focus_by_event([event]) == {event.id: [(FIRST, "FP1"), (VBAC, "VB2")]}
    set_focus(event, [(VBAC, "VB1")], actor=person)
    assert focus_by_event([event])[event.id] == [(VBAC, "VB1")]
    set_focus(event, [], actor=person)
    assert focus_by_event([event])[event.id] == []
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "event.focus_set").order_by(AuditEntry.id)
    ).all()
    assert [e.after for e in entries] == [
        {"focus": ["first-pregnancy:FP1", "vbac:VB2"]},
        {"focus": ["vbac:VB1"]},
        {"focus": []},
    ]


def test_the_focus_refuses_unknown_characteristics_and_cancelled_or_past_events(
    framework: None,
) -> None:
    person = coordinator()
    event = make_event(person, publish=True)
    with pytest.raises(FocusError, match="XX9"):
        set_focus(event, [(VBAC, "VB1"), (VBAC, "XX9")], actor=person)
    assert db.session.scalar(select(EventFocus)) is None

    cancel_event(event, "The venue is closed", actor=person)
    with pytest.raises(FocusError, match="cancelled"):
        set_focus(event, [(VBAC, "VB1")], actor=person)

    held = make_event(person, publish=True)
    held.event_date = held.registration_deadline = today_in_london() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(FocusError, match="taken place"):
        set_focus(held, [(VBAC, "VB1")], actor=person)
    assert db.session.scalar(select(EventFocus)) is None


def test_the_focus_choices_offer_the_regions_frequent_priorities_first(framework: None) -> None:
    shared(staff("RA1"), ALL, priorities=("FP1",))
    shared(staff("RA2"), ALL, priorities=("FP1", "VB2"))
    choices = focus_choices(london_picture().priority_counts())
    assert [(c.code, c.priority_for) for c in choices] == [("FP1", 2), ("VB2", 1), ("VB1", 0)]


def test_a_deleted_drafts_focus_goes_with_it(framework: None) -> None:
    person = coordinator()
    event = make_event(person)
    set_focus(event, [(VBAC, "VB1")], actor=person)
    delete_draft(event, actor=person)
    assert db.session.scalar(select(EventFocus)) is None


# --- Pages ---------------------------------------------------------------------------------------


def test_sharing_from_the_round_page_without_and_with_htmx(
    framework: None, client: PortalClient
) -> None:
    person = staff("RA1")
    round_ = completed(person, ALL)
    client.sign_in(person)
    page = client.get(f"/trusts/RA1/assessments/{round_.id}").get_data(as_text=True)
    assert "Only your trust’s staff can see this round" in page

    response = client.post_form(f"/trusts/RA1/assessments/{round_.id}/share", {"shared": "yes"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/assessments/{round_.id}#sharing")
    db.session.refresh(round_)
    assert round_.shared_at is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is shared with your region’s coordinator" in page
    assert "Stop sharing this round" in page

    response = client.post_form(
        f"/trusts/RA1/assessments/{round_.id}/share", {"shared": "no"}, htmx=True
    )
    assert response.status_code == 204 and "HX-Location" in response.headers
    db.session.refresh(round_)
    assert round_.shared_at is None


def test_sharing_an_incomplete_round_is_refused_in_place(
    framework: None, client: PortalClient
) -> None:
    person = staff("RA1")
    round_ = begin(person)
    client.sign_in(person)
    plain = client.post_form(f"/trusts/RA1/assessments/{round_.id}/share", {"shared": "yes"})
    assert plain.status_code == 422
    assert "Complete the round before sharing it" in plain.get_data(as_text=True)
    assert "<html" in plain.get_data(as_text=True)
    fragment = client.post_form(
        f"/trusts/RA1/assessments/{round_.id}/share", {"shared": "yes"}, htmx=True
    )
    assert fragment.status_code == 422
    body = fragment.get_data(as_text=True)
    assert 'id="sharing"' in body and "<html" not in body
    db.session.refresh(round_)
    assert round_.shared_at is None


def test_another_trusts_staff_cannot_share_a_round(framework: None, client: PortalClient) -> None:
    round_ = completed(staff("RA1"), ALL)
    client.sign_in(staff("RA2"))
    response = client.post_form(f"/trusts/RA1/assessments/{round_.id}/share", {"shared": "yes"})
    assert response.status_code == 404
    db.session.refresh(round_)
    assert round_.shared_at is None


def test_the_coordinator_sees_the_regions_counts_never_a_trusts_evidence(
    framework: None, client: PortalClient
) -> None:
    person = staff("RA1")
    round_ = begin(person)
    answers = by_code(round_)
    save_answers(
        round_,
        {
            a.characteristic_id: AnswerValues(*ALL[code], evidence=f"Secret note {code}")
            for code, a in answers.items()
        },
        actor=person,
    )
    complete_round(round_, actor=person)
    set_priorities(round_, [answers["VB1"].id], actor=person)
    share_round(round_, True, actor=person)
    completed(staff("RA2"), ALL)  # not shared

    client.sign_in(coordinator())
    page = client.get("/regions/london/self-assessment")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1 of 2 trusts in the region has shared" in html
    assert "Trust RA1 NHS Trust" in html and "Trust RA2 NHS Trust" not in html
    assert "Secret note" not in html
    assert "1 of 1 trust" in html  # VB1: a priority for 1 of the 1 trust answering

    response = client.get("/regions/london/self-assessment.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    vb1 = next(r for r in rows if r["characteristic_code"] == "VB1")
    assert vb1["priority_for_trusts"] == "1" and vb1["trusts_at_position_1"] == "1"
    assert "Secret note" not in response.get_data(as_text=True)


def test_other_regions_and_trust_staff_do_not_find_a_regions_page(
    framework: None, client: PortalClient
) -> None:
    client.sign_in(coordinator("north-east"))
    assert client.get("/regions/london/self-assessment").status_code == 404
    assert client.get("/regions/london/self-assessment.csv").status_code == 404
    assert client.get("/self-assessment.csv").status_code == 404
    assert (
        client.get("/self-assessment")
        .headers["Location"]
        .endswith("/regions/north-east/self-assessment")
    )


def test_the_programme_team_see_every_participating_trust_and_download_the_counts(
    framework: None, client: PortalClient
) -> None:
    shared(staff("RA1"), ALL, priorities=("VB1",))
    shared(staff("RB1", "north-east"), ALL, priorities=("VB1",))
    client.sign_in(make_user("admin", "admin@nhs.example"))
    html = client.get("/self-assessment").get_data(as_text=True)
    assert "2 of 2 participating trusts have shared" in html
    assert 'id="pathway-coverage"' in html
    csv_text = client.get("/self-assessment.csv").get_data(as_text=True).lstrip("\ufeff")
    vb1 = next(
        r for r in csv.DictReader(io.StringIO(csv_text)) if r["characteristic_code"] == "VB1"
    )
    assert vb1["priority_for_trusts"] == "2"


def test_an_empty_region_says_nothing_is_shared_yet(framework: None, client: PortalClient) -> None:
    client.sign_in(coordinator())
    html = client.get("/regions/london/self-assessment").get_data(as_text=True)
    assert "has shared a completed round yet" in html
    assert "The region has no events to come" in html


def test_choosing_an_events_focus_without_and_with_htmx(
    framework: None, client: PortalClient
) -> None:
    person = coordinator()
    event = make_event(person, publish=True)
    shared(staff("RA1"), ALL, priorities=("FP1",))
    client.sign_in(person)
    page = client.get(f"/events/{event.id}/focus").get_data(as_text=True)
    assert page.index("FP1") < page.index("VB1")  # the region's priority first
    assert "a priority for 1 trust" in page

    response = client.post_form(
        f"/events/{event.id}/focus", {"focus": ["vbac:VB1", "first-pregnancy:FP1"]}
    )
    assert response.status_code == 303
    assert focus_by_event([event])[event.id] == [(FIRST, "FP1"), (VBAC, "VB1")]

    response = client.post_form(f"/events/{event.id}/focus", {"focus": ["vbac:VB2"]}, htmx=True)
    assert response.status_code == 204 and "HX-Location" in response.headers
    assert focus_by_event([event])[event.id] == [(VBAC, "VB2")]


def test_an_unknown_focus_is_refused_with_the_choice_kept(
    framework: None, client: PortalClient
) -> None:
    person = coordinator()
    event = make_event(person, publish=True)
    client.sign_in(person)
    for htmx in (False, True):
        response = client.post_form(
            f"/events/{event.id}/focus", {"focus": ["vbac:VB2", "vbac:XX9"]}, htmx=htmx
        )
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "nhsuk-error-summary" in html
        assert ("<html" in html) is not htmx
    assert focus_by_event([event])[event.id] == []


def test_another_regions_coordinator_does_not_find_an_events_focus(
    framework: None, client: PortalClient
) -> None:
    event = make_event(coordinator(), publish=True)
    client.sign_in(coordinator("north-east"))
    assert client.get(f"/events/{event.id}/focus").status_code == 404
    response = client.post_form(f"/events/{event.id}/focus", {"focus": ["vbac:VB1"]})
    assert response.status_code == 404
    assert focus_by_event([event])[event.id] == []


def test_the_focus_shows_on_the_event_page_to_signed_in_people_only(
    framework: None, client: PortalClient
) -> None:
    person = coordinator()
    event = make_event(person, publish=True)
    set_focus(event, [(VBAC, "VB1")], actor=person)
    anonymous = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Focus of this event" not in anonymous
    assert "Invented VBAC characteristic one" not in anonymous
    client.sign_in(staff("RA1"))
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Focus of this event" in html and "Invented VBAC characteristic one" in html


def test_a_trusts_home_links_its_priorities_to_the_events_that_focus_on_them(
    framework: None, client: PortalClient
) -> None:
    person = staff("RA1")
    round_ = completed(person, ALL)
    answers = by_code(round_)
    set_priorities(round_, [answers["VB1"].id, answers["FP1"].id], actor=person)
    lead = coordinator()
    event = make_event(lead, publish=True, title="Waterside VBAC day")
    set_focus(event, [(VBAC, "VB1")], actor=lead)
    client.sign_in(person)
    html = client.get("/").get_data(as_text=True)
    section = html[html.index('id="priority-events"') :]
    vb1 = section[section.index("VB1") : section.index("</li>", section.index("VB1"))]
    fp1 = section[section.index("FP1") : section.index("</li>", section.index("FP1"))]
    assert "Waterside VBAC day" in vb1
    assert "No network event to come focuses on it yet" in fp1
