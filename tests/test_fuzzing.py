"""Fuzzing every form of the portal: hostile submissions never get a 5xx, and a rejection
(any 4xx) changes nothing in the database.

Each POST route of the URL map is either described in `FORMS` (who posts it, where, and its
fields with a valid value each) or named in `NOT_FUZZED` with the reason;
`test_every_post_route_is_fuzzed_or_excluded` fails for a route that is neither. The search and
filter forms (GET, in `SEARCHES`) are fuzzed too, and must never change the database at all.

Hypothesis builds each submission from the form's valid values: a few fields (or all of them) are
replaced by a value of their own kind gone wrong (31 February, day 0, month 13, year 99999, 25:61,
an unknown choice, huge or negative numbers, e-mail-like garbage, values that mean something here
such as another trust's ODS code), by anything at all (arbitrary unicode, 10–100k characters,
control characters and NUL), emptied, left out or sent twice; unknown fields may be added (among
them mangled FieldList indices). It is sent by the right signed-in person with a valid CSRF token,
as a plain request or with htmx headers. Before and after the request every row of every table is
read (the tables are reflected, so that tables no model maps, such as SQLite's search index, count
too).

Every example runs inside a savepoint of the test's transaction (the mechanism of the `app`
fixture in conftest.py, one level deeper), with the rate limits reset and a fresh client carrying
the session cookie of one sign-in, so each example starts from the same state: a failure that
Hypothesis reports replays with the printed `@reproduce_failure(...)` decorator, or by running the
test again (failing examples are kept in `.hypothesis/`, which git ignores).

The default is a quick profile for CI: FUZZ_EXAMPLES=25 examples per form (under a minute on
SQLite, about a minute on PostgreSQL). A longer run by hand, for all forms or some of them:

    FUZZ_EXAMPLES=500 .venv/bin/pytest -q -p no:cacheprovider tests/test_fuzzing.py
    FUZZ_EXAMPLES=2000 TEST_DATABASE_URL=postgresql+psycopg://… .venv/bin/pytest -q \\
        -p no:cacheprovider tests/test_fuzzing.py -k "hostile and (event or book or story-edit)"

`--hypothesis-seed=N` repeats a run's choices; `--hypothesis-show-statistics` shows the answers
(status codes) each form gave.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.assessments.models import ParticipantRole
from portal.assessments.rounds import ActionValues, add_action
from portal.assessments.service import current_version
from portal.auth import tokens
from portal.auth.models import Role, User
from portal.auth.service import create_user
from portal.events.models import NetworkEvent
from portal.extensions import db, limiter
from portal.mail.models import MailStatus
from portal.mail.service import queue_message
from portal.measures.service import current_month, mark_change, month_key, record_month
from portal.registrations.links import self_service_token
from portal.registrations.models import JobRole
from portal.robson.service import record_month as record_robson_month
from portal.stories.models import Measure, Pathway
from portal.stories.service import submit
from portal.web import uploads
from tests.assessments.helpers import answer, begin, by_code, completed, load_framework
from tests.client import PortalClient
from tests.events.helpers import future
from tests.factories import PASSWORD, draft, make_event, make_trust, make_user, published
from tests.registrations.helpers import book

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))

FUZZ = settings(
    deadline=None,
    max_examples=EXAMPLES,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # each example rolls back to the fixture's state
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# --- What a hostile browser sends ---------------------------------------------------------------

ANY_TEXT = st.text(max_size=200)
# Without control characters: text that passes most validators, to reach the code behind them.
UNICODE_TEXT = st.text(st.characters(exclude_categories=["Cc", "Cs"]), min_size=1, max_size=200)
LONG_TEXT = st.builds(
    lambda seed, size: (seed * (size // len(seed) + 1))[:size],
    st.text(min_size=1, max_size=8),
    st.integers(min_value=10_000, max_value=100_000),
)
CONTROL_TEXT = st.one_of(
    st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), min_size=1, max_size=12),
    st.builds(lambda a, b: f"{a}\x00{b}", st.text(max_size=20), st.text(max_size=20)),
    st.sampled_from(
        ["\x00", "\r\n", "\u202e", "\ufeff", "\u200b", "\x1b[2J", "a\nb", "\t", "\x7f"]
    ),
)
NUMBER_TEXT = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats().map(str),
    st.sampled_from(
        [
            "0",
            "-1",
            "-0",
            "+5",
            "1e3",
            "1.5",
            "NaN",
            "inf",
            "1_000",
            "0x10",
            " 7 ",
            "٣",
            "²",
            "١٠٠",
            "2147483648",
            "9223372036854775808",
            "9" * 5000,
        ]
    ),
)
PERCENT_TEXT = st.one_of(
    NUMBER_TEXT,
    st.sampled_from(["24.5%", "100.1", "100", "0.05", "99.99", "1e2", "٢٤.٥", "%", "50 %"]),
)
DATE_TEXT = st.sampled_from(
    ["2027-02-31", "31/02/2027", "0", "13", "99999", "31 February", "1/1/1", "9999-12-31"]
)
TIME_TEXT = st.one_of(
    st.sampled_from(
        [
            "25:61",
            "24:00",
            "23:60",
            "-1:30",
            "9:5",
            "12:00:00",
            "noon",
            "٠٩:٣٠",
            "09.30",
            "00:00",
            "23:59",
            " 10:00 ",
            "10:00am",
            "99:99",
        ]
    ),
    st.builds(lambda h, m: f"{h}:{m}", st.integers(-99, 999), st.integers(-99, 999)),
)
EMAIL_TEXT = st.one_of(
    st.emails().map(str),
    st.sampled_from(
        [
            "@",
            "a@",
            "@b.org",
            "a@@b.org",
            "a@b..org",
            "a b@c.org",
            "a@b.c\x00",
            '"quoted,comma"@example.org',
            "user@[127.0.0.1]",
            "<script>@x.org",
            "Ünïcödé@exämple.org",
            "İİİİ@example.org",
            "x" * 300 + "@nhs.net",
            "a@" + "b" * 250 + ".org",
            "name@nhs.net\r\nBcc: someone@example.org",
            "Name <name@nhs.net>",
            "name@nhs.net, other@nhs.net",
            # People and bookings of the test's portal, in other cases
            "STAFF.RT1@nhs.example",
            "Invitee@NHS.example",
            "attendee1@nhs.example",
            "ATTENDEE4@nhs.example",
            "new.person1@nhs.example",
            "NEW.PERSON2@NHS.EXAMPLE",
        ]
    ),
    st.builds(lambda local, domain: f"{local}@{domain}", ANY_TEXT, ANY_TEXT),
    st.builds(lambda n: "İ" * n + "@example.org", st.integers(1, 130)),
)
HOSTILE = st.one_of(
    UNICODE_TEXT, ANY_TEXT, LONG_TEXT, CONTROL_TEXT, NUMBER_TEXT, DATE_TEXT, TIME_TEXT, EMAIL_TEXT
)
IMPOSSIBLE_DATES = st.sampled_from(
    [
        ("31", "2", "2027"),
        ("29", "2", "2027"),
        ("31", "4", "2027"),
        ("0", "1", "2027"),
        ("1", "0", "2027"),
        ("1", "13", "2027"),
        ("32", "1", "2027"),
        ("1", "1", "99999"),
        ("1", "1", "0000"),
        ("1", "1", "0001"),
        ("1", "1", "1900"),
        ("31", "12", "9999"),
        ("-1", "1", "2027"),
        ("1", "1", "-202"),
        ("٣", "٢", "٢٠٢٧"),
        ("²", "1", "2027"),
        ("1.5", "1", "2027"),
    ]
)
DATE_PART = st.one_of(st.integers(-5, 40).map(str), NUMBER_TEXT, ANY_TEXT, CONTROL_TEXT, LONG_TEXT)
WEIRD_INDEX = st.one_of(
    st.integers(0, 25).map(str),
    st.integers(0, 10**25).map(str),
    st.sampled_from(["²", "٣", "१", "-1", "01", "", "9" * 5000, "0x1", " 1"]),
    st.text(max_size=5),
)


@dataclass(frozen=True)
class Field:
    """One field of a form: its kind (which mistakes suit it) and a value the form accepts."""

    kind: str  # text | email | password | number | percent | time | date | choice | check
    # | multi | file | hidden
    valid: Any = ""
    choices: tuple[str, ...] = ()
    # Values that mean something to this portal (a code another trust has, fewer places than
    # are booked), tried among the field's wrong values to reach the rules behind the checks.
    near: tuple[str, ...] = ()


def _near_misses(choices: tuple[str, ...]) -> st.SearchStrategy[str]:
    if not choices:
        return ANY_TEXT
    known = st.sampled_from(choices)
    return st.one_of(
        known.map(str.upper),
        known.map(lambda c: f" {c} "),
        known.map(lambda c: c + "\x00"),
        known.map(lambda c: c + "x"),
        ANY_TEXT,
    )


def _bad_file() -> st.SearchStrategy[tuple[bytes, str]]:
    header = "name,ods_code,region,participating"
    csv_text = st.builds(
        lambda rows, with_header: "\n".join(
            ([header] if with_header else []) + [",".join(cells) for cells in rows]
        ),
        st.lists(st.lists(st.one_of(ANY_TEXT, CONTROL_TEXT, st.just('"')), max_size=6), max_size=8),
        st.booleans(),
    )
    content = st.one_of(
        st.binary(max_size=3000),
        csv_text.map(lambda s: s.encode()),
        csv_text.map(lambda s: s.encode("utf-16")),
        csv_text.map(lambda s: b"\xef\xbb\xbf" + s.encode()),
        csv_text.map(lambda s: s.encode() + b"\xff\xfe"),
        st.just(b""),
        st.just(b"x" * (uploads.MAX_BYTES + 1)),
        LONG_TEXT.map(lambda s: (header + "\n" + s).encode()),
    )
    filename = st.one_of(st.just("trusts.csv"), ANY_TEXT, st.just(""), st.just("../../etc/passwd"))
    return st.tuples(content, filename)


def _wrong_for_kind(spec: Field) -> st.SearchStrategy[Any]:
    """A value of the field's own kind gone wrong."""
    if spec.near:
        return st.one_of(st.sampled_from(spec.near), _wrong_for_kind(replace(spec, near=())))
    kind = spec.kind
    if kind in ("text", "password", "hidden"):
        return st.one_of(UNICODE_TEXT, ANY_TEXT, LONG_TEXT, CONTROL_TEXT)
    if kind == "email":
        return EMAIL_TEXT
    if kind == "number":
        return NUMBER_TEXT
    if kind == "percent":
        return PERCENT_TEXT
    if kind == "time":
        return TIME_TEXT
    if kind == "choice":
        return _near_misses(spec.choices)
    if kind == "check":
        return st.one_of(
            st.sampled_from(["y", "yes", "on", "true", "1", "no", "false", "0", "off", ""]),
            ANY_TEXT,
        )
    if kind == "multi":
        return st.lists(st.one_of(st.sampled_from(spec.choices), _near_misses(spec.choices)))
    if kind == "file":
        return _bad_file()
    raise AssertionError(kind)


