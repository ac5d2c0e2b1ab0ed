"""Self-assessment shared with the network: a trust shares a completed round with its region's
coordinator (and through them the programme team); what the shared rounds say together — which
characteristics are most often priorities, where the gaps are largest, where trusts sit on each
spectrum and how they moved; and the characteristics a network event focuses on.

Only shared, completed rounds are read here, and only as counts across trusts: a trust's notes of
evidence and its action plan stay its own. Characteristics are named by pathway and code, so that
rounds made against different versions of the framework count together; their wording comes from
the current version (or, for one it no longer has, from the latest round that used it).
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from portal.assessments.models import (
    AssessmentRound,
    Characteristic,
    EventFocus,
    RoundAnswer,
)
from portal.assessments.pathways import Pathway
from portal.assessments.service import PATHWAY_ORDER, current_version
from portal.audit.service import record
from portal.auth.models import User
from portal.database import write_transaction
from portal.events.locks import lock_event
from portal.events.models import NetworkEvent
from portal.extensions import db
from portal.regions.models import Trust
from portal.web.dates import today_in_london

#: A characteristic across versions of the framework: its pathway and code.
Key = tuple[Pathway, str]


# --- The shared rounds ----------------------------------------------------------------------------


def shared_rounds(trusts: Sequence[Trust]) -> dict[int, list[AssessmentRound]]:
    """Each trust's shared, completed rounds, the latest meeting first (trusts without one are
    left out), read in a fixed number of statements whatever the number of trusts."""
    if not trusts:
        return {}
    rows = db.session.scalars(
        select(AssessmentRound)
        .where(
            AssessmentRound.trust_id.in_([t.id for t in trusts]),
            AssessmentRound.completed_at.is_not(None),
            AssessmentRound.shared_at.is_not(None),
        )
        .order_by(AssessmentRound.held_on.desc(), AssessmentRound.id.desc())
        .options(
            selectinload(AssessmentRound.answers)
            .selectinload(RoundAnswer.characteristic)
            .selectinload(Characteristic.positions),
            selectinload(AssessmentRound.trust),
        )
    )
    by_trust: dict[int, list[AssessmentRound]] = defaultdict(list)
    for round_ in rows:
        by_trust[round_.trust_id].append(round_)
    return dict(by_trust)


# --- What the shared rounds say together ---------------------------------------------------------


class Moved(enum.StrEnum):
    UP = "up"
    SAME = "same"
    DOWN = "down"


@dataclass
class CharacteristicAcross:
    """One characteristic across trusts' latest shared rounds: how many answered it, how many
    made it a priority, their gaps (aspired minus current), how many are at each current
    position, and, for trusts with an earlier shared round that answered it too, how their
    current position moved."""

    pathway: Pathway
    code: str
    wording: str
    #: The number of positions on its spectrum (the most any round's version gave it).
    positions: int
    place: int
    answered: int = 0
    priority_for: int = 0
    gaps: list[int] = field(default_factory=list)
    at_position: Counter[int] = field(default_factory=Counter)
    moved: Counter[Moved] = field(default_factory=Counter)

    @property
    def key(self) -> Key:
        return (self.pathway, self.code)

    @property
    def largest_gap(self) -> int:
        return max(self.gaps, default=0)

    @property
    def total_gap(self) -> int:
        """The steps the trusts aspire to move up, together (a step back counts as none)."""
        return sum(max(g, 0) for g in self.gaps)

    @property
    def trusts_with_gap(self) -> int:
        return sum(1 for g in self.gaps if g > 0)

    @property
    def mean_gap(self) -> float:
        return sum(self.gaps) / len(self.gaps) if self.gaps else 0.0

    def trusts_at(self, position: int) -> int:
        return self.at_position[position]


@dataclass(frozen=True)
class SharingTrust:
    """A trust whose rounds count: its latest shared round and the pathways it covered."""

    trust: Trust
    latest: AssessmentRound
    rounds: int


@dataclass(frozen=True)
class NetworkPicture:
    """What the shared rounds of a set of trusts say together."""

    trusts: int  # trusts in the set
    sharing: list[SharingTrust]  # those with a shared, completed round, by name
    characteristics: list[CharacteristicAcross]  # in the toolkit's order
    #: Per pathway, the trusts whose latest shared round covered it.
    covered: dict[Pathway, int]

    @property
    def most_positions(self) -> int:
        return max((c.positions for c in self.characteristics), default=0)

    def in_pathway(self, pathway: Pathway) -> list[CharacteristicAcross]:
        return [c for c in self.characteristics if c.pathway is pathway]

    @property
    def pathways(self) -> list[Pathway]:
        return [p for p in Pathway if self.in_pathway(p)]

    @property
    def priorities(self) -> list[CharacteristicAcross]:
        """Characteristics some trust made a priority: the most often first, then the larger
        gaps together, then the toolkit's order."""
        chosen = [c for c in self.characteristics if c.priority_for]
        return sorted(chosen, key=lambda c: (-c.priority_for, -c.total_gap, *_order(c)))

    @property
    def largest_gaps(self) -> list[CharacteristicAcross]:
        """Characteristics some trust aspires to move up on: the largest gaps together first."""
        wanted = [c for c in self.characteristics if c.total_gap]
        return sorted(wanted, key=lambda c: (-c.total_gap, -c.largest_gap, *_order(c)))

    def priority_counts(self) -> dict[Key, int]:
        return {c.key: c.priority_for for c in self.characteristics}


