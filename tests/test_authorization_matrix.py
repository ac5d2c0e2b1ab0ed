"""Every route of the portal, for every kind of person, as a full page and as an htmx request.

ACCESS, below, is the one table of who may do what: for each endpoint of the URL map, the objects
it is called with and what each role gets. The test walks the URL map, so a route added later fails
until someone decides who may use it and writes that here.

The roles, in a world of one region (north-east) and a second one (london):

- anonymous: nobody signed in;
- other_staff: staff of another trust in the owner's region;
- other_coordinator: the coordinator of another region;
- owner: staff of the owning trust for what a trust owns (registrations, stories), the region's
  coordinator for what a region owns (events, attendee lists, story review, its staff's
  accounts); for a route that acts on nothing owned, both of them are checked;
- admin: the programme team.

What a person may use answers anything but a refusal or a server error (ALLOWED); refusals are
exact: 403 for a page of a role the person does not have, 404 for an object outside their scope,
sign-in for anonymous visitors. A refused request, and any GET, changes nothing in the database.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from flask import Flask, url_for
from sqlalchemy import Connection, select
from werkzeug.test import TestResponse

from portal.assessments.models import ParticipantRole
from portal.assessments.rounds import ActionValues, add_action
from portal.assessments.service import apply_import, plan_import
from portal.auth.models import Role, User
from portal.auth.people import invite
from portal.extensions import db
from portal.measures.service import mark_change, record_month
from portal.registrations.service import book_places
from portal.robson.service import record_month as record_robson_month
from portal.stories.service import submit
from tests.assessments.helpers import begin, completed, framework_csv
from tests.client import HTMX, PortalClient
from tests.events.helpers import form_data as event_form_data
from tests.factories import draft, make_event, make_trust, make_user, published
from tests.mail.helpers import failed
from tests.registrations.helpers import person
from tests.stories.helpers import form_data as story_form_data

# --- Outcomes ----------------------------------------------------------------------------------

ALLOWED = "allowed"  # any answer but a refusal (400, 401, 403, 404, 405, 410) or a 5xx
SIGN_IN = "sign in"  # 302 to /sign-in?next=…; htmx: 401 with HX-Redirect to /sign-in
SIGN_IN_KEEPING_PAGE = "sign in, page kept"  # autosave: htmx gets 401 and no redirect
Outcome = int | str
REFUSALS = {400, 401, 403, 404, 405, 410}

ROLES = ("anonymous", "other_staff", "other_coordinator", "owner", "admin")


@dataclass(frozen=True)
class Access:
    """What each role gets from one route called with the objects named in `args`."""

    owned_by: str | None  # "trust", "region", or None: nothing owned, both owners are checked
    anonymous: Outcome
    other_staff: Outcome
    other_coordinator: Outcome
    owner: Outcome
    admin: Outcome
    args: Mapping[str, str] = field(default_factory=dict)  # URL argument -> a name in the world
    data: Mapping[str, Any] = field(default_factory=dict)  # the form a POST sends


def public(**given: Any) -> Access:
    return Access(None, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, **given)


def everyone(status: int, **given: Any) -> Access:
    """The same answer for everybody (an invalid link, an object nobody may use in its state)."""
    return Access(None, status, status, status, status, status, **given)


def signed_in(**given: Any) -> Access:
    """Anyone signed in, about themselves (their account, their calendar feed)."""
    return Access(None, SIGN_IN, ALLOWED, ALLOWED, ALLOWED, ALLOWED, **given)


def admin_only(**given: Any) -> Access:
    return Access(None, SIGN_IN, 403, 403, 403, ALLOWED, **given)


def coordinators(*, admin: Outcome = ALLOWED, **given: Any) -> Access:
    """A coordinator's page (each sees their own region) and, unless said, the programme team's."""
    return Access("region", SIGN_IN, 403, ALLOWED, ALLOWED, admin, **given)


def trust_staff(**given: Any) -> Access:
    """A page for trust staff, each for their own trust; coordinators and admins book nothing."""
    return Access("trust", SIGN_IN, ALLOWED, 403, ALLOWED, 403, **given)


def owned(
    owned_by: str,
    *,
    anonymous: Outcome = SIGN_IN,
    outsiders: Outcome = 404,
    owner: Outcome = ALLOWED,
    admin: Outcome = ALLOWED,
    **given: Any,
) -> Access:
    """An object of one trust or region: people outside its scope do not find it."""
    return Access(owned_by, anonymous, outsiders, outsiders, owner, admin, **given)


def hidden(owned_by: str, **given: Any) -> Access:
    """An object in a state nobody may use here: not found, whoever asks."""
    return Access(owned_by, SIGN_IN, 404, 404, 404, 404, **given)


# --- The world's names for URL arguments ------------------------------------------------------

OWNER_TRUST_CODE = "ROW"
REGION = {"slug": "region_slug"}
DRAFT_EVENT = {"event_id": "draft_event"}
PUBLISHED_EVENT = {"event_id": "published_event"}
REGISTRATION = {"registration_id": "registration"}
DRAFT_STORY = {"story_id": "draft_story"}
SUBMITTED_STORY = {"story_id": "submitted_story"}
PUBLISHED_STORY = {"story_id": "published_story"}
INVITEE = {"user_id": "invitee"}
BAD_TOKEN = {"token": "bad_token"}
FORGED_TOKEN = {"token": "forged_token"}  # shaped like a signed one, signed with nothing

OWNER_TRUST = {"ods_code": "owner_trust_code"}
OWNER_MONTH = {"ods_code": "owner_trust_code", "month_text": "owner_month"}
OWNER_CHANGE = {"ods_code": "owner_trust_code", "change_id": "owner_change"}
OWNER_MEASURE = {"ods_code": "owner_trust_code", "measure": "measure"}
MONTH_COUNTS = {
    "deliveries": 310,
    "caesareans_elective": 31,
    "caesareans_emergency": 46,
    "normal_births": 121,
    "previous_caesarean": 41,
    "vbac": 13,
}
COUNTS_FORM = {
    "month": "2024-05",
    "deliveries": "300",
    "caesareans_elective": "30",
    "caesareans_emergency": "45",
    "normal_births": "120",
    "previous_caesarean": "40",
    "vbac": "12",
}
ROBSON_COUNTS = {
    "1": (150, 15),
    "2": (80, 38),
    "3": (130, 2),
    "4": (35, 15),
    "5": (50, 35),
    "6": (10, 9),
    "7": (8, 6),
    "8": (7, 4),
    "9": (2, 1),
    "10": (28, 0),
}
ROBSON_FORM = {
    "month": "2024-05",
    **{f"women_{code}": str(women) for code, (women, _) in ROBSON_COUNTS.items()},
    **{f"caesareans_{code}": str(cs) for code, (_, cs) in ROBSON_COUNTS.items()},
}

DONE_ROUND = {"ods_code": "owner_trust_code", "round_id": "done_round"}
OPEN_ROUND = {"ods_code": "owner_trust_code", "round_id": "open_round"}
ROUND_FORM = {
    "held_on-day": "14",
    "held_on-month": "3",
    "held_on-year": "2026",
    "participants": "midwife",
    "pathways": "vbac",
}

EVENT_FORM = {**event_form_data(), "region": "north-east"}
STORY_FORM = story_form_data()
BOOKING_FORM = {
    "attendees-0-name": "Ada Matrix",
    "attendees-0-email": "ada.matrix@nhs.example",
    "attendees-0-job_role": "midwife",
    "attendees-0-access_needs": "",
    "attendees-0-dietary_needs": "",
}
ATTENDEE_FORM = {"name": "Colleague", "email": "colleague@nhs.example", "job_role": "obstetrician"}

# Endpoints left out, with the reason.
NOT_CHECKED = {
    "static": "the app's own CSS, JS and images: public files, no data, no state",
    "assets.asset": "npm front-end files (NHS.UK frontend, htmx): public files, no data, no state",
}

# --- The table ---------------------------------------------------------------------------------

ACCESS: dict[str, Access | tuple[Access, ...]] = {
    # Information pages, lists and feeds: public.
    "pages.home": public(),
    "pages.about": public(),
    "pages.accessibility": public(),
    "pages.contact": public(),
    "pages.cookies": public(),
    "pages.healthz": public(),
    "pages.medical_advice": public(),
    "pages.privacy": public(),
    "regions.index": public(),
    "regions.region": public(args=REGION),
    "regions.trusts": public(),
    "regions.trust": public(args={"ods_code": "owner_trust_code"}),
    "events.index": public(),
    "stories.index": public(),
    "feeds.all_events": public(),
    "feeds.region": public(args=REGION),
    "feeds.event": (
        public(args=PUBLISHED_EVENT),
        everyone(404, args=DRAFT_EVENT),  # drafts are in no calendar
    ),
    "feeds.private": (
        everyone(404, args=BAD_TOKEN),
        everyone(404, args=FORGED_TOKEN),
    ),
    "stories.atom_all": public(),
    "stories.atom_region": public(args=REGION),
    # Signing in and one's own account.
    "auth.sign_in": public(data={"email": "", "password": ""}),
    "auth.sign_out": public(),
    "auth.forgot_password": public(data={"email": "nobody.here@nhs.example"}),
    "auth.reset_password": (
        everyone(410, args=BAD_TOKEN),  # the "link problem" page
        everyone(410, args=FORGED_TOKEN),
    ),
    "auth.accept_invitation": (
        everyone(410, args=BAD_TOKEN),
        everyone(410, args=FORGED_TOKEN),
    ),
    "auth.account": signed_in(),
    "auth.account_name": signed_in(data={"name": "Renamed Person"}),
    "auth.account_password": signed_in(),
    "auth.keep_alive": signed_in(),
    "feeds.reset": signed_in(),
    # People: a coordinator manages their region's trust staff; roles and access are the admin's.
    "auth.team": coordinators(admin=403),  # the programme team has /admin/people instead
    "auth.invite_person": coordinators(
        data={"email": "new.person@nhs.example", "role": "trust", "trust": OWNER_TRUST_CODE}
    ),
    "auth.person": owned("region", args=INVITEE),
    "auth.resend": owned("region", args=INVITEE),
    "auth.revoke": owned("region", args=INVITEE),
    "auth.role": owned(
        "region", owner=403, args=INVITEE, data={"role": "coordinator", "region": "north-east"}
    ),
    "auth.active": owned("region", owner=403, args=INVITEE, data={"active": "no"}),
    # A region's events: its coordinator and the programme team.
    "events.event": (
        public(args=PUBLISHED_EVENT),
        owned("region", anonymous=404, args=DRAFT_EVENT),
    ),
    "events.manage": coordinators(),
    "events.new": coordinators(data=EVENT_FORM),
    "events.edit": (
        owned("region", args=DRAFT_EVENT, data=EVENT_FORM),
        owned("region", args=PUBLISHED_EVENT, data=EVENT_FORM),
    ),
    "events.publish": owned("region", args=DRAFT_EVENT),
    "events.tell": owned("region", args=PUBLISHED_EVENT),
    "events.cancel": (
        owned("region", args=PUBLISHED_EVENT, data={"reason": "The venue has closed."}),
        owned("region", args=DRAFT_EVENT, data={"reason": "The venue has closed."}),
    ),
    "events.delete": (
        owned("region", args=DRAFT_EVENT),
        owned("region", args=PUBLISHED_EVENT),
    ),
    "registrations.attendees": (
        owned("region", args=PUBLISHED_EVENT),
        owned("region", args=DRAFT_EVENT),
    ),
    "registrations.attendees_csv": (
        owned("region", args=PUBLISHED_EVENT),
        owned("region", args=DRAFT_EVENT),
    ),
    "registrations.attended": owned("region", args=REGISTRATION, data={"attended": "yes"}),
    "registrations.coordinator_remove": owned("region", args=REGISTRATION),
    "registrations.register": (
        owned("region", args=PUBLISHED_EVENT),
        owned("region", args=DRAFT_EVENT),
    ),
    "registrations.offer": owned("region", args=REGISTRATION),
    "registrations.trust_limit": owned(
        "region", args={**PUBLISHED_EVENT, "trust_id": "owner_trust"}, data={"places": "2"}
    ),
    # Booking: staff of any trust the event is open to (its region's); nobody books a draft.
    "registrations.book": (
        trust_staff(args=PUBLISHED_EVENT, data=BOOKING_FORM),
        hidden("trust", args=DRAFT_EVENT, data=BOOKING_FORM),
    ),
    "registrations.booking_row": (
        trust_staff(args=PUBLISHED_EVENT),
        hidden("trust", args=DRAFT_EVENT),
    ),
    "registrations.booked": (
        trust_staff(args=PUBLISHED_EVENT),
        hidden("trust", args=DRAFT_EVENT),
    ),
    # A trust's registrations: its own staff only (coordinators use the attendee list).
    "registrations.trust_bookings": trust_staff(),
    "registrations.trust_withdraw": owned("trust", admin=404, args=REGISTRATION),
    "registrations.change": owned("trust", admin=404, args=REGISTRATION, data=ATTENDEE_FORM),
    "registrations.self_service": (
        everyone(404, args=BAD_TOKEN),
        everyone(404, args=FORGED_TOKEN),
    ),
    "registrations.self_service_withdraw": (
        everyone(404, args=BAD_TOKEN),
        everyone(404, args=FORGED_TOKEN),
    ),
    # Stories: written by the trust's staff; drafts are theirs alone, even from reviewers.
    "stories.story": (
        public(args=PUBLISHED_STORY),
        owned("trust", anonymous=404, admin=404, args=DRAFT_STORY),
        owned("trust", anonymous=404, args=SUBMITTED_STORY),
    ),
    "stories.mine": trust_staff(),
    "stories.new": trust_staff(),
    "stories.edit": (
        owned("trust", admin=404, args=DRAFT_STORY, data=STORY_FORM),
        owned("trust", admin=404, args=PUBLISHED_STORY, data=STORY_FORM),
    ),
    "stories.autosave": owned(
        "trust", anonymous=SIGN_IN_KEEPING_PAGE, admin=404, args=DRAFT_STORY, data=STORY_FORM
    ),
    "stories.preview": owned("trust", admin=404, args=DRAFT_STORY, data={"body": "**Bold**"}),
    "stories.submit_for_review": (
        owned("trust", admin=404, args=DRAFT_STORY, data={"declaration": "y"}),
        owned("trust", admin=404, args=SUBMITTED_STORY, data={"declaration": "y"}),
    ),
    "stories.delete": (
        owned("trust", admin=404, args=DRAFT_STORY),
        owned("trust", admin=404, args=PUBLISHED_STORY),
    ),
    "stories.withdraw_story": (
        owned("trust", args=PUBLISHED_STORY),
        owned("trust", args=SUBMITTED_STORY),
        owned("trust", admin=404, args=DRAFT_STORY),
    ),
    # Review: the coordinator of the trust's region and the programme team; never a draft.
    "stories.review_list": coordinators(),
    "stories.review": (
        owned("region", args=SUBMITTED_STORY),
        hidden("region", args=DRAFT_STORY),
    ),
    "stories.publish_story": (
        owned("region", args=SUBMITTED_STORY, data={"confirmation": "y"}),
        hidden("region", args=DRAFT_STORY, data={"confirmation": "y"}),
    ),
    "stories.return_story": (
        owned("region", args=SUBMITTED_STORY, data={"comment": "Add your VBAC rates."}),
        hidden("region", args=DRAFT_STORY, data={"comment": "Add your VBAC rates."}),
    ),
    # The programme team's pages.
    "admin.people": admin_only(),
    "admin.regions": admin_only(),
    "admin.edit_region": admin_only(args=REGION),
    "admin.trusts": admin_only(),
    "admin.new_trust": admin_only(),
    "admin.edit_trust": admin_only(args={"trust_id": "owner_trust"}),
    "admin.import_trusts": admin_only(),
    "admin.import_preview": admin_only(args={"upload_id": "no_upload"}),
    "admin.import_apply": admin_only(args={"upload_id": "no_upload"}),
    # A trust's figures: its staff, its region's coordinator and the programme team.
    "measures.index": signed_in(),
    "measures.trust_measures": owned("trust", args=OWNER_TRUST),
    "measures.months": owned("trust", args=OWNER_TRUST),
    "measures.new_month": owned("trust", args=OWNER_TRUST, data=COUNTS_FORM),
    "measures.edit_month": owned("trust", args=OWNER_MONTH, data=COUNTS_FORM),
    "measures.changes": owned(
        "trust", args=OWNER_TRUST, data={"month": "2024-04", "note": "Matrix change"}
    ),
    "measures.remove_change_mark": owned("trust", args=OWNER_CHANGE),
    "measures.publish": owned("trust", args=OWNER_TRUST, data={"published": "yes"}),
    "measures.target": owned("trust", args=OWNER_MEASURE, data={"total-cs-target": "21"}),
    "measures.export": owned("trust", args=OWNER_MEASURE),
    "measures.chart_download": owned("trust", args=OWNER_MEASURE),
    "measures.import_counts": signed_in(),  # each imports for the trusts they look after
    "measures.import_preview": signed_in(args={"upload_id": "no_upload"}),
    "measures.import_apply": signed_in(args={"upload_id": "no_upload"}),
    # A trust's Robson counts: as its monthly figures. Coordinators and trust staff are sent
    # from /robson to their own region's or trust's report; the programme's is the team's.
    "robson.index": signed_in(),
    "robson.programme_csv": Access(None, SIGN_IN, 404, 404, 404, ALLOWED),
    "robson.region_report": owned("region", args=REGION),
    "robson.region_csv": owned("region", args=REGION),
    "robson.trust_report": owned("trust", args=OWNER_TRUST),
    "robson.trust_csv": owned("trust", args=OWNER_TRUST),
    "robson.months": owned("trust", args=OWNER_TRUST),
    "robson.new_month": owned("trust", args=OWNER_TRUST, data=ROBSON_FORM),
    "robson.edit_month": owned("trust", args=OWNER_MONTH, data=ROBSON_FORM),
    "robson.births": owned("trust", args=OWNER_TRUST, data={"month": "2024-05"}),
    "robson.import_counts": signed_in(),  # each imports for the trusts they look after
    "robson.import_preview": signed_in(args={"upload_id": "no_upload"}),
    "robson.import_apply": signed_in(args={"upload_id": "no_upload"}),
    # The toolkit's framework: the NHS Institute's text, for people signed in (never public);
    # versions are loaded by the programme team.
    "assessments.framework": signed_in(),
    "assessments.version": (
        signed_in(args={"number": "toolkit_version"}),
        Access(None, SIGN_IN, 404, 404, 404, 404, args={"number": "no_toolkit_version"}),
    ),
    "assessments.manage": admin_only(),
    "assessments.import_preview": admin_only(args={"upload_id": "no_upload"}),
    "assessments.import_apply": admin_only(args={"upload_id": "no_upload"}),
    # A trust's self-assessment: its staff's alone, pages and htmx.
    "assessments.rounds": owned("trust", admin=404, args=OWNER_TRUST),
    "assessments.start_round": owned("trust", admin=404, args=OWNER_TRUST, data=ROUND_FORM),
    "assessments.round": (
        owned("trust", admin=404, args=DONE_ROUND),
        owned("trust", admin=404, args=OPEN_ROUND),
    ),
    "assessments.answer": (
        owned("trust", admin=404, args={**OPEN_ROUND, "pathway": "vbac_slug"}),
        owned("trust", admin=404, args={**DONE_ROUND, "pathway": "vbac_slug"}),
    ),
    "assessments.autosave": owned(
        "trust",
        anonymous=SIGN_IN_KEEPING_PAGE,
        admin=404,
        args={**OPEN_ROUND, "pathway": "vbac_slug"},
    ),
    "assessments.complete": owned("trust", admin=404, args=OPEN_ROUND),
    "assessments.priorities": owned("trust", admin=404, args=DONE_ROUND),
    "assessments.actions": owned("trust", admin=404, args=DONE_ROUND),
    "assessments.edit_action": owned(
        "trust", admin=404, args={"ods_code": "owner_trust_code", "action_id": "round_action"}
    ),
    "assessments.compare": owned("trust", admin=404, args=OPEN_ROUND),
    "assessments.share": owned("trust", admin=404, args=DONE_ROUND, data={"shared": "yes"}),
    # Shared rounds together: counts for the region's coordinator and the programme team.
    "assessments.region": owned("region", args=REGION),
    "assessments.region_csv": owned("region", args=REGION),
    "assessments.programme": signed_in(),  # each is sent to their own view; admins see it
    "assessments.programme_csv": Access(None, SIGN_IN, 404, 404, 404, ALLOWED),
    "assessments.event_focus": (
        owned("region", args=DRAFT_EVENT, data={"focus": "vbac:VB1"}),
        owned("region", args=PUBLISHED_EVENT, data={"focus": "vbac:VB1"}),
    ),
    "admin.mail": admin_only(),
    "admin.retry_mail": admin_only(args={"message_id": "failed_message"}),
    "admin.privacy": admin_only(data={"email": "nobody.here@nhs.example"}),
    "admin.audit_log": admin_only(),
    "admin.audit_csv": admin_only(),
}


def variants(endpoint: str) -> tuple[Access, ...]:
    entry = ACCESS[endpoint]
    return entry if isinstance(entry, tuple) else (entry,)


# --- The world ---------------------------------------------------------------------------------


@dataclass
class World:
    people: dict[str, User]  # owner_staff, owner_coordinator, other_staff, other_coordinator, admin
    values: dict[str, Any]  # URL argument values by name


def build_world() -> World:
    """North-east: the owning trust, its staff and coordinator, a neighbouring trust and its
    staff; london's coordinator; an admin; events, a registration and stories in each state."""
    owner_trust = make_trust("Owner Matrix NHS Trust", OWNER_TRUST_CODE, "north-east")
    other_trust = make_trust("Neighbour Matrix NHS Trust", "RNB", "north-east")
    people = {
        "owner_staff": make_user("trust", "owner.staff@nhs.example", trust=owner_trust),
        "owner_coordinator": make_user(
            "coordinator", "owner.coordinator@nhs.example", region_slug="north-east"
        ),
        "other_staff": make_user("trust", "other.staff@nhs.example", trust=other_trust),
        "other_coordinator": make_user(
            "coordinator", "other.coordinator@nhs.example", region_slug="london"
        ),
        "admin": make_user("admin", "matrix.admin@nhs.example"),
    }
    staff, coordinator = people["owner_staff"], people["owner_coordinator"]
    draft_event = make_event(coordinator, "north-east", title="A draft network event")
    published_event = make_event(
        coordinator, "north-east", publish=True, title="A published network event"
    )
    outcome = book_places(published_event, [person("matrix")], actor=staff)[0]
    assert outcome.registration is not None
    submitted = draft(staff, title="A submitted story")
    submit(submitted, actor=staff)
    invitee = invite("invitee@nhs.example", Role.TRUST, actor=coordinator, trust=owner_trust)
    record_month(owner_trust, date(2024, 3, 1), MONTH_COUNTS, actor=staff)
    record_robson_month(owner_trust, date(2024, 3, 1), ROBSON_COUNTS, actor=staff)
    change = mark_change(owner_trust, date(2024, 1, 1), "Matrix mark", actor=staff)
    toolkit = apply_import(plan_import(framework_csv()), people["admin"], "matrix.csv")
    done_round = completed(
        staff, {"VB1": (1, 3), "VB2": (2, 2), "FP1": (2, 4)}, held_on=date(2025, 9, 1)
    )
    round_action = add_action(
        done_round,
        done_round.answers[0].id,
        ActionValues("Matrix action", ParticipantRole.MIDWIFE, date(2026, 1, 1)),
        actor=staff,
    )
    open_round = begin(staff)  # later: compared with the completed one
    db.session.commit()
    values = {
        "region_slug": "north-east",
        "owner_trust": owner_trust.id,
        "owner_trust_code": OWNER_TRUST_CODE,
        "draft_event": draft_event.id,
        "published_event": published_event.id,
        "registration": outcome.registration.id,
        "draft_story": draft(staff, title="A draft story").id,
        "submitted_story": submitted.id,
        "published_story": published(staff, coordinator, title="A published story").id,
        "invitee": invitee.id,
        "failed_message": failed().id,
        "bad_token": "not-a-valid-token",
        "forged_token": "eyJyIjoxLCJrIjoieCJ9.aGVsbG8.c2lnbmF0dXJl",
        "no_upload": "no-such-upload",
        "owner_month": "2024-03",
        "owner_change": change.id,
        "measure": "total-cs",
        "toolkit_version": toolkit.number,
        "no_toolkit_version": toolkit.number + 1,
        "done_round": done_round.id,
        "open_round": open_round.id,
        "round_action": round_action.id,
        "vbac_slug": "vbac",
    }
    db.session.commit()
    return World(people, values)