MODES = ("wrong", "hostile", "missing", "empty", "repeated", "valid")


@st.composite
def _field_values(draw: st.DrawFn, name: str, spec: Field, mode: str) -> dict[str, Any]:
    """The form keys (and values) one field contributes to a submission."""
    if spec.kind == "date":
        keys = [f"{name}-{part}" for part in ("day", "month", "year")]
        valid = (
            (str(spec.valid.day), str(spec.valid.month), str(spec.valid.year))
            if spec.valid
            else ("", "", "")
        )
        parts = {
            "valid": st.just(valid),
            "wrong": IMPOSSIBLE_DATES,
            "hostile": st.tuples(DATE_PART, DATE_PART, DATE_PART),
            "empty": st.just(("", "", "")),
            "repeated": st.tuples(*(st.lists(DATE_PART, min_size=2, max_size=3),) * 3),
        }
        if mode == "missing":
            kept = draw(st.lists(st.sampled_from(keys), unique=True, max_size=2))
            return {key: value for key, value in zip(keys, valid, strict=True) if key in kept}
        return dict(zip(keys, draw(parts[mode]), strict=True))
    if spec.kind == "check" and mode == "valid":
        return {name: "y"} if spec.valid else {}
    if mode == "missing":
        return {}
    if mode == "valid":
        return {name: spec.valid}
    if mode == "empty":
        return {name: [] if spec.kind == "multi" else ""}
    if mode == "wrong":
        return {name: draw(_wrong_for_kind(spec))}
    if mode == "hostile":
        return {name: draw(HOSTILE if spec.kind != "multi" else st.lists(HOSTILE, max_size=4))}
    one = st.one_of(st.just(spec.valid), _wrong_for_kind(spec), HOSTILE)
    if spec.kind == "multi":
        one = st.one_of(st.sampled_from(spec.choices), HOSTILE)
    return {name: draw(st.lists(one, min_size=2, max_size=3))}


def _extra_keys(names: list[str]) -> st.SearchStrategy[str]:
    """Unknown field names: anything, and known names with a mangled index or part."""
    mangled = [
        st.builds(
            lambda index, parts: "-".join([parts[0], index, *parts[2:]]),
            WEIRD_INDEX,
            st.just(name.split("-")),
        )
        for name in names
        if re.match(r"^[a-z_]+-\d+-", name)
    ]
    suffixed = (
        st.builds(lambda name, suffix: f"{name}-{suffix}", st.sampled_from(names), ANY_TEXT)
        if names
        else ANY_TEXT
    )
    return st.one_of(ANY_TEXT, suffixed, *mangled).filter(lambda k: k != "csrf_token")


@st.composite
def submissions(draw: st.DrawFn, fields: dict[str, Field]) -> dict[str, Any]:
    """A few fields gone wrong, or every field drawn afresh; then perhaps unknown fields.

    Mostly valid submissions get past the first validator to the code behind it; shrinking
    heads for the valid submission, so a failing example shows only what matters.
    """
    modes: dict[str, str] = {}
    if fields:
        few = st.sets(st.sampled_from(list(fields)), max_size=3)
        chosen = st.one_of(few, few, few, st.just(set(fields)))
        for name in sorted(draw(chosen, label="fields changed")):
            modes[name] = draw(st.sampled_from(MODES), label=name)
    data: dict[str, Any] = {}
    for name, spec in fields.items():
        data.update(draw(_field_values(name, spec, modes.get(name, "valid"))))
    names = [n for n, s in fields.items() if s.kind != "date"] + [
        f"{n}-{p}" for n, s in fields.items() if s.kind == "date" for p in ("day", "month", "year")
    ]
    extras = draw(
        st.dictionaries(
            _extra_keys(names),
            st.one_of(HOSTILE, st.lists(HOSTILE, min_size=2, max_size=3)),
            max_size=3,
        ),
        label="extra fields",
    )
    for key, value in extras.items():
        data.setdefault(key, value)
    return data


HTMX_HEADERS = st.one_of(
    st.just({}),
    st.sampled_from(
        [
            {"HX-Request": "true", "HX-Current-URL": "http://localhost/account"},
            {"HX-Request": "true", "HX-Boosted": "true", "HX-Current-URL": "http://localhost/"},
        ]
    ),
    # The parts of pages that filter forms ask for, and ones that do not exist
    st.builds(
        lambda target: {"HX-Request": "true", "HX-Target": target},
        st.sampled_from(
            [
                "trust-results",
                "people-results",
                "audit-results",
                "audit-log",
                "story-results",
                "event-results",
                "maincontent",
            ]
        )
        | ANY_TEXT.filter(lambda t: "\n" not in t and "\r" not in t and "\x00" not in t),
    ),
)


def request_body(data: dict[str, Any], csrf: str) -> dict[str, Any]:
    """The test client's arguments for posting a submission with the CSRF token. A form with a
    file is encoded here, in memory: the client would spool a large body to a temporary file
    that it never closes (a ResourceWarning, an error under pytest's settings)."""
    values = {**data, "csrf_token": csrf}
    as_list = [
        v for value in values.values() for v in (value if isinstance(value, list) else [value])
    ]
    if not any(isinstance(v, tuple) for v in as_list):
        return {"data": values}

    def one(value: Any) -> Any:
        if isinstance(value, tuple):
            content, filename = value
            return FileStorage(io.BytesIO(content), filename=filename)
        return value

    boundary, body = encode_multipart(
        {
            key: [one(v) for v in value] if isinstance(value, list) else one(value)
            for key, value in values.items()
        }
    )
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


# --- The database before and after ---------------------------------------------------------------


def _connection() -> Connection:
    bind = db.session.get_bind()
    assert isinstance(bind, Connection), "the app fixture binds the session to one connection"
    return bind


Snapshot = dict[str, list[str]]


def snapshot(table_names: list[str]) -> Snapshot:
    """Every row of every table, as sorted reprs (row counts are their lengths)."""
    connection = _connection()
    preparer = connection.dialect.identifier_preparer
    state: Snapshot = {}
    for name in table_names:
        rows = connection.execute(text(f"SELECT * FROM {preparer.quote(name)}")).all()
        state[name] = sorted(repr(tuple(row)) for row in rows)
    return state


def describe_difference(before: Snapshot, after: Snapshot) -> str:
    lines = []
    for name in sorted(before):
        if before[name] != after[name]:
            gone = [r for r in before[name] if r not in after[name]]
            new = [r for r in after[name] if r not in before[name]]
            lines.append(
                f"{name}: {len(before[name])} -> {len(after[name])} rows; "
                f"before {[r[:300] for r in gone[:3]]}; after {[r[:300] for r in new[:3]]}"
            )
    return "\n".join(lines)


@contextmanager
def rolled_back_example() -> Iterator[None]:
    """A savepoint inside the test's transaction, rolled back after the example: the requests'
    own savepoints (conftest's create_savepoint sessions) nest inside it."""
    db.session.remove()
    savepoint = _connection().begin_nested()
    try:
        yield
    finally:
        db.session.remove()
        if savepoint.is_active:
            savepoint.rollback()


# --- The portal the forms are posted to ----------------------------------------------------------

