"""The audit log in words: each entry as a sentence, with the objects it names looked up now.

The log holds ids and field names, never attendees' personal data (DESIGN.md), so names and
titles come from their own tables when the page is shown: one query for each kind of object, the
same six on every page, whatever its length and whatever it names. An attendee erased or purged
is "an attendee" (and one whose booking is gone, "an attendee whose booking has since been
removed"); an event, story, trust, region or account that is gone is "a deleted event" and so on.

Every action the portal records has a sentence in `SENTENCES` (tests/admin/test_audit_sentences.py
scans portal/ for them); one without falls back to a plain "did registration.checked_in to ...".
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from sqlalchemy.orm import lazyload

from portal.audit.models import AuditEntry
from portal.auth.models import Role, User
from portal.events.models import NetworkEvent
from portal.extensions import db
from portal.measures.models import Measure
from portal.regions.models import Region, Trust
from portal.registrations.models import Registration
from portal.stories.models import Story
from portal.stories.service import can_see
from portal.web.dates import LONDON, long_date, short_time
from portal.web.urls import row_url

#: How many ids one lookup asks for at once (the CSV export may name thousands).
CHUNK = 500


# --- Sentences -----------------------------------------------------------------------------------

#: What to call each placeholder, besides {actor} and {object}: {event}, {trust}, {attendee},
#: {month}, {role}, {measure}, {recorded_title} and {after.FIELD} / {before.FIELD}.
Template = str | Callable[[AuditEntry], str]


def _count(n: object, one: str, many: str | None = None) -> str:
    number = n if isinstance(n, int) else 0
    return f"{number} {one if number == 1 else (many or one + 's')}"


def _details(entry: AuditEntry) -> dict[str, Any]:
    return {**(entry.before or {}), **(entry.after or {})}


def _withdrawn(entry: AuditEntry) -> str:
    if _details(entry).get("by") == "attendee":
        return "{attendee} withdrew from {event}"
    return "{actor} withdrew {attendee} from {event}"


def _event_deleted(entry: AuditEntry) -> str:
    if (entry.before or {}).get("title"):
        return "{actor} deleted the draft event {recorded_title}"
    return "{actor} deleted a draft event"


def _purged(entry: AuditEntry) -> str:
    after = entry.after or {}
    text = "{actor} erased the details of " + _count(after.get("registrations"), "attendee")
    text += " of past events"
    if after.get("needs"):
        text += ", and the access and dietary needs of " + _count(after["needs"], "more attendee")
    return text


def _person_erased(entry: AuditEntry) -> str:
    count = _count((entry.after or {}).get("registrations"), "booking")
    return "{actor} erased one person's details at their request (" + count + ")"


def _trusts_told(entry: AuditEntry) -> str:
    people = _count((entry.after or {}).get("people"), "person", "people")
    return "{actor} announced {object} to " + people + " at the trusts that may book"


def _focus_set(entry: AuditEntry) -> str:
    if not (entry.after or {}).get("focus"):
        return "{actor} cleared the focus characteristics of {object}"
    return "{actor} chose the focus characteristics of {object}"


def _target_set(entry: AuditEntry) -> str:
    if (entry.after or {}).get("target") is None:
        return "{actor} removed the target for the {measure} of {object}"
    return "{actor} set a target for the {measure} of {object}"


SENTENCES: dict[str, Template] = {
    # Events
    "event.created": "{actor} created {object} as a draft",
    "event.edited": "{actor} changed the details of {object}",
    "event.published": "{actor} published {object}",
    "event.cancelled": "{actor} cancelled {object}",
    "event.deleted": _event_deleted,
    "event.trusts_told": _trusts_told,
    "event.trust_limit_raised": "{actor} let {trust} have up to {after.places} people at {object}",
    "event.focus_set": _focus_set,
    # Registrations (ids and field names only: the attendee is looked up now)
    "registration.confirmed": "{actor} booked a place for {attendee} at {event}",
    "registration.waitlisted": "{actor} put {attendee} on the waiting list for {event}",
    "registration.promoted": "{attendee} moved from the waiting list to a place at {event}",
    "registration.withdrawn": _withdrawn,
    "registration.removed": "{actor} removed {attendee} from {event}",
    "registration.checked_in": "{actor} checked in {attendee} at {event}",
    "registration.check_in_undone": "{actor} undid the check-in of {attendee} at {event}",
    "registration.changed": "{actor} changed the booking of {attendee} for {event}",
    "registration.place_offered": (
        "{actor} offered {attendee} a free place at {event} beyond their trust's places"
    ),
    "privacy.purged": _purged,
    "privacy.person_erased": _person_erased,
    # Stories
    "story.created": "{actor} started writing {object}",
    "story.submitted": "{actor} sent {object} for review",
    "story.published": "{actor} approved and published {object}",
    "story.returned": "{actor} returned {object} to its trust with comments",
    "story.withdrawn": "{actor} withdrew {object} from the portal",
    "story.deleted": "{actor} deleted a draft story",
    # People
    "user.created": "{actor} added {object} as {role}",
    "user.invited": "{actor} invited {object} to join as {role}",
    "user.invitation_resent": "{actor} sent {object} a new invitation",
    "user.invitation_revoked": "{actor} cancelled the invitation of {object}",
    "user.invitation_accepted": "{object} accepted their invitation",
    "user.role_changed": "{actor} made {object} {role}",
    "user.deactivated": "{actor} deactivated the account of {object}",
    "user.reactivated": "{actor} reactivated the account of {object}",
    "user.updated": "{object} changed their name",
    "user.password_changed": "{object} changed their password",
    "user.password_reset_requested": "{object} asked for a link to reset their password",
    "user.password_reset": "{object} reset their password",
    "user.feed_created": "{object} made a private calendar address",
    "user.feed_reset": "{object} replaced their private calendar address",
    # The directory
    "trust.created": "{actor} added {object} to the directory",
    "trust.updated": "{actor} changed the details of {object}",
    "region.updated": "{actor} changed the details of {object}",
    # Measures and Robson groups
    "measures.month_added": "{actor} entered the figures of {trust} for {month}",
    "measures.month_corrected": "{actor} corrected the figures of {trust} for {month}",
    "measures.published": "{actor} published the charts of {object}",
    "measures.unpublished": "{actor} stopped publishing the charts of {object}",
    "measures.change_marked": "{actor} marked a change in {month} on the charts of {trust}",
    "measures.change_removed": "{actor} removed the change marked in {month} from the charts of {trust}",
    "measures.target_set": _target_set,
    "robson.month_added": "{actor} entered the Robson group counts of {trust} for {month}",
    "robson.month_corrected": "{actor} corrected the Robson group counts of {trust} for {month}",
    # Self-assessments against the toolkit
    "assessment.round_started": (
        "{actor} started a self-assessment of {trust} against version {after.version} of the "
        "toolkit"
    ),
    "assessment.answers_saved": "{actor} saved answers in {object}",
    "assessment.round_completed": "{actor} completed {object}",
    "assessment.priorities_set": "{actor} chose the priorities of {object}",
    "assessment.action_added": "{actor} added {object} to the plan of self-assessment round "
    "{after.round_id}",
    "assessment.action_updated": "{actor} updated {object}",
    "assessment.round_shared": (
        "{actor} shared {object} with the region's coordinator and the programme team"
    ),
    "assessment.round_unshared": "{actor} stopped sharing {object}",
    # Mail and the toolkit
    "mail.retried": "{actor} put {object} back in the queue to be sent again",
    "toolkit.version_loaded": "{actor} loaded version {after.number} of the toolkit framework",
}

#: For an action without a sentence of its own.
GENERIC = "{actor} did {action} to {object}"


def template_for(entry: AuditEntry) -> str:
    found = SENTENCES.get(entry.action)
    if found is None:
        return GENERIC
    return found(entry) if callable(found) else found


# --- What a sentence is made of ------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """An object as a sentence names it: its name now, a link while it exists."""

    text: str
    url: str | None = None
    quoted: bool = False  # titles of events and stories, in quotation marks
    code: bool = False  # an action's code name, in the generic sentence

    def __str__(self) -> str:
        return f"“{self.text}”" if self.quoted else self.text

    def __html__(self) -> str:
        # Escaped by hand and joined with f-strings: Markup.format parses its template on every
        # call, and an audit page names hundreds of objects.
        text = escape(self.text)
        inner = f"<code>{text}</code>" if self.code else f"<bdi>{text}</bdi>"
        if self.url:
            inner = f'<a href="{escape(self.url)}">{inner}</a>'
        return Markup(f"“{inner}”" if self.quoted else inner)


@dataclass(frozen=True)
class Sentence:
    parts: tuple[str | Named, ...]

    def __str__(self) -> str:
        return "".join(str(part) for part in self.parts)

    def __html__(self) -> str:
        return Markup("").join(escape(part) for part in self.parts)


@dataclass(frozen=True)
class WordedChange:
    """One field of an entry's details, in words: before (None if new) and after (None if gone)."""

    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class DescribedEntry:
    entry: AuditEntry
    sentence: Sentence
    changes: list[WordedChange]

    @property
    def local(self) -> datetime:
        return self.entry.at.astimezone(LONDON)

    @property
    def time(self) -> str:
        """HH:MM in England."""
        return f"{self.local:%H:%M}"