# --- Requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    path: str
    access: Access


def url_map_endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()}


def cases(app: Flask, values: Mapping[str, Any]) -> list[Case]:
    """Every rule of the URL map that the table covers, with each of its variants and methods."""
    found = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
            if rule.endpoint in NOT_CHECKED:
                continue
            for access in variants(rule.endpoint):
                assert set(access.args) == set(rule.arguments), (
                    f"{rule.endpoint}: the table names {sorted(access.args)}, "
                    f"the rule {rule.rule} takes {sorted(rule.arguments)}"
                )
                arguments = {name: values[key] for name, key in access.args.items()}
                path = url_for(rule.endpoint, **arguments)
                for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                    found.append(Case(rule.endpoint, method, path, access))
    return found


def send(
    client: PortalClient, case: Case, token: str | None, headers: Mapping[str, str]
) -> TestResponse:
    if case.method == "GET":
        return client.get(case.path, headers=dict(headers))
    data = dict(case.access.data)
    if token is not None:
        data["csrf_token"] = token
    return client.post(case.path, data=data, headers=dict(headers))


def problem_with(response: TestResponse, expected: Outcome, htmx: bool) -> str | None:
    """What is wrong with the answer, or None."""
    status = response.status_code
    got = f"got {status}"
    if expected == ALLOWED:
        if status >= 500 or status in REFUSALS:
            return f"expected it allowed, {got}"
        return None
    if expected in (SIGN_IN, SIGN_IN_KEEPING_PAGE):
        if not htmx:
            location = response.headers.get("Location", "")
            if status != 302 or not location.startswith("/sign-in?next="):
                return f"expected 302 to /sign-in?next=…, {got} to {location!r}"
            return None
        redirect = response.headers.get("HX-Redirect")
        if expected == SIGN_IN_KEEPING_PAGE:
            if status != 401 or redirect is not None:
                return f"expected 401 without HX-Redirect, {got} (HX-Redirect {redirect!r})"
            return None
        if status != 401 or not (redirect or "").startswith("/sign-in"):
            return f"expected 401 with HX-Redirect to /sign-in, {got} (HX-Redirect {redirect!r})"
        return None
    if status != expected:
        return f"expected {expected}, {got}"
    if htmx and status in (403, 404) and response.headers.get("HX-Retarget") != "#maincontent":
        return "an htmx refusal without HX-Retarget: #maincontent"
    return None