def _order(c: CharacteristicAcross) -> tuple[int, int, str]:
    return (PATHWAY_ORDER[c.pathway], c.place, c.code)


def _current_wording() -> dict[Key, tuple[str, int, int]]:
    """The current version's characteristics: wording, number of positions and place."""
    version = current_version()
    if version is None:
        return {}
    rows = db.session.scalars(
        select(Characteristic)
        .where(Characteristic.version_id == version.id)
        .options(selectinload(Characteristic.positions))
    )
    return {(c.pathway, c.code): (c.wording, len(c.positions), c.place) for c in rows}


def network_picture(trusts: Sequence[Trust]) -> NetworkPicture:
    """Count what the trusts' latest shared rounds say, characteristic by characteristic."""
    rounds = shared_rounds(trusts)
    current = _current_wording()
    across: dict[Key, CharacteristicAcross] = {}

    def entry(c: Characteristic) -> CharacteristicAcross:
        key = (c.pathway, c.code)
        found = across.get(key)
        if found is None:
            wording, positions, place = current.get(key, (c.wording, len(c.positions), c.place))
            found = across[key] = CharacteristicAcross(c.pathway, c.code, wording, positions, place)
        found.positions = max(found.positions, len(c.positions))
        return found

    covered: Counter[Pathway] = Counter()
    sharing = []
    for trust_rounds in rounds.values():
        latest, earlier = trust_rounds[0], trust_rounds[1:]
        sharing.append(SharingTrust(latest.trust, latest, len(trust_rounds)))
        covered.update(latest.chosen_pathways)
        before: dict[Key, int] = {}
        if earlier:
            for answer in earlier[0].answers:
                if answer.current_position is not None:
                    before[(answer.characteristic.pathway, answer.characteristic.code)] = (
                        answer.current_position
                    )
        for answer in latest.answers:
            if answer.current_position is None or answer.aspired_position is None:
                continue
            c = entry(answer.characteristic)
            c.answered += 1
            c.priority_for += answer.priority
            c.gaps.append(answer.aspired_position - answer.current_position)
            c.at_position[answer.current_position] += 1
            was = before.get(c.key)
            if was is not None:
                now = answer.current_position
                c.moved[Moved.UP if now > was else Moved.DOWN if now < was else Moved.SAME] += 1
    return NetworkPicture(
        trusts=len(trusts),
        sharing=sorted(sharing, key=lambda s: s.trust.name),
        characteristics=sorted(across.values(), key=_order),
        covered=dict(covered),
    )


# --- The characteristics an event focuses on -----------------------------------------------------


@dataclass(frozen=True)
class FocusChoice:
    """A characteristic of the current version a coordinator may choose as an event's focus,
    with how many of the region's sharing trusts made it a priority."""

    pathway: Pathway
    code: str
    wording: str
    priority_for: int

    @property
    def key(self) -> Key:
        return (self.pathway, self.code)

    @property
    def value(self) -> str:
        return f"{self.pathway.value}:{self.code}"


