"""The ten Robson groups as data, and the rules for reporting groups 2 and 4 whole or split.

Source: WHO, "Robson Classification: Implementation Manual" (2017). The ten groups take every
woman who gives birth, and each woman belongs to exactly one (`portal.robson.classify` applies
the definitions). Groups 2 and 4 may be subdivided: "a" when labour was induced, "b" when the
caesarean was done before labour began. The descriptions below are the portal's own plain words
for display, not the manual's text.

Whole or split, one period at a time. A trust that does not subdivide reports `2` (or `4`);
one that does reports `2a` and `2b` (or `4a` and `4b`). One period's counts (a trust's month,
one file of births) hold a group in one form only: `code_problems()` refuses `2` beside `2a` or
`2b`, since the same women would be counted twice, or some not at all, with no way to tell.
Groups 2 and 4 are decided separately: a trust may split 2 and not 4.

Mixing trusts that split with trusts that do not (`combine()`, for a region's or a year's
totals). The table shows `2a` and `2b` only when every period that gives a count for group 2
split it; if any period gave `2` whole, every period's `2a` and `2b` are added into `2` and the
table shows `2` alone. The same, separately, for group 4. So a row always holds every woman of
its group: a `2a` row that left out the women of trusts that do not split would show a group size
and a contribution that are too small, and no reader could tell. A period decides by the codes it
gives, not by their counts: `"2": (0, 0)` says the trust does not split (and so merges the
totals), while a period that gives no form of group 2 at all says nothing and leaves the choice
to the others. A period whose own codes are mixed is refused, not merged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class RobsonGroup:
    """One group (or subgroup) of the classification, as shown in a report."""

    code: str
    description: str
    #: The whole group a subgroup belongs to ("2" for "2a"); None for a group that is whole.
    parent: str | None = None


class GroupCounts(NamedTuple):
    """A group's women and the caesareans among them (a plain `(women, caesareans)` also does)."""

    women: int
    caesareans: int


#: Every group and subgroup, in the order a report lists them.
GROUPS: tuple[RobsonGroup, ...] = (
    RobsonGroup(
        "1",
        "First birth, one baby head first, 37 weeks or more, labour started on its own",
    ),
    RobsonGroup(
        "2",
        "First birth, one baby head first, 37 weeks or more, labour induced or caesarean "
        "before labour",
    ),
    RobsonGroup(
        "2a",
        "First birth, one baby head first, 37 weeks or more, labour induced",
        parent="2",
    ),
    RobsonGroup(
        "2b",
        "First birth, one baby head first, 37 weeks or more, caesarean before labour",
        parent="2",
    ),
    RobsonGroup(
        "3",
        "Has given birth before, no previous caesarean, one baby head first, 37 weeks or "
        "more, labour started on its own",
    ),
    RobsonGroup(
        "4",
        "Has given birth before, no previous caesarean, one baby head first, 37 weeks or "
        "more, labour induced or caesarean before labour",
    ),
    RobsonGroup(
        "4a",
        "Has given birth before, no previous caesarean, one baby head first, 37 weeks or "
        "more, labour induced",
        parent="4",
    ),
    RobsonGroup(
        "4b",
        "Has given birth before, no previous caesarean, one baby head first, 37 weeks or "
        "more, caesarean before labour",
        parent="4",
    ),
    RobsonGroup(
        "5",
        "At least one previous caesarean, one baby head first, 37 weeks or more",
    ),
    RobsonGroup("6", "First birth, one baby in breech position"),
    RobsonGroup(
        "7",
        "Has given birth before, one baby in breech position, with or without a previous caesarean",
    ),
    RobsonGroup(
        "8",
        "Twins or more, with or without a previous caesarean",
    ),
    RobsonGroup(
        "9",
        "One baby lying across (transverse) or at an angle (oblique), with or without a "
        "previous caesarean",
    ),
    RobsonGroup(
        "10",
        "One baby head first, before 37 weeks, with or without a previous caesarean",
    ),
)

BY_CODE: dict[str, RobsonGroup] = {group.code: group for group in GROUPS}

#: Every code a period's counts may use.
GROUP_CODES: tuple[str, ...] = tuple(group.code for group in GROUPS)

#: The groups that may be subdivided, and their parts.
SPLITS: dict[str, tuple[str, ...]] = {
    parent: tuple(group.code for group in GROUPS if group.parent == parent) for parent in ("2", "4")
}

#: The codes a classified birth receives: every group, with 2 and 4 always split (a file of
#: births holds what is needed to split them).
CLASSIFIED_CODES: tuple[str, ...] = tuple(code for code in GROUP_CODES if code not in SPLITS)


def description(code: str) -> str:
    """The plain-English description of a group code (KeyError for an unknown code)."""
    return BY_CODE[code].description


def code_problems(codes: Iterable[str]) -> list[str]:
    """What is wrong with the group codes given for one period; empty when nothing is."""
    given = set(codes)
    problems = []
    unknown = sorted(given - set(GROUP_CODES))
    if unknown:
        names = ", ".join(repr(code) for code in unknown)
        problems.append(f"Unknown Robson group {names}: the groups are {', '.join(GROUP_CODES)}")
    for parent, parts in SPLITS.items():
        split_given = [part for part in parts if part in given]
        if parent in given and split_given:
            problems.append(
                f"Group {parent} is given both whole ({parent}) and split "
                f"({', '.join(split_given)}) for one period: give either {parent}, or "
                f"{' and '.join(parts)}, not both"
            )
    return problems


def count_problems(counts: Mapping[str, tuple[int, int]]) -> list[str]:
    """What is wrong with one period's `{code: (women, caesareans)}`; empty when nothing is."""
    problems = code_problems(counts)
    for code, (women, caesareans) in counts.items():
        numbers = (women, caesareans)
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in numbers):
            problems.append(f"Group {code}: women and caesareans must be whole numbers, 0 or more")
        elif caesareans > women:
            problems.append(f"Group {code}: {caesareans} caesareans is more than its {women} women")
    return problems


def _splits(period: Mapping[str, tuple[int, int]], parent: str) -> bool | None:
    """Whether a period split `parent` (True), gave it whole (False) or gave it in no form."""
    if parent in period:
        return False
    if any(part in period for part in SPLITS[parent]):
        return True
    return None


def combine(periods: Iterable[Mapping[str, tuple[int, int]]]) -> dict[str, GroupCounts]:
    """The sum of several periods' counts, groups 2 and 4 split only where every period that
    gives them split them (see the module). ValueError for a period with problems."""
    periods = list(periods)
    for period in periods:
        problems = count_problems(period)
        if problems:
            raise ValueError("; ".join(problems))
    merged = {
        parent for parent in SPLITS if any(_splits(period, parent) is False for period in periods)
    }
    totals: dict[str, GroupCounts] = {}
    for period in periods:
        for code, (women, caesareans) in period.items():
            parent = BY_CODE[code].parent
            key = parent if parent in merged else code
            before = totals.get(key, GroupCounts(0, 0))
            totals[key] = GroupCounts(before.women + women, before.caesareans + caesareans)
    return {code: totals[code] for code in GROUP_CODES if code in totals}