def snapshot(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    return {
        table.name: [
            tuple(row)
            for row in connection.execute(select(table).order_by(*table.primary_key.columns))
        ]
        for table in db.metadata.sorted_tables
    }


class SignedInClients:
    """The clients of one role's test: signed in once, with the CSRF token of each session."""

    def __init__(self, app: Flask, world: World, role: str) -> None:
        labels = {
            "anonymous": [],
            "owner": ["owner_staff", "owner_coordinator"],
        }.get(role, [role])
        self.clients: dict[str, PortalClient] = {}
        self.tokens: dict[str, str] = {}
        if role == "anonymous":
            client = app.test_client()
            self.clients["anonymous"] = client
            self.tokens["anonymous"] = client.csrf_token("/sign-in")
        for label in labels:
            client = app.test_client()
            client.sign_in(world.people[label])
            self.clients[label] = client
            self.tokens[label] = client.csrf_token("/account")

    def for_case(self, role: str, access: Access) -> Iterator[tuple[str, PortalClient]]:
        if role != "owner":
            yield role, self.clients[role]
            return
        owners = {"trust": ["owner_staff"], "region": ["owner_coordinator"]}
        for label in owners.get(access.owned_by or "", ["owner_staff", "owner_coordinator"]):
            yield label, self.clients[label]


class Isolated:
    """Run one request inside a savepoint that is rolled back afterwards, and give the client its
    session cookie back: each request sees the same world (a deleted draft is there for the next,
    a sign-out does not sign the client out)."""

    def __init__(self, app: Flask, connection: Connection, client: PortalClient) -> None:
        self.cookie_name = app.config["SESSION_COOKIE_NAME"]
        self.connection = connection
        self.client = client

    def __enter__(self) -> None:
        cookie = self.client.get_cookie(self.cookie_name)
        self.cookie = cookie.value if cookie is not None else None
        self.savepoint = self.connection.begin_nested()

    def __exit__(self, *exc: object) -> None:
        self.savepoint.rollback()
        if self.cookie is None:
            self.client.delete_cookie(self.cookie_name)
        else:
            self.client.set_cookie(self.cookie_name, self.cookie)


# --- Tests -------------------------------------------------------------------------------------


def test_every_route_has_an_entry_in_the_table(app: Flask) -> None:
    in_map = url_map_endpoints(app)
    missing = sorted(in_map - set(ACCESS) - set(NOT_CHECKED))
    unknown = sorted((set(ACCESS) | set(NOT_CHECKED)) - in_map)
    assert not missing, f"say who may use these routes in ACCESS: {missing}"
    assert not unknown, f"ACCESS names routes that no longer exist: {unknown}"
    assert not set(ACCESS) & set(NOT_CHECKED)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(app: Flask, role: str, htmx: bool) -> None:
    world = build_world()
    clients = SignedInClients(app, world, role)
    headers = HTMX if htmx else {}
    connection = db.session.connection()
    before = snapshot(connection)
    failures: list[str] = []
    checked = 0
    for case in cases(app, world.values):
        expected: Outcome = getattr(case.access, role)
        for label, client in clients.for_case(role, case.access):
            where = f"{label} {case.method} {case.path} ({case.endpoint})"
            with Isolated(app, connection, client):
                checked += 1
                try:
                    response = send(client, case, clients.tokens[label], headers)
                except Exception as exc:  # TESTING propagates what would be a 500
                    failures.append(f"{where}: raised {exc!r}")
                    continue
                problem = problem_with(response, expected, htmx)
                if problem:
                    failures.append(f"{where}: {problem}")
                # A refused request, and any GET (links are opened by mail scanners; GETs carry
                # no CSRF token), changes nothing.
                if (case.method == "GET" or expected != ALLOWED) and snapshot(connection) != before:
                    failures.append(f"{where}: {expected}, but the database changed")
    assert not failures, "\n".join(failures)
    assert checked >= len(ACCESS)
    assert snapshot(connection) == before