@dataclass
class AuditDay:
    day: date
    entries: list[DescribedEntry] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return long_date(self.day)


# --- Looking names up ----------------------------------------------------------------------------


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 12:
        return int(value)
    return None


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    """The values in lists of at most CHUNK; one empty list when there are none, so that each
    lookup runs once on every page, whichever kinds of object the page happens to name."""
    ordered = sorted(values, key=str)
    yield ordered[:CHUNK]
    for start in range(CHUNK, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _month_words(value: object) -> str | None:
    if isinstance(value, str) and len(value) == 7 and value[4] == "-":
        try:
            month = date(int(value[:4]), int(value[5:]), 1)
        except ValueError:
            return None
        return f"{month:%B} {month.year}"
    return None


@dataclass(frozen=True)
class _Attendee:
    event_id: int
    name: str | None  # None once erased


class Names:
    """The names of everything a list of entries refers to, looked up in one query per kind.

    `personal=False` names no attendee (for the CSV file, which leaves the portal and would
    keep a name that erasure removes here)."""

    def __init__(self, entries: Sequence[AuditEntry], *, viewer: object, personal: bool = True):
        self.viewer = viewer
        self.personal = personal
        ids: dict[str, set[int]] = {
            kind: set() for kind in ("registration", "event", "story", "user", "trust", "region")
        }
        trust_codes: set[str] = set()
        for entry in entries:
            own = _int(entry.object_id)
            if entry.object_type in ids and own is not None:
                ids[entry.object_type].add(own)
            for state in (entry.before or {}, entry.after or {}):
                for key, kind in (("event_id", "event"), ("trust_id", "trust")):
                    if (found := _int(state.get(key))) is not None:
                        ids[kind].add(found)
                if (found := _int(state.get("region_id"))) is not None:
                    ids["region"].add(found)
                if isinstance(state.get("trust"), str):
                    trust_codes.add(state["trust"])

        self.attendees: dict[int, _Attendee] = {}
        for chunk in _chunks(ids["registration"]):
            rows = db.session.execute(
                select(
                    Registration.id,
                    Registration.event_id,
                    Registration.attendee_name,
                    Registration.erased_at,
                ).where(Registration.id.in_(chunk))
            )
            for row in rows:
                name = row.attendee_name if row.erased_at is None else None
                self.attendees[row.id] = _Attendee(row.event_id, name)
                ids["event"].add(row.event_id)

        self.events: dict[int, str] = {}
        for chunk in _chunks(ids["event"]):
            events = select(NetworkEvent.id, NetworkEvent.title).where(NetworkEvent.id.in_(chunk))
            self.events.update({row.id: row.title for row in db.session.execute(events)})

        self.stories: dict[int, Story] = {}
        for chunk in _chunks(ids["story"]):
            stories = (
                select(Story)
                .where(Story.id.in_(chunk))
                .options(lazyload(Story.pathway_links), lazyload(Story.measures))
            )
            self.stories.update({story.id: story for story in db.session.scalars(stories)})

        self.users: dict[int, tuple[str, str]] = {}
        for chunk in _chunks(ids["user"]):
            users = select(User.id, User.name, User.email).where(User.id.in_(chunk))
            self.users.update({row.id: (row.name, row.email) for row in db.session.execute(users)})

        self.trusts: dict[int, tuple[str, str]] = {}
        self.trust_codes: dict[str, int] = {}
        for chunk in _chunks([*ids["trust"], *trust_codes]):
            trusts = select(Trust.id, Trust.name, Trust.ods_code).where(
                or_(
                    Trust.id.in_([v for v in chunk if isinstance(v, int)]),
                    Trust.ods_code.in_([v for v in chunk if isinstance(v, str)]),
                )
            )
            for trust in db.session.execute(trusts):
                self.trusts[trust.id] = (trust.name, trust.ods_code)
                self.trust_codes[trust.ods_code] = trust.id

        # Ten regions: all of them, in one query.
        self.regions: dict[int, tuple[str, str]] = {}
        self.region_slugs: dict[str, int] = {}
        for region in db.session.execute(select(Region.id, Region.name, Region.slug)):
            self.regions[region.id] = (region.name, region.slug)
            self.region_slugs[region.slug] = region.id

    # Each kind of object, named.

    def actor(self, entry: AuditEntry) -> Named:
        person = entry.actor
        if person is None:
            return Named("The portal")
        return Named(person.name or person.email, row_url("auth.person", user_id=person.id))

    def attendee(self, registration_id: int | None) -> Named:
        found = self.attendees.get(registration_id) if registration_id is not None else None
        if found is None:
            return Named("an attendee whose booking has since been removed")
        if not self.personal:
            return Named(f"the attendee of booking {registration_id}")
        if found.name is None:
            return Named("an attendee")
        return Named(found.name, row_url("registrations.attendees", event_id=found.event_id))

    def event(self, event_id: int | None) -> Named:
        if event_id is None or event_id not in self.events:
            return Named("a deleted event")
        title = self.events[event_id]
        return Named(title, row_url("events.event", event_id=event_id), quoted=True)

    def story(self, story_id: int | None) -> Named:
        story = self.stories.get(story_id) if story_id is not None else None
        if story is None:
            return Named("a deleted story")
        url = row_url("stories.story", story_id=story.id) if can_see(self.viewer, story) else None
        return Named(story.display_title, url, quoted=True)

    def user(self, user_id: int | None) -> Named:
        if user_id is None or user_id not in self.users:
            return Named("a deleted account")
        name, email = self.users[user_id]
        return Named(name or email, row_url("auth.person", user_id=user_id))

    def trust(self, trust: int | str | None) -> Named:
        trust_id = self.trust_codes.get(trust) if isinstance(trust, str) else trust
        found = self.trusts.get(trust_id) if trust_id is not None else None
        if found is None:
            return Named("a deleted trust")
        name, code = found
        return Named(name, url_for("regions.trust", ods_code=code))

    def region(self, region: int | str | None) -> Named:
        region_id = self.region_slugs.get(region) if isinstance(region, str) else region
        found = self.regions.get(region_id) if region_id is not None else None
        if found is None:
            return Named("a deleted region")
        name, slug = found
        return Named(name, url_for("regions.region", slug=slug))

    def object(self, entry: AuditEntry) -> Named:
        own = _int(entry.object_id)
        details = _details(entry)
        kind = entry.object_type
        if kind == "event":
            return self.event(own)
        if kind == "story":
            return self.story(own)
        if kind == "user":
            return self.user(own)
        if kind == "trust":
            return self.trust(own)
        if kind == "region":
            return self.region(own)
        if kind == "registration":
            return self.attendee(own)
        if kind == "outbox_message":
            return Named(f"message {entry.object_id}", url_for("admin.mail"))
        if kind in ("monthly_counts", "robson_months", "measure_change") and "trust" in details:
            month = _month_words(details.get("month")) or "a month"
            return Named(f"the figures of {self.trust(details['trust'])} for {month}")
        if kind == "assessment_rounds":
            return Named(f"self-assessment round {entry.object_id}")
        if kind == "assessment_actions":
            return Named(f"improvement action {entry.object_id}")
        if kind == "toolkit_versions" and "number" in details:
            return Named(f"version {details['number']} of the toolkit framework")
        return Named(f"{kind} {entry.object_id}")

    # The sentence.

    def placeholder(self, name: str, entry: AuditEntry) -> Named:
        details = _details(entry)
        if name == "actor":
            return self.actor(entry)
        if name == "object":
            return self.object(entry)
        if name == "action":
            return Named(entry.action, code=True)
        if name == "attendee":
            return self.attendee(_int(entry.object_id))
        if name == "event":
            event_id = _int(details.get("event_id"))
            if event_id is None and (found := self.attendees.get(_int(entry.object_id) or -1)):
                event_id = found.event_id
            return self.event(event_id)
        if name == "trust":
            if "trust" in details:
                return self.trust(details["trust"])
            return self.trust(_int(details.get("trust_id")))
        if name == "month":
            return Named(_month_words(details.get("month")) or "a month")
        if name == "role":
            role = (entry.after or {}).get("role")
            return Named(Role(role).in_sentence if role in set(Role) else "someone without a role")
        if name == "measure":
            measure = details.get("measure")
            label = Measure(measure).label if measure in set(Measure) else "a measure"
            # "the total caesarean section rate", but "the VBAC rate".
            return Named(label if label[:2].isupper() else label[0].lower() + label[1:])
        if name == "recorded_title":
            return Named(str((entry.before or {}).get("title", "")), quoted=True)
        side, _, key = name.partition(".")
        if side in ("after", "before") and key:
            state = (entry.after if side == "after" else entry.before) or {}
            return Named(self.value(key, state.get(key)))
        raise KeyError(f"{entry.action}: no placeholder {{{name}}}")

    def sentence(self, entry: AuditEntry) -> Sentence:
        parts: list[str | Named] = []
        for literal, name, _spec, _conversion in string.Formatter().parse(template_for(entry)):
            if literal:
                parts.append(literal)
            if name is not None:
                parts.append(self.placeholder(name, entry))
        # A sentence starts with a capital, whatever its first name ("an attendee withdrew").
        if parts and isinstance(parts[0], Named) and parts[0].text[:1].islower():
            first = parts[0]
            parts[0] = Named(first.text[0].upper() + first.text[1:], first.url, first.quoted)
        return Sentence(tuple(parts))

    # The details, in words.

    def value(self, key: str, value: Any) -> str:
        """One recorded value as a person reads it."""
        if value is None:
            return "none"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, list):
            return ", ".join(CHANGED_FIELDS.get(str(v), str(v).replace("_", " ")) for v in value)
        if key == "event_id":
            return str(self.event(_int(value)))
        if key in ("trust_id", "trust"):
            return str(self.trust(value if isinstance(value, str) else _int(value)))
        if key in ("region_id", "region"):
            return str(self.region(value if isinstance(value, str) else _int(value)))
        if key == "role" and value in set(Role):
            return Role(value).label
        if key == "measure" and value in set(Measure):
            return Measure(value).label
        if key == "month" and (month := _month_words(value)):
            return month
        if isinstance(value, str):
            if key in DATE_FIELDS:
                try:
                    return long_date(date.fromisoformat(value))
                except ValueError:
                    pass
            if key in TIME_FIELDS:
                try:
                    return short_time(time.fromisoformat(value))
                except ValueError:
                    pass
            if key in STATE_FIELDS:
                return value.replace("_", " ").capitalize()
            return value if len(value) <= 200 else value[:199] + "…"
        return str(value)

    def changes(self, entry: AuditEntry) -> list[WordedChange]:
        """The fields an entry records, changed ones only, labelled in words."""
        before, after = entry.before or {}, entry.after or {}
        found = []
        for key in dict.fromkeys([*before, *after]):
            if key in before and key in after and before[key] == after[key]:
                continue
            found.append(
                WordedChange(
                    label_of(key),
                    self.value(key, before[key]) if key in before else None,
                    self.value(key, after[key]) if key in after else None,
                )
            )
        return found

    def describe(self, entry: AuditEntry) -> DescribedEntry:
        return DescribedEntry(entry, self.sentence(entry), self.changes(entry))