TRUSTS_CSV = (
    b"name,ods_code,region,participating\n"
    b"Fresh Hospitals NHS Trust,RZ9,north-east,yes\n"
    b"Renamed Second NHS Trust,RT2,london,no\n"
    b"No code at all,,london,yes\n"
)


@dataclass
class Saved:
    """A browser's session: its cookie and the CSRF token of that session."""

    cookie: str
    csrf: str


@dataclass
class World:
    """The people and things the forms act on (ids, never live objects: each example rolls back)."""

    app: Flask
    emails: dict[str, str]
    ids: dict[str, Any]
    tables: list[str]
    sessions: dict[str, Saved] = field(default_factory=dict)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Short, in the failing examples Hypothesis prints."""
        printer.text("World(...)")

    def session_for(self, who: str) -> Saved:
        """Sign in once per test (committed to the test's transaction, before any example)."""
        if who not in self.sessions:
            limiter.reset()
            client = self.app.test_client()
            token = client.csrf_token("/sign-in")
            if who != "anonymous":
                response = client.post(
                    "/sign-in",
                    data={"email": self.emails[who], "password": PASSWORD, "csrf_token": token},
                )
                assert response.status_code == 303, response.get_data(as_text=True)
                token = client.csrf_token("/account")
            cookie = client.get_cookie(self.app.config["SESSION_COOKIE_NAME"])
            assert cookie is not None
            self.sessions[who] = Saved(cookie.value, token)
            db.session.remove()
        return self.sessions[who]

    def client(self, who: str) -> tuple[PortalClient, str]:
        saved = self.session_for(who)
        client = self.app.test_client()
        client.set_cookie(self.app.config["SESSION_COOKIE_NAME"], saved.cookie)
        return client, saved.csrf


@pytest.fixture
def world(app: Flask, monkeypatch: pytest.MonkeyPatch) -> World:
    """Someone of each role, a trust in two regions, events, bookings, stories, tokens, mail."""
    # Every example reuses the session cookie of one sign-in: a long run by hand must not outlast
    # the idle timeout (the app object is shared by the run's tests; monkeypatch restores it).
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 24 * 60)
    monkeypatch.setitem(app.config, "SESSION_LIFETIME_HOURS", 48)
    admin = make_user("admin", "admin@nhs.example", name="Ada Admin")
    coordinator = make_user(
        "coordinator", "coordinator.london@nhs.example", region_slug="london", name="Cora Ord"
    )
    rt1 = make_trust("First Hospitals NHS Trust", "RT1", "london")
    rt2 = make_trust("Second Hospitals NHS Trust", "RT2", "london")
    make_trust("Northern Hospitals NHS Trust", "RX1", "north-east")
    staff = make_user("trust", "staff.rt1@nhs.example", trust=rt1, name="Sam Staff")
    other = make_user("trust", "other.rt2@nhs.example", trust=rt2, name="Olly Other")

    invitee = create_user("invitee@nhs.example", Role.TRUST, trust=rt1, actor=admin)
    invitation = tokens.issue(
        invitee.id, tokens.TokenPurpose.INVITATION, timedelta(days=7), created_by_id=admin.id
    )
    reset = tokens.issue(
        other.id, tokens.TokenPurpose.PASSWORD_RESET, timedelta(hours=1), created_by_id=None
    )
    db.session.commit()

    event = make_event(coordinator, "london", publish=True, capacity=3, title="Sharing VBAC")
    draft_event = make_event(coordinator, "london", title="A draft still being planned")
    # An event that has taken place, which a story may say it was presented at.
    held_event = make_event(coordinator, "london", publish=True, title="Held in the spring")
    held_event.event_date = date.today() - timedelta(days=40)
    held_event.registration_deadline = held_event.event_date - timedelta(days=1)
    held_event.programme_year -= 1  # last year's: London may still plan events this year
    held_event.slot = 100  # slots need only be unique here
    outcomes = book(event, staff, 1, 2, 3, 4)
    confirmed, waiting = outcomes[0].registration, outcomes[3].registration
    assert confirmed.is_confirmed and waiting.is_waitlisted

    draft_story = draft(staff, title="Our draft")
    submitted = submit(draft(staff, title="Waiting for review"), actor=staff)
    published_story = published(staff, coordinator, title="Already published")

    record_month(rt1, date(2024, 3, 1), MONTH_COUNTS, actor=staff)
    record_robson_month(rt1, date(2024, 3, 1), ROBSON_COUNTS, actor=staff)
    change = mark_change(rt1, date(2024, 1, 1), "Joined the programme", actor=staff)

    message = queue_message(
        to="someone@example.org", subject="Failed", text="Hello", kind="test.message"
    )
    message.status, message.attempts, message.last_error = MailStatus.FAILED, 8, "554 No"
    pending = queue_message(
        to="other@example.org", subject="Waiting", text="Hello", kind="test.message"
    )
    db.session.commit()

    emails = {
        "admin": admin.email,
        "coordinator": coordinator.email,
        "staff": staff.email,
        "other": other.email,
    }
    ids = {
        "admin": admin.id,
        "staff": staff.id,
        "other": other.id,
        "invitee": invitee.id,
        "invitation": invitation,
        "reset": reset,
        "event": event.id,
        "draft_event": draft_event.id,
        "held_event": held_event.id,
        "confirmed": confirmed.id,
        "waiting": waiting.id,
        "self_service": self_service_token(confirmed),
        "self_service_waiting": self_service_token(waiting),
        "attendee_email": confirmed.attendee_email,
        "draft_story": draft_story.id,
        "submitted_story": submitted.id,
        "published_story": published_story.id,
        "message": message.id,
        "pending_message": pending.id,
        "no_message": pending.id + 1000,
        "rt1": rt1.id,
        "rt2": rt2.id,
        "change": change.id,
        "no_change": change.id + 1000,
    }
    db.session.commit()
    tables = sorted(inspect(_connection()).get_table_names())
    db.session.remove()
    return World(app, emails, ids, tables)


# --- The forms ------------------------------------------------------------------------------------

REGIONS = (
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
)
TRUST_CODES = ("", "RT1", "RT2", "RX1")
ROLES = ("", "admin", "coordinator", "trust")
JOB_ROLES = ("", *(role.value for role in JobRole))
PATHWAYS = tuple(p.value for p in Pathway)
MEASURES = tuple(m.value for m in Measure)
NEW_PASSWORD = "a brand new horse battery staple"

Paths = Callable[[World], list[str]]
NOTHING_TO_SET_UP: st.SearchStrategy[None] = st.none()
Fields = Callable[[World], dict[str, Field]]