def focus_choices(priority_counts: dict[Key, int]) -> list[FocusChoice]:
    """The current version's characteristics, the region's most frequent priorities first (then
    the toolkit's order); none before a framework is loaded."""
    current = _current_wording()
    choices = [
        (
            PATHWAY_ORDER[pathway],
            place,
            FocusChoice(pathway, code, wording, priority_counts.get((pathway, code), 0)),
        )
        for (pathway, code), (wording, _, place) in current.items()
    ]
    choices.sort(key=lambda row: (-row[2].priority_for, row[0], row[1]))
    return [choice for _, _, choice in choices]


def parse_focus_value(value: str) -> Key | None:
    pathway, _, code = value.partition(":")
    try:
        return (Pathway(pathway), code) if code else None
    except ValueError:
        return None


def focus_by_event(events: Iterable[NetworkEvent]) -> dict[int, list[Key]]:
    """Each event's focus characteristics in the toolkit's order, in one statement."""
    ids = [e.id for e in events]
    if not ids:
        return {}
    found: dict[int, list[Key]] = {i: [] for i in ids}
    for row in db.session.scalars(select(EventFocus).where(EventFocus.event_id.in_(ids))):
        found[row.event_id].append((row.pathway, row.characteristic_code))
    for keys in found.values():
        keys.sort(key=lambda k: (PATHWAY_ORDER[k[0]], k[1]))
    return found


def wording_of(keys: Iterable[Key]) -> dict[Key, str]:
    """The current version's wording of these characteristics (those it has)."""
    wanted = set(keys)
    if not wanted:
        return {}
    return {k: w for k, (w, _, _) in _current_wording().items() if k in wanted}


class FocusError(Exception):
    """A focus the rules refuse; nothing was changed."""


def may_focus(event: NetworkEvent, today: date | None = None) -> str | None:
    """Why this event's focus cannot be chosen now, or None."""
    if event.is_cancelled:
        return "This event is cancelled, so its focus cannot be changed."
    if event.event_date < (today or today_in_london()):
        return "This event has taken place, so its focus cannot be changed."
    return None


def set_focus(event: NetworkEvent, keys: Iterable[Key], *, actor: User) -> list[Key]:
    """Make these characteristics of the current version the event's focus (replacing any
    before); an empty choice clears it."""
    chosen = sorted(set(keys), key=lambda k: (PATHWAY_ORDER[k[0]], k[1]))
    with write_transaction():
        lock_event(event)
        problem = may_focus(event)
        if problem:
            raise FocusError(problem)
        known = _current_wording()
        unknown = [code for pathway, code in chosen if (pathway, code) not in known]
        if unknown:
            raise FocusError(
                "Choose characteristics of the current framework (not " + ", ".join(unknown) + ")."
            )
        before = focus_by_event([event])[event.id]
        if before != chosen:
            db.session.execute(delete(EventFocus).where(EventFocus.event_id == event.id))
            db.session.add_all(
                EventFocus(event_id=event.id, pathway=pathway, characteristic_code=code)
                for pathway, code in chosen
            )
            record(
                "event.focus_set",
                "event",
                event.id,
                actor=actor,
                before={"focus": [f"{p.value}:{c}" for p, c in before]},
                after={"focus": [f"{p.value}:{c}" for p, c in chosen]},
            )
        db.session.commit()
    return chosen


def latest_priorities(trust: Trust) -> list[tuple[Key, str]]:
    """The priorities of the trust's latest completed round (shared or not: this is for its own
    staff), in the toolkit's order, with the wording that round was made against."""
    round_ = db.session.scalar(
        select(AssessmentRound)
        .where(AssessmentRound.trust_id == trust.id, AssessmentRound.completed_at.is_not(None))
        .order_by(AssessmentRound.held_on.desc(), AssessmentRound.id.desc())
        .limit(1)
        .options(selectinload(AssessmentRound.answers).selectinload(RoundAnswer.characteristic))
    )
    if round_ is None:
        return []
    chosen = sorted(
        (a.characteristic for a in round_.answers if a.priority),
        key=lambda c: (PATHWAY_ORDER[c.pathway], c.place),
    )
    return [((c.pathway, c.code), c.wording) for c in chosen]