# --- Labels for recorded fields ------------------------------------------------------------------

LABELS = {
    # Events
    "title": "Title",
    "summary": "Summary",
    "description": "Description",
    "event_date": "Date",
    "start_time": "Starts",
    "end_time": "Ends",
    "venue_name": "Venue",
    "venue_address": "Venue address",
    "venue_postcode": "Postcode",
    "online_url": "Online joining link",
    "capacity": "Places",
    "trust_cap": "Places for each trust",
    "registration_deadline": "Booking closes",
    "open_to_all_regions": "Open to every region",
    "state": "State",
    "reason": "Reason",
    # Registrations
    "event_id": "Event",
    "trust_id": "Trust",
    "by": "By",
    "attended": "Checked in",
    "places": "Places for the trust",
    "changed": "Changed",
    # Stories
    "comment": "Comment to the trust",
    # People, trusts and regions
    "role": "Role",
    "region_id": "Region",
    "name": "Name",
    "short_name": "Short name",
    "ods_code": "ODS code",
    "region": "Region",
    "trust": "Trust",
    "participating": "Taking part in the programme",
    "slug": "Name in web addresses",
    "contact_name": "Coordinator's name",
    "contact_email": "Coordinator's e-mail address",
    "contact_phone": "Coordinator's phone number",
    "contact_is_demo": "Demo contact details",
    # Measures
    "month": "Month",
    "deliveries": "Deliveries with a known method",
    "caesareans_elective": "Elective caesareans",
    "caesareans_emergency": "Emergency caesareans",
    "normal_births": "Normal births",
    "previous_caesarean": "Women with a previous caesarean",
    "vbac": "Vaginal births after caesarean",
    "published": "Charts published",
    "measure": "Measure",
    "target": "Target",
    "note": "Note",
    # Mail, privacy, the toolkit
    "status": "Status",
    "attempts": "Attempts",
    "registrations": "Bookings",
    "needs": "Access and dietary needs erased",
    "messages": "Stored messages erased",
    "number": "Version",
    "file": "File",
    "characteristics": "Characteristics",
    "positions": "Spectrum positions",
    "people": "People told",
    # Self-assessments
    "version": "Toolkit version",
    "held_on": "Held on",
    "participants": "Taking part",
    "characteristic_ids": "Characteristics",
    "fields": "Fields changed",
    "answers": "Answers",
    "round_id": "Self-assessment round",
    "pathway": "Pathway",
    "characteristic_code": "Characteristic",
    "owner_role": "Owner",
    "focus": "Focus characteristics",
}
#: The fields a booking change names (never their values).
CHANGED_FIELDS = {
    "attendee_name": "name",
    "attendee_email": "e-mail address",
    "job_role": "job role",
    "access_needs": "access needs",
    "dietary_needs": "dietary needs",
}
DATE_FIELDS = {"event_date", "registration_deadline", "held_on"}
TIME_FIELDS = {"start_time", "end_time"}
STATE_FIELDS = {"state", "by", "status"}


def label_of(key: str) -> str:
    """A recorded field's label ("ods_code" -> "ODS code"); unknown ones lose their underscores."""
    found = LABELS.get(key)
    if found is not None:
        return found
    words = key.replace("_", " ")
    return words[:1].upper() + words[1:]


# --- The page ------------------------------------------------------------------------------------


def described(entries: Sequence[AuditEntry], *, viewer: object) -> list[DescribedEntry]:
    names = Names(entries, viewer=viewer)
    return [names.describe(entry) for entry in entries]


def by_london_day(entries: Sequence[DescribedEntry]) -> list[AuditDay]:
    """Entries (newest first) under the day they happened in England, newest day first."""
    days: list[AuditDay] = []
    for item in entries:
        day = item.local.date()
        if not days or days[-1].day != day:
            days.append(AuditDay(day))
        days[-1].entries.append(item)
    return days