@dataclass(frozen=True)
class Form:
    """A route that handles a form: who sends it, where, and its fields."""

    id: str
    endpoint: str
    users: tuple[str, ...]
    paths: Paths
    fields: Fields = lambda w: {}
    # Drawn for each example and handed to `prepare` (None for the valid submission).
    setup: st.SearchStrategy[Any] = NOTHING_TO_SET_UP
    # Runs inside the example before the snapshot, with the drawn setup and the submission (which
    # it may complete); may return another path to post to.
    prepare: Callable[[PortalClient, str, World, Any, dict[str, Any]], str | None] | None = None
    # Whether the valid submission changes the database (a preview or a keep-alive does not).
    changes_database: bool = True
    # GET for the search and filter forms: sent as a query string, and they never change anything.
    method: str = "POST"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Short, in the failing examples Hypothesis prints."""
        printer.text(f"Form({self.id!r}, {self.endpoint!r})")


def _path(template: str, *keys: str) -> Paths:
    """The path for each of these things: the first is the one the valid submission is for, the
    others are in other states (already done, not allowed) or do not exist."""
    return lambda w: [template.format(w.ids[key]) for key in keys]


def password_fields(with_current: bool = False, with_name: bool = False) -> Fields:
    def fields(w: World) -> dict[str, Field]:
        out: dict[str, Field] = {}
        if with_name:
            out["name"] = Field("text", "Ivy Invitee")
        if with_current:
            out["current_password"] = Field("password", PASSWORD)
        out["new_password"] = Field("password", NEW_PASSWORD)
        out["confirm_password"] = Field("password", NEW_PASSWORD)
        return out

    return fields


def scope_fields(role: str, region: str, trust: str) -> dict[str, Field]:
    return {
        "role": Field("choice", role, ROLES),
        "region": Field("choice", region, ("", *REGIONS)),
        "trust": Field("choice", trust, TRUST_CODES),
    }


def event_fields(w: World) -> dict[str, Field]:
    return {
        "region": Field("choice", "london", REGIONS),
        "title": Field("text", "Promoting normal birth"),
        "summary": Field("text", "Trusts share what works."),
        "description": Field("text", "## Programme\n\n- Welcome"),
        "event_date": Field("date", future(90)),
        "start_time": Field("time", "09:30", near=("16:00", "23:59", "00:00")),
        "end_time": Field("time", "16:00", near=("09:30", "09:29", "00:00", "23:59")),
        "venue_name": Field("text", "Civic Hall"),
        "venue_address": Field("text", "1 Park Row\nLeeds"),
        "venue_postcode": Field(
            "text", "LS1 4AP", near=("ls14ap", "SW1A 1AA", "XX", "A9 9AA ", "ß1 4AP")
        ),
        "online_url": Field(
            "text",
            "https://meet.example.org/network",
            near=(
                "",
                "http://meet.example.org",
                "https://",
                "https://a b.org",
                "javascript:alert(1)",
            ),
        ),
        "capacity": Field("number", "40", near=("1", "2", "3", "4", "1000", "1001", "0")),
        "trust_cap": Field("number", "", near=("1", "2", "40", "41", "1000")),
        "registration_deadline": Field("date", future(80)),
        "open_to_all_regions": Field("check", False),
    }


def attendee_fields(prefix: str, n: int) -> dict[str, Field]:
    return {
        f"{prefix}name": Field("text", f"New Person {n}"),
        f"{prefix}email": Field("email", f"new.person{n}@nhs.example"),
        f"{prefix}job_role": Field("choice", "midwife", JOB_ROLES),
        f"{prefix}access_needs": Field("text", ""),
        f"{prefix}dietary_needs": Field("text", "Vegetarian"),
    }


def booking_fields(add_person: bool) -> Fields:
    def fields(w: World) -> dict[str, Field]:
        out = {**attendee_fields("attendees-0-", 1), **attendee_fields("attendees-1-", 2)}
        if add_person:
            out["add_person"] = Field("text", "")
        return out

    return fields


def story_fields(w: World) -> dict[str, Field]:
    out = {
        "title": Field("text", "Staying at home in early labour"),
        "summary": Field("text", "A phone call keeps women at home longer."),
        "body": Field("text", "## What we changed\n\nA triage line."),
        "pathways": Field("multi", ["first-pregnancy", "vbac"], PATHWAYS),
        "event": Field(
            "choice",
            str(w.ids["held_event"]),
            ("", str(w.ids["held_event"])),
            near=(str(w.ids["draft_event"]), str(w.ids["event"]), "0", "-1", str(10**20)),
        ),
        "action": Field("choice", "save", ("save", "preview")),
        # The test framework's characteristics (loaded by `framework_first`).
        "characteristics": Field(
            "multi",
            ["vbac:VB1", "first-pregnancy:FP1"],
            ("vbac:VB1", "vbac:VB2", "first-pregnancy:FP1"),
        ),
        "measures_shown": Field("multi", ["total-cs", "vbac"], MEASURES),
        "new_measure": Field("choice", "normal-birth", MEASURES),
    }
    for measure in Measure:
        prefix = "measure_" + measure.value.replace("-", "_")
        filled = measure is Measure.TOTAL_CS
        out[f"{prefix}-baseline_value"] = Field("percent", "30" if filled else "")
        out[f"{prefix}-baseline_period"] = Field("text", "2007–08" if filled else "")
        out[f"{prefix}-latest_value"] = Field("percent", "25.5" if filled else "")
        out[f"{prefix}-latest_period"] = Field("text", "2008–09" if filled else "")
    return out


def story_measure_fields(button: str, value: str) -> Fields:
    """The story form sent by "Add a measure" or a measure's "Remove"."""

    def fields(w: World) -> dict[str, Field]:
        return {**story_fields(w), button: Field("choice", value, (value,))}

    return fields


def framework_first(
    client: PortalClient, csrf: str, w: World, setup: Any, submission: dict[str, Any]
) -> None:
    """The toolkit framework loaded (in the example), whose characteristics stories cite."""
    if current_version() is None:
        load_framework()


def trust_fields(w: World) -> dict[str, Field]:
    return {
        "name": Field("text", "Fresh Hospitals NHS Trust"),
        "ods_code": Field(
            "text", "RZ9", near=("RT1", "rt2", "RX1", "R1", "RZ99Z", " rz9 ", "RZ9\n")
        ),
        "region": Field("choice", "london", ("", *REGIONS)),
        "participating": Field("check", True),
    }


def region_fields(w: World) -> dict[str, Field]:
    return {
        "name": Field(
            "text", "NHS North East (renamed)", near=("NHS London", "nhs london ", "NHS North East")
        ),
        "short_name": Field("text", "North East"),
        "contact_name": Field("text", "Nora East"),
        "contact_email": Field("email", "nora.east@nhs.example"),
        "contact_phone": Field(
            "text", "0191 496 0000", near=("+44 (0)191 496 0000", "123", "0" * 16, "0191-496-0000")
        ),
    }


#: A month the new-month form offers whenever the tests run (it offers the last 36).
LAST_MONTH = month_key((current_month() - timedelta(days=1)).replace(day=1))
MONTH_COUNTS = {
    "deliveries": 300,
    "caesareans_elective": 30,
    "caesareans_emergency": 45,
    "normal_births": 120,
    "previous_caesarean": 40,
    "vbac": 12,
}
COUNTS_HEADER = (
    b"ods_code,month,deliveries,caesareans_elective,caesareans_emergency,normal_births,"
    b"previous_caesarean,vbac\n"
)
COUNTS_CSV = COUNTS_HEADER + b"RT1,2024-04,300,30,45,120,40,12\nRT1,2024-03,300,30,45,120,40,13\n"
COUNT_ROWS = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(["RT1", "RT2", "rt1", "RX1", "R1"]), ANY_TEXT),
        st.one_of(
            st.sampled_from(["2024-04", "2024-03", "2099-01", "1999-12", "2024-13"]), ANY_TEXT
        ),
        *(st.one_of(st.sampled_from(["0", "7", "300", "5001"]), NUMBER_TEXT) for _ in range(6)),
    ),
    min_size=1,
    max_size=6,
)


def counts_csv(rows: list[tuple[str, ...]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return COUNTS_HEADER + out.getvalue().encode()


def count_fields(w: World) -> dict[str, Field]:
    return {
        name: Field("number", str(value), near=("0", "5000", "5001", "-1", "301"))
        for name, value in MONTH_COUNTS.items()
    }


#: A month's Robson counts, groups 2 and 4 split.
ROBSON_COUNTS = {
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
ROBSON_HEADER = b"ods_code,month,group,women,caesareans\n"
ROBSON_CSV = ROBSON_HEADER + b"".join(
    f"RT1,2024-04,{group},{women},{cs}\n".encode() for group, (women, cs) in ROBSON_COUNTS.items()
)
ROBSON_ROWS = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(["RT1", "RT2", "rt1", "RX1"]), ANY_TEXT),
        st.one_of(st.sampled_from(["2024-04", "2024-03", "2099-01", "2024-13"]), ANY_TEXT),
        st.one_of(st.sampled_from(["1", "2", "2a", "4b", "10", "11"]), ANY_TEXT),
        *(st.one_of(st.sampled_from(["0", "7", "300", "5001"]), NUMBER_TEXT) for _ in range(2)),
    ),
    min_size=1,
    max_size=14,
)
BIRTHS_CSV = (
    b"parity,previous_cs,fetuses,presentation,gestation_weeks,onset,caesarean\n"
    b"0,no,1,cephalic,40,spontaneous,no\n1+,yes,1,cephalic,39,induced,yes\n"
)


def robson_csv(rows: list[tuple[str, ...]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return ROBSON_HEADER + out.getvalue().encode()


def robson_fields(w: World) -> dict[str, Field]:
    fields = {}
    for code, (women, cs) in ROBSON_COUNTS.items():
        near = ("0", "5000", "5001", "-1", "151")
        fields[f"women_{code}"] = Field("number", str(women), near=near)
        fields[f"caesareans_{code}"] = Field("number", str(cs), near=near)
    fields["unclassified"] = Field("number", "0", near=("5001", "-1"))
    return fields


def upload_robson_first(
    client: PortalClient, csrf: str, w: World, rows: Any, submission: dict[str, Any]
) -> str | None:
    """The Robson import applies an upload this session made, previewed first."""
    content = ROBSON_CSV if rows is None else robson_csv(rows)
    response = client.post(
        "/robson/import",
        data={"csv_file": (io.BytesIO(content), "robson.csv"), "csrf_token": csrf},
    )
    if response.status_code != 303:
        assert response.status_code == 422, response.get_data(as_text=True)
        return None
    path = response.headers["Location"]
    match = FINGERPRINT.search(client.get(path).get_data(as_text=True))
    if match is None:
        return path
    for key, value in submission.items():
        if value == FROM_PREVIEW:
            submission[key] = match.group(1)
    return path


TOOLKIT_HEADER = (
    b"pathway,characteristic_code,characteristic,position,position_label,position_description\n"
)
TOOLKIT_CSV = TOOLKIT_HEADER + b"".join(
    f"{pathway},{code},Invented characteristic {code},{n},Label {n},Invented description\n".encode()
    for pathway, code in (("vbac", "VB1"), ("top-ten", "TT1"))
    for n in (1, 2, 3)
)
TOOLKIT_ROWS = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(["vbac", "top-ten", "VBAC", "caesarean", ""]), ANY_TEXT),
        st.one_of(st.sampled_from(["VB1", "TT1", "vb1", "A" * 21, "-x"]), ANY_TEXT),
        st.one_of(st.sampled_from(["Invented characteristic VB1", "Other"]), LONG_TEXT, ANY_TEXT),
        st.one_of(st.sampled_from(["1", "2", "3", "0", "11"]), NUMBER_TEXT),
        st.one_of(st.sampled_from(["Label 1", "L" * 81]), CONTROL_TEXT, ANY_TEXT),
        st.one_of(st.just("Invented description"), LONG_TEXT, ANY_TEXT),
    ),
    min_size=1,
    max_size=10,
)


def toolkit_csv(rows: list[tuple[str, ...]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return TOOLKIT_HEADER + out.getvalue().encode()


def upload_toolkit_first(
    client: PortalClient, csrf: str, w: World, rows: Any, submission: dict[str, Any]
) -> str | None:
    """A new version of the toolkit framework loads an upload this session made, previewed
    first."""
    content = TOOLKIT_CSV if rows is None else toolkit_csv(rows)
    response = client.post(
        "/admin/toolkit",
        data={"csv_file": (io.BytesIO(content), "framework.csv"), "csrf_token": csrf},
    )
    response.request.input_stream.close()  # a long file is spooled to a temporary file
    if response.status_code != 303:
        assert response.status_code == 422, response.get_data(as_text=True)
        return None
    path = response.headers["Location"]
    match = FINGERPRINT.search(client.get(path).get_data(as_text=True))
    if match is None:
        return path
    for key, value in submission.items():
        if value == FROM_PREVIEW:
            submission[key] = match.group(1)
    return path


#: A trust's self-assessment: each characteristic of the test framework, its positions given.
ROUND_POSITIONS = {"VB1": (1, 3), "VB2": (2, 2), "FP1": (2, 4)}
ANSWER = re.compile(r"^(current|aspired|evidence)-(VB1|VB2|FP1)$")


def rounds_first(*paths: str, open_round: bool = True, answered: bool = False) -> Any:
    """A self-assessment of RT1's (the framework loaded, a completed round with an action, and
    unless said a round in progress) made in the example; the drawn setup picks one of `paths`
    ({done}, {open}, {action} filled in), and fields named by characteristic code
    (`current-VB1`, the value `answer:VB1`) get the ids of this example's rows."""

    def prepare(
        client: PortalClient, csrf: str, w: World, variant: Any, submission: dict[str, Any]
    ) -> str:
        if current_version() is None:
            load_framework()
        staff = db.session.get(User, w.ids["staff"])
        assert staff is not None
        done = completed(staff, ROUND_POSITIONS, held_on=date(2025, 9, 1))
        answers = by_code(done)
        action = add_action(
            done,
            answers["VB1"].id,
            ActionValues("Audit VBAC talks", ParticipantRole.OBSTETRICIAN, date(2026, 6, 1)),
            actor=staff,
        )
        ids = {"done": done.id, "action": action.id, "open": 0}
        if open_round:
            in_progress = begin(staff)
            if answered:
                answer(in_progress, staff, dict(ROUND_POSITIONS))
            ids["open"] = in_progress.id
            answers = by_code(in_progress)
        values = {f"answer:{code}": str(a.id) for code, a in by_code(done).items()}

        def filled(value: Any) -> Any:
            if isinstance(value, list):
                return [filled(v) for v in value]
            return values.get(value, value) if isinstance(value, str) else value

        for key in list(submission):
            value = filled(submission.pop(key))
            found = ANSWER.match(key)
            if found:
                key = f"{found.group(1)}-{answers[found.group(2)].characteristic_id}"
            submission[key] = value
        return paths[(variant or 0) % len(paths)].format(**ids)

    return prepare


def answer_fields(w: World) -> dict[str, Field]:
    positions = ("1", "2", "3", "4")
    out: dict[str, Field] = {}
    for code, (now, aim) in ROUND_POSITIONS.items():
        out[f"current-{code}"] = Field("choice", str(now), positions, near=("0", "5", "-1"))
        out[f"aspired-{code}"] = Field("choice", str(aim), positions, near=("0", "5", "11"))
        out[f"evidence-{code}"] = Field("text", "Audit of 40 sets of notes", near=("x" * 1001,))
    return out


def action_fields(w: World) -> dict[str, Field]:
    return {
        "what": Field("text", "Audit every VBAC decision", near=("x" * 501, " ")),
        "owner_role": Field("choice", "midwife", ("", *(r.value for r in ParticipantRole))),
        "due_on": Field("date", date(2026, 9, 30)),
        "status": Field("choice", "in-progress", ("not-started", "in-progress", "done", "dropped")),
    }


ROUND_VARIANTS = st.one_of(st.none(), st.integers(0, 2))


def with_a_framework(
    client: PortalClient, csrf: str, w: World, variant: Any, submission: dict[str, Any]
) -> None:
    """The toolkit's framework loaded (an event's focus is chosen from its characteristics)."""
    if current_version() is None:
        load_framework()


FROM_PREVIEW = "(the fingerprint the preview shows)"
FINGERPRINT = re.compile(r'name="fingerprint" type="hidden" value="([0-9a-f]*)"')
CSV_ROWS = st.lists(
    st.tuples(
        st.one_of(
            st.just("Fresh Hospitals NHS Trust"), ANY_TEXT, CONTROL_TEXT, st.text(max_size=170)
        ),
        st.one_of(st.sampled_from(["RZ9", "RT2", "RT1", "RX1", "rz8", "R1", "RZ99Z"]), ANY_TEXT),
        st.one_of(st.sampled_from(REGIONS), ANY_TEXT),
        st.one_of(st.sampled_from(["yes", "no", "YES", " no "]), ANY_TEXT),
    ),
    min_size=1,
    max_size=6,
)


def trusts_csv(rows: list[tuple[str, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "ods_code", "region", "participating"])
    writer.writerows(rows)
    return out.getvalue().encode()


def places_held_back_first(
    client: PortalClient, csrf: str, w: World, setup: Any, submission: dict[str, Any]
) -> None:
    """Places free at the event while RT1's waiting person is held back by its 3 places."""
    event = db.session.get(NetworkEvent, w.ids["event"])
    assert event is not None
    event.capacity, event.trust_cap = 6, 3
    db.session.commit()


def upload_first(
    client: PortalClient, csrf: str, w: World, rows: Any, submission: dict[str, Any]
) -> str | None:
    """The import applies an upload this session made, previewed first (the fingerprint the form
    carries comes from the preview)."""
    content = TRUSTS_CSV if rows is None else trusts_csv(rows)
    response = client.post(
        "/admin/trusts/import",
        data={"csv_file": (io.BytesIO(content), "trusts.csv"), "csrf_token": csrf},
    )
    if response.status_code != 303:
        assert response.status_code == 422, response.get_data(as_text=True)
        return None  # a file refused at upload: the apply finds no upload
    path = response.headers["Location"]
    match = FINGERPRINT.search(client.get(path).get_data(as_text=True))
    if match is None:
        return path  # nothing to apply: the preview offers no form
    for key, value in submission.items():
        if value == FROM_PREVIEW:
            submission[key] = match.group(1)
        elif isinstance(value, list):
            submission[key] = [match.group(1) if v == FROM_PREVIEW else v for v in value]
    return path


def upload_counts_first(
    client: PortalClient, csrf: str, w: World, rows: Any, submission: dict[str, Any]
) -> str | None:
    """The counts import applies an upload this session made, previewed first."""
    content = COUNTS_CSV if rows is None else counts_csv(rows)
    response = client.post(
        "/measures/import",
        data={"csv_file": (io.BytesIO(content), "months.csv"), "csrf_token": csrf},
    )
    if response.status_code != 303:
        assert response.status_code == 422, response.get_data(as_text=True)
        return None
    path = response.headers["Location"]
    match = FINGERPRINT.search(client.get(path).get_data(as_text=True))
    if match is None:
        return path
    for key, value in submission.items():
        if value == FROM_PREVIEW:
            submission[key] = match.group(1)
    return path


FORMS: list[Form] = [
    # Signing in, accounts and passwords
    Form(
        "sign-in",
        "auth.sign_in",
        ("anonymous",),
        lambda w: ["/sign-in"],
        lambda w: {
            "email": Field("email", w.emails["staff"]),
            "password": Field("password", PASSWORD),
            "next": Field("text", "/account"),
        },
    ),
    Form("sign-out", "auth.sign_out", ("staff",), lambda w: ["/sign-out"], changes_database=False),
    Form(
        "keep-alive",
        "auth.keep_alive",
        ("staff",),
        lambda w: ["/session/keep-alive"],
        changes_database=False,
    ),
    Form(
        "account-name",
        "auth.account_name",
        ("staff",),
        lambda w: ["/account/name"],
        lambda w: {"name": Field("text", "Samantha Staff")},
    ),
    Form(
        "account-password",
        "auth.account_password",
        ("staff",),
        lambda w: ["/account/password"],
        password_fields(with_current=True),
    ),
    Form("calendar-feed", "feeds.reset", ("staff",), lambda w: ["/account/calendar-feed"]),
    Form(
        "password-reset-request",
        "auth.forgot_password",
        ("anonymous",),
        lambda w: ["/password-reset"],
        lambda w: {"email": Field("email", w.emails["staff"])},
    ),
    Form(
        "password-reset",
        "auth.reset_password",
        ("anonymous",),
        _path("/password-reset/{}", "reset"),
        password_fields(),
    ),
    Form(
        "accept-invitation",
        "auth.accept_invitation",
        ("anonymous",),
        _path("/invitations/{}", "invitation"),
        password_fields(with_name=True),
    ),
    # People
    Form(
        "invite",
        "auth.invite_person",
        ("admin", "coordinator"),
        lambda w: ["/people/invite"],
        lambda w: {
            "email": Field("email", "new.colleague@nhs.example"),
            "name": Field("text", "New Colleague"),
            **scope_fields("trust", "", "RT1"),
        },
    ),
    Form(
        "person-role",
        "auth.role",
        ("admin",),
        _path("/people/{}/role", "other", "admin", "invitee"),
        lambda w: scope_fields("coordinator", "north-east", ""),
    ),
    Form(
        "person-active",
        "auth.active",
        ("admin",),
        _path("/people/{}/active", "other", "admin"),
        lambda w: {"active": Field("choice", "no", ("yes", "no"))},
    ),
    Form(
        "invitation-resend",
        "auth.resend",
        ("admin",),
        _path("/people/{}/resend", "invitee", "other"),
    ),
    Form(
        "invitation-revoke",
        "auth.revoke",
        ("admin",),
        _path("/people/{}/revoke", "invitee", "other"),
    ),
    # Events
    Form(
        "event-new", "events.new", ("coordinator", "admin"), lambda w: ["/events/new"], event_fields
    ),
    Form(
        "event-edit",
        "events.edit",
        ("coordinator", "admin"),
        lambda w: [f"/events/{w.ids['event']}/edit", f"/events/{w.ids['draft_event']}/edit"],
        event_fields,
    ),
    Form(
        "event-publish",
        "events.publish",
        ("coordinator",),
        _path("/events/{}/publish", "draft_event", "event"),
        lambda w: {"tell_trusts": Field("check", "y")},
    ),
    Form(
        "event-tell-trusts",
        "events.tell",
        ("coordinator",),
        _path("/events/{}/tell-trusts", "event"),
    ),
    Form(
        "event-cancel",
        "events.cancel",
        ("coordinator", "admin"),
        _path("/events/{}/cancel", "event", "draft_event"),
        lambda w: {"reason": Field("text", "The venue is no longer available.")},
    ),
    Form(
        "event-delete",
        "events.delete",
        ("coordinator",),
        _path("/events/{}/delete", "draft_event", "event"),
    ),
    # Bookings
    Form(
        "book",
        "registrations.book",
        ("staff",),
        _path("/events/{}/book", "event"),
        booking_fields(add_person=False),
    ),
    Form(
        "book-add-person",
        "registrations.book",
        ("staff",),
        _path("/events/{}/book", "event"),
        booking_fields(add_person=True),
        changes_database=False,
    ),
    Form(
        "booking-change",
        "registrations.change",
        ("staff",),
        lambda w: [
            f"/bookings/{w.ids['confirmed']}/change",
            f"/bookings/{w.ids['waiting']}/change",
        ],
        lambda w: attendee_fields("", 9),
    ),
    Form(
        "booking-withdraw",
        "registrations.trust_withdraw",
        ("staff",),
        lambda w: [
            f"/bookings/{w.ids['confirmed']}/withdraw",
            f"/bookings/{w.ids['waiting']}/withdraw",
        ],
    ),
    Form(
        "self-service-withdraw",
        "registrations.self_service_withdraw",
        ("anonymous",),
        _path("/bookings/self-service/{}", "self_service", "self_service_waiting"),
    ),
    Form(
        "check-in",
        "registrations.attended",
        ("coordinator",),
        lambda w: [
            f"/registrations/{w.ids['confirmed']}/attended",
            f"/registrations/{w.ids['waiting']}/attended",
        ],
        lambda w: {"attended": Field("choice", "yes", ("yes", "no"))},
    ),
    Form(
        "remove-attendee",
        "registrations.coordinator_remove",
        ("coordinator",),
        _path("/registrations/{}/remove", "confirmed", "waiting"),
    ),
    Form(
        "offer-place",
        "registrations.offer",
        ("coordinator",),
        _path("/registrations/{}/offer", "waiting", "confirmed"),
        prepare=places_held_back_first,
    ),
    Form(
        "trust-places",
        "registrations.trust_limit",
        ("coordinator",),
        lambda w: [
            f"/events/{w.ids['event']}/trusts/{w.ids['rt1']}/places",
            f"/events/{w.ids['event']}/trusts/{w.ids['rt2']}/places",
            f"/events/{w.ids['draft_event']}/trusts/{w.ids['rt1']}/places",
        ],
        lambda w: {"places": Field("number", "4", near=("3", "6", "7", "0", "-1", "1001"))},
        prepare=places_held_back_first,
    ),
    # Stories
    Form("story-new", "stories.new", ("staff",), lambda w: ["/stories/new"]),
    Form(
        "story-edit",
        "stories.edit",
        ("staff",),
        _path("/stories/{}/edit", "draft_story"),
        story_fields,
        prepare=framework_first,
    ),
    Form(
        "story-add-measure",
        "stories.edit",
        ("staff",),
        _path("/stories/{}/edit", "draft_story"),
        story_measure_fields("add_measure", "1"),
        prepare=framework_first,
        changes_database=False,  # one more measure's boxes, nothing saved
    ),
    Form(
        "story-remove-measure",
        "stories.edit",
        ("staff",),
        _path("/stories/{}/edit", "draft_story"),
        story_measure_fields("remove_measure", "total-cs"),
        prepare=framework_first,
        changes_database=False,  # the boxes go; "Save draft" or autosave saves
    ),
    Form(
        "story-autosave",
        "stories.autosave",
        ("staff",),
        _path("/stories/{}/autosave", "draft_story"),
        story_fields,
        prepare=framework_first,
    ),
    Form(
        "story-preview",
        "stories.preview",
        ("staff",),
        _path("/stories/{}/preview", "draft_story"),
        lambda w: {"body": Field("text", "## Heading\n\n*emphasis* [link](https://nhs.uk)")},
        changes_database=False,
    ),
    Form(
        "story-submit",
        "stories.submit_for_review",
        ("staff",),
        _path("/stories/{}/submit", "draft_story", "submitted_story"),
        lambda w: {"declaration": Field("check", True)},
    ),
    Form(
        "story-delete",
        "stories.delete",
        ("staff",),
        _path("/stories/{}/delete", "draft_story", "published_story"),
    ),
    Form(
        "story-withdraw",
        "stories.withdraw_story",
        ("staff", "coordinator"),
        _path("/stories/{}/withdraw", "published_story", "draft_story"),
    ),
    Form(
        "story-publish",
        "stories.publish_story",
        ("coordinator", "admin"),
        _path("/stories/{}/publish", "submitted_story", "published_story"),
        lambda w: {"confirmation": Field("check", True)},
    ),
    Form(
        "story-return",
        "stories.return_story",
        ("coordinator", "admin"),
        _path("/stories/{}/return", "submitted_story", "published_story"),
        lambda w: {"comment": Field("text", "Please remove the ward name.")},
    ),
    # A trust's monthly figures: given, corrected, imported; its changes, targets and publishing
    Form(
        "measures-month-new",
        "measures.new_month",
        ("staff", "coordinator"),
        lambda w: ["/trusts/RT1/measures/months/new", "/trusts/RT2/measures/months/new"],
        lambda w: {
            "month": Field("choice", LAST_MONTH, near=("2024-03", "2099-01", "2024-13")),
            **count_fields(w),
        },
    ),
    Form(
        "measures-month-edit",
        "measures.edit_month",
        ("staff", "coordinator"),
        lambda w: [
            "/trusts/RT1/measures/months/2024-03",
            "/trusts/RT1/measures/months/2024-04",
            "/trusts/RT2/measures/months/2024-03",
        ],
        lambda w: {**count_fields(w), "vbac": Field("number", "14", near=("41", "0"))},
    ),
    Form(
        "measures-change",
        "measures.changes",
        ("staff", "coordinator"),
        lambda w: ["/trusts/RT1/measures/changes", "/trusts/RT2/measures/changes"],
        lambda w: {
            "month": Field("choice", "2024-06", near=("2024-01", "2099-01")),
            "note": Field("text", "Midwife-led unit opened"),
        },
    ),
    Form(
        "measures-change-remove",
        "measures.remove_change_mark",
        ("staff", "coordinator"),
        _path("/trusts/RT1/measures/changes/{}/remove", "change", "no_change"),
    ),
    Form(
        "measures-target",
        "measures.target",
        ("staff", "coordinator"),
        lambda w: [
            "/trusts/RT1/measures/total-cs/target",
            "/trusts/RT1/measures/robson/target",
            "/trusts/RT2/measures/vbac/target",
        ],
        lambda w: {"total-cs-target": Field("percent", "24.5")},
    ),
    Form(
        "measures-publish",
        "measures.publish",
        ("staff", "coordinator"),
        lambda w: ["/trusts/RT1/measures/publish", "/trusts/RT2/measures/publish"],
        lambda w: {"published": Field("choice", "yes", ("yes", "no"))},
    ),
    Form(
        "measures-import-upload",
        "measures.import_counts",
        ("staff", "coordinator", "admin"),
        lambda w: ["/measures/import"],
        lambda w: {"csv_file": Field("file", (COUNTS_CSV, "months.csv"))},
        changes_database=False,  # the upload is kept on disk until it is applied
    ),
    Form(
        "measures-import-apply",
        "measures.import_apply",
        ("staff", "coordinator"),
        lambda w: ["/measures/import/unused"],
        lambda w: {"fingerprint": Field("hidden", FROM_PREVIEW)},
        setup=st.one_of(st.none(), COUNT_ROWS),
        prepare=upload_counts_first,
    ),
    # A trust's Robson counts: given, corrected, counted from births, imported
    Form(
        "robson-month-new",
        "robson.new_month",
        ("staff", "coordinator"),
        lambda w: ["/trusts/RT1/robson/months/new", "/trusts/RT2/robson/months/new"],
        lambda w: {
            "month": Field("choice", LAST_MONTH, near=("2024-03", "2099-01", "2024-13")),
            **robson_fields(w),
        },
    ),
    Form(
        "robson-month-edit",
        "robson.edit_month",
        ("staff", "coordinator"),
        lambda w: [
            "/trusts/RT1/robson/months/2024-03",
            "/trusts/RT1/robson/months/2024-04",
            "/trusts/RT2/robson/months/2024-03",
        ],
        lambda w: {**robson_fields(w), "women_1": Field("number", "151", near=("14", "0"))},
    ),
    Form(
        "robson-births",
        "robson.births",
        ("staff", "coordinator"),
        lambda w: ["/trusts/RT1/robson/births", "/trusts/RT2/robson/births"],
        lambda w: {
            "month": Field("choice", LAST_MONTH, near=("2099-01", "2024-13")),
            "births_file": Field("file", (BIRTHS_CSV, "births.csv")),
        },
        changes_database=False,  # the counts come back on the month form; saving it keeps them
    ),
    Form(
        "robson-import-upload",
        "robson.import_counts",
        ("staff", "coordinator", "admin"),
        lambda w: ["/robson/import"],
        lambda w: {"csv_file": Field("file", (ROBSON_CSV, "robson.csv"))},
        changes_database=False,  # the upload is kept on disk until it is applied
    ),
    Form(
        "robson-import-apply",
        "robson.import_apply",
        ("staff", "coordinator"),
        lambda w: ["/robson/import/unused"],
        lambda w: {"fingerprint": Field("hidden", FROM_PREVIEW)},
        setup=st.one_of(st.none(), ROBSON_ROWS),
        prepare=upload_robson_first,
    ),
    # The toolkit framework: a new version from a file, checked, previewed, then loaded
    Form(
        "toolkit-upload",
        "assessments.manage",
        ("admin",),
        lambda w: ["/admin/toolkit"],
        lambda w: {"csv_file": Field("file", (TOOLKIT_CSV, "framework.csv"))},
        changes_database=False,  # the upload is kept on disk until it is loaded
    ),
    Form(
        "toolkit-load",
        "assessments.import_apply",
        ("admin",),
        lambda w: ["/admin/toolkit/import/unused"],
        lambda w: {
            "fingerprint": Field("hidden", FROM_PREVIEW),
            "note": Field("text", "Toolkit, 2007 edition"),
        },
        setup=st.one_of(st.none(), TOOLKIT_ROWS),
        prepare=upload_toolkit_first,
    ),
    # A trust's self-assessment: its rounds, answers as they go, priorities and actions
    Form(
        "round-start",
        "assessments.start_round",
        ("staff",),
        lambda w: ["/trusts/RT1/assessments/new"],
        lambda w: {
            "held_on": Field("date", date(2026, 3, 14)),
            "participants": Field(
                "multi", ["midwife", "service-user"], tuple(r.value for r in ParticipantRole)
            ),
            "pathways": Field("multi", ["vbac"], ("vbac", "first-pregnancy", "top-ten")),
        },
        setup=ROUND_VARIANTS,
        prepare=rounds_first(
            "/trusts/RT1/assessments/new", "/trusts/RT2/assessments/new", open_round=False
        ),
    ),
    Form(
        "round-answers",
        "assessments.answer",
        ("staff",),
        lambda w: ["/trusts/RT1/assessments/0/vbac"],
        answer_fields,
        setup=ROUND_VARIANTS,
        prepare=rounds_first(
            "/trusts/RT1/assessments/{open}/vbac",
            "/trusts/RT1/assessments/{done}/vbac",
            "/trusts/RT1/assessments/{open}/top-ten",
        ),
    ),
    Form(
        "round-autosave",
        "assessments.autosave",
        ("staff",),
        lambda w: ["/trusts/RT1/assessments/0/vbac/autosave"],
        answer_fields,
        setup=ROUND_VARIANTS,
        prepare=rounds_first(
            "/trusts/RT1/assessments/{open}/first-pregnancy/autosave",
            "/trusts/RT1/assessments/{done}/vbac/autosave",
            "/trusts/RT2/assessments/{open}/vbac/autosave",
        ),
    ),
    Form(
        "round-complete",
        "assessments.complete",
        ("staff",),
        lambda w: ["/trusts/RT1/assessments/0/complete"],
        setup=ROUND_VARIANTS,
        prepare=rounds_first(
            "/trusts/RT1/assessments/{open}/complete",
            "/trusts/RT1/assessments/{done}/complete",
            "/trusts/RT2/assessments/{open}/complete",
            answered=True,
        ),
    ),
    Form(
        "round-priorities",
        "assessments.priorities",
        ("staff",),
        lambda w: ["/trusts/RT1/assessments/0/priorities"],
        lambda w: {
            "priorities": Field(
                "multi", ["answer:VB1", "answer:FP1"], ("answer:VB1", "answer:VB2", "answer:FP1")
            )
        },
        setup=ROUND_VARIANTS,
        prepare=rounds_first(
            "/trusts/RT1/assessments/{done}/priorities",
            "/trusts/RT1/assessments/{open}/priorities",
            "/trusts/RT2/assessments/{done}/priorities",
        ),
    ),
    Form(
        "round-action-add",
        "assessments.actions",
        ("staff",),
        lambda w: ["/trusts/RT1/assessments/0/actions"],
        lambda w: {
            "characteristic": Field(
                "choice", "answer:FP1", ("", "answer:VB1", "answer:VB2", "answer:FP1")
            ),
            **action_fields(w),
        },
        setup=ROUND_VARIANTS,
        prepare=rounds_first(
            "/trusts/RT1/assessments/{done}/actions",
            "/trusts/RT1/assessments/{open}/actions",
            "/trusts/RT2/assessments/{done}/actions",
        ),
    ),
    Form(
        "round-action-edit",
        "assessments.edit_action",
        ("staff",),
        lambda w: ["/trusts/RT1/assessments/actions/0"],
        action_fields,
        setup=ROUND_VARIANTS,
        prepare=rounds_first(
            "/trusts/RT1/assessments/actions/{action}?round={open}",
            "/trusts/RT1/assessments/actions/{action}?round=nonsense",
            "/trusts/RT2/assessments/actions/{action}",
        ),
    ),
    Form(
        "round-share",
        "assessments.share",
        ("staff",),
        lambda w: ["/trusts/RT1/assessments/0/share"],
        lambda w: {"shared": Field("choice", "yes", ("yes", "no"))},
        setup=ROUND_VARIANTS,
        prepare=rounds_first(
            "/trusts/RT1/assessments/{done}/share",
            "/trusts/RT1/assessments/{open}/share",
            "/trusts/RT2/assessments/{done}/share",
        ),
    ),
    Form(
        "event-focus",
        "assessments.event_focus",
        ("coordinator",),
        _path("/events/{}/focus", "event", "held_event", "draft_event"),
        lambda w: {
            "focus": Field(
                "multi",
                ["vbac:VB1"],
                ("vbac:VB1", "vbac:VB2", "first-pregnancy:FP1"),
                near=("vbac:ZZ9", "vbac", ":VB1"),
            )
        },
        prepare=with_a_framework,
    ),
    # The programme team's directory, mail and privacy
    Form("trust-new", "admin.new_trust", ("admin",), lambda w: ["/admin/trusts/new"], trust_fields),
    Form(
        "trust-edit",
        "admin.edit_trust",
        ("admin",),
        _path("/admin/trusts/{}/edit", "rt2", "rt1"),
        lambda w: {**trust_fields(w), "ods_code": Field("text", "RT2", near=("RT1", "rt2", "RZ9"))},
    ),
    Form(
        "trust-import-upload",
        "admin.import_trusts",
        ("admin",),
        lambda w: ["/admin/trusts/import"],
        lambda w: {"csv_file": Field("file", (TRUSTS_CSV, "trusts.csv"))},
        changes_database=False,  # the upload is kept on disk until it is applied
    ),
    Form(
        "trust-import-apply",
        "admin.import_apply",
        ("admin",),
        lambda w: ["/admin/trusts/import/unused"],
        lambda w: {
            "fingerprint": Field("hidden", FROM_PREVIEW),
            "skip_invalid": Field("check", True),
        },
        setup=st.one_of(st.none(), CSV_ROWS),
        prepare=upload_first,
    ),
    Form(
        "region-edit",
        "admin.edit_region",
        ("admin",),
        lambda w: ["/admin/regions/north-east/edit", "/admin/regions/london/edit"],
        region_fields,
    ),
    Form(
        "mail-retry",
        "admin.retry_mail",
        ("admin",),
        _path("/admin/mail/{}/retry", "message", "pending_message", "no_message"),
    ),
    Form(
        "privacy-erase",
        "admin.privacy",
        ("admin",),
        lambda w: ["/admin/privacy"],
        lambda w: {
            "email": Field("email", w.ids["attendee_email"]),
            "confirm": Field("check", True),
        },
    ),
]

OBJECT_TYPES = ("", "user", "event", "registration", "story", "trust", "region", "outbox_message")


def story_filters(w: World) -> dict[str, Field]:
    return {
        "q": Field("text", "birth pools", near=('"', "*", "' OR 1=1 --", "NEAR(a b)", "x" * 300)),
        "region": Field("choice", "london", ("", *REGIONS)),
        "trust": Field("choice", "RT1", TRUST_CODES),
        "pathway": Field("choice", "vbac", ("", *PATHWAYS)),
        "measure": Field("choice", "total-cs", ("", *(m.value for m in Measure))),
        "page": Field("number", "1"),
    }


def audit_filters(w: World) -> dict[str, Field]:
    return {
        "person": Field("text", "staff", near=("%", "_", "\\", "' OR 1=1 --")),
        "object_type": Field("choice", "user", OBJECT_TYPES),
        "action": Field("choice", "user.created", ("", "user.created", "event.published")),
        "date_from": Field("date", date(2008, 4, 1)),
        "date_to": Field("date", future(365)),
        "page": Field("number", "1"),
    }


#: The search and filter forms (GET): fuzzed like the others; they must never change anything.
SEARCHES: list[Form] = [
    Form(
        "events-list",
        "events.index",
        ("anonymous", "staff"),
        lambda w: ["/events"],
        lambda w: {
            "region": Field("choice", "london", ("", *REGIONS)),
            "when": Field("choice", "past", ("upcoming", "past")),
            "page": Field("number", "1"),
        },
        changes_database=False,
        method="GET",
    ),
    Form(
        "events-manage",
        "events.manage",
        ("coordinator", "admin"),
        lambda w: ["/manage/events"],
        lambda w: {"region": Field("choice", "london", REGIONS)},
        changes_database=False,
        method="GET",
    ),
    Form(
        "check-in-search",
        "registrations.attendees",
        ("coordinator",),
        lambda w: [f"/events/{w.ids['event']}/attendees"],
        lambda w: {
            "q": Field("text", "attendee 1", near=("%", "_", "\\", "İ", "x" * 300)),
            "show": Field(
                "choice", "not-arrived", ("everyone", "not-arrived", "arrived", "waiting")
            ),
        },
        changes_database=False,
        method="GET",
    ),
    Form(
        "stories-list",
        "stories.index",
        ("anonymous", "staff"),
        lambda w: ["/stories"],
        story_filters,
        changes_database=False,
        method="GET",
    ),
    Form(
        "people-list",
        "admin.people",
        ("admin",),
        lambda w: ["/admin/people"],
        lambda w: {
            "q": Field("text", "staff", near=("%", "_", "\\", "İ")),
            "role": Field("choice", "trust", ROLES),
            "status": Field("choice", "active", ("", "active", "invited", "deactivated")),
            "region": Field("choice", "london", ("", *REGIONS)),
            "trust": Field("choice", "RT1", TRUST_CODES),
            "page": Field("number", "1"),
        },
        changes_database=False,
        method="GET",
    ),
    Form(
        "trusts-list",
        "admin.trusts",
        ("admin",),
        lambda w: ["/admin/trusts"],
        lambda w: {
            "q": Field("text", "hospitals", near=("%", "_", "\\", "rt")),
            "region": Field("choice", "london", ("", *REGIONS)),
            "participating": Field("choice", "yes", ("", "yes", "no")),
            "page": Field("number", "1"),
        },
        changes_database=False,
        method="GET",
    ),
    Form(
        "audit-log",
        "admin.audit_log",
        ("admin",),
        lambda w: ["/admin/audit"],
        audit_filters,
        changes_database=False,
        method="GET",
    ),
    Form(
        "audit-csv",
        "admin.audit_csv",
        ("admin",),
        lambda w: ["/admin/audit.csv"],
        audit_filters,
        changes_database=False,
        method="GET",
    ),
    Form(
        "mail-list",
        "admin.mail",
        ("admin",),
        lambda w: ["/admin/mail"],
        lambda w: {"page": Field("number", "1")},
        changes_database=False,
        method="GET",
    ),
]

#: POST routes deliberately not fuzzed, endpoint -> the reason. Every other POST route must be in
#: FORMS. None today: even the forms with only a CSRF token (sign out, keep-alive, publish,
#: withdraw…) are fuzzed, with unknown fields and repeated keys.
NOT_FUZZED: dict[str, str] = {}


def test_every_post_route_is_fuzzed_or_excluded(app: Flask) -> None:
    rules = list(app.url_map.iter_rules())
    posted = {rule.endpoint for rule in rules if "POST" in (rule.methods or ())}
    fuzzed = {form.endpoint for form in FORMS}
    assert not fuzzed & set(NOT_FUZZED), "a route is both fuzzed and excluded"
    assert fuzzed | set(NOT_FUZZED) <= posted, "stale entries: no such POST route"
    assert posted - fuzzed - set(NOT_FUZZED) == set(), "POST routes neither fuzzed nor excluded"
    read = {rule.endpoint for rule in rules if "GET" in (rule.methods or ())}
    assert {form.endpoint for form in SEARCHES} <= read, "no such GET route"
    assert {form.method for form in FORMS} == {"POST"}
    assert {form.method for form in SEARCHES} == {"GET"}
    ids = [form.id for form in FORMS + SEARCHES]
    assert len(set(ids)) == len(ids), "test ids must be unique"


def _valid(fields: dict[str, Field]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, spec in fields.items():
        if spec.kind == "date":
            for part in ("day", "month", "year"):
                data[f"{name}-{part}"] = str(getattr(spec.valid, part)) if spec.valid else ""
        elif spec.kind == "check":
            if spec.valid:
                data[name] = "y"
        else:
            data[name] = spec.valid
    return data


@dataclass
class Outcome:
    status: int
    body: str
    before: Snapshot
    after: Snapshot


def post_form(
    world: World,
    form: Form,
    who: str,
    path: str,
    submission: dict[str, Any],
    headers: dict[str, str],
    setup: Any = None,
) -> Outcome:
    """Post one submission inside a savepoint that is rolled back, reading the database around it."""
    with rolled_back_example():
        limiter.reset()
        client, csrf = world.client(who)
        if form.prepare is not None:
            path = form.prepare(client, csrf, world, setup, submission) or path
        before = snapshot(world.tables)
        if form.method == "GET":
            response = client.get(path, headers=headers, query_string=submission)
        else:
            response = client.post(path, headers=headers, **request_body(submission, csrf))
        after = snapshot(world.tables)
    return Outcome(response.status_code, response.get_data(as_text=True), before, after)


@pytest.mark.parametrize("form", FORMS + SEARCHES, ids=lambda form: form.id)
def test_the_valid_submission_is_accepted(world: World, form: Form) -> None:
    """The fuzzers start from values each form accepts: check that it does."""
    path = form.paths(world)[0]
    outcome = post_form(world, form, form.users[0], path, _valid(form.fields(world)), {})
    assert outcome.status in (200, 204, 303), outcome.body[:2000]
    if form.method == "GET":
        assert outcome.status == 200
    if form.changes_database:
        assert outcome.before != outcome.after, "the valid submission changed nothing"


@pytest.mark.parametrize("form", FORMS + SEARCHES, ids=lambda form: form.id)
@FUZZ
@given(data=st.data())
def test_hostile_submissions_never_fail_and_rejections_change_nothing(
    world: World, form: Form, data: st.DataObject
) -> None:
    who = data.draw(st.sampled_from(form.users), label="posted by")
    path = data.draw(st.sampled_from(form.paths(world)), label="path")
    headers = data.draw(HTMX_HEADERS, label="headers")
    submission = data.draw(submissions(form.fields(world)), label="form")
    setup = data.draw(form.setup, label="setup")
    world.session_for(who)  # before the example's savepoint: signing in is not under test
    outcome = post_form(world, form, who, path, submission, headers, setup)
    event(f"status {outcome.status}")  # see --hypothesis-show-statistics
    assert outcome.status < 500, f"{outcome.status} from {path}:\n{outcome.body[:3000]}"
    if form.method == "GET" or 400 <= outcome.status < 500:
        assert outcome.before == outcome.after, (
            f"{outcome.status} from {path}, but the database changed:\n"
            + describe_difference(outcome.before, outcome.after)
        )
