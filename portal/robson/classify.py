"""Place one birth in its Robson group, or say why it cannot be placed.

Source: WHO, "Robson Classification: Implementation Manual" (2017). The groups are mutually
exclusive because they are tested in this order, the first that fits wins:

1. more than one fetus: group 8 (whatever the parity, scar, lie or gestation);
2. one fetus lying transverse or oblique: group 9;
3. one fetus in breech: group 6 for a first birth, group 7 otherwise (with or without a scar);
4. one fetus head first before 37 weeks: group 10 (with or without a scar);
5. one fetus head first at 37 weeks or more: a previous caesarean gives group 5; otherwise a
   first birth gives 1 (labour started on its own), 2a (induced) or 2b (caesarean before
   labour), and a later birth 3, 4a or 4b the same way.

37 weeks counts as term ("37 weeks or more"); 36 weeks is preterm. Gestation is in completed
weeks, as the manual counts it.

The values a birth is read from (`Birth`), each compared case-insensitively with surrounding
spaces ignored:

- parity: `0` (no previous birth) or `1+`; a whole number such as `2` is read as `1+`, since
  files exported from maternity systems often hold the count itself;
- previous_cs: `yes` or `no`;
- fetuses: `1` or `2+`; a whole number from 2 up is read as `2+`;
- presentation: `cephalic`, `breech` or `transverse/oblique` (also `transverse` or `oblique`
  alone; spaces around the slash do not matter);
- gestation_weeks: a whole number of completed weeks from 20 to 45 (outside that range it is
  far more likely a typing error than a birth, so the birth is not placed);
- onset: `spontaneous`, `induced` or `caesarean before labour`;
- caesarean: `yes` or `no` (how this baby was born).

Strict about every value. A birth is placed only when all seven values are present and valid,
even those its group does not use (twins are group 8 whatever the gestation and onset; yet a
missing gestation still leaves the birth unplaced). The manual treats missing values as a
data-quality problem to fix at the source, not something to work round; requiring every value
is simpler to explain and to check, gives every group the same rule (a lenient reading would let
rows with gaps into some groups and not others), and keeps the contradiction checks possible.
The count of births left unplaced, with their reasons, is shown beside the report.

Contradictions, which leave a birth unplaced rather than guessed:

- parity 0 with a previous caesarean: a woman who has not given birth before cannot have had a
  caesarean birth;
- onset "caesarean before labour" with caesarean "no".

A birth that cannot be placed gets one reason: the first problem found, taking the values in
the order of `FIELDS` and the contradictions after them. Reasons are fixed texts that never
quote the value, so that a file's reasons group into a few counts and no value from a file is
ever repeated back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

#: The values that describe one birth, in the order they are checked.
FIELDS = (
    "parity",
    "previous_cs",
    "fetuses",
    "presentation",
    "gestation_weeks",
    "onset",
    "caesarean",
)

#: "37 weeks or more" is term in the group definitions.
TERM_WEEKS = 37
#: Gestations outside these (inclusive) are taken for errors in the data.
MIN_GESTATION_WEEKS = 20
MAX_GESTATION_WEEKS = 45


@dataclass(frozen=True)
class Birth:
    """One birth as given in a file or a form: text (or None when absent), not yet checked."""

    parity: str | None
    previous_cs: str | None
    fetuses: str | None
    presentation: str | None
    gestation_weeks: str | int | None
    onset: str | None
    caesarean: str | None


@dataclass(frozen=True)
class Unclassifiable:
    """Why a birth could not be placed in a group; `field` is None for a contradiction."""

    reason: str
    field: str | None = None

    def __str__(self) -> str:
        return self.reason


class Presentation(Enum):
    CEPHALIC = "cephalic"
    BREECH = "breech"
    TRANSVERSE_OR_OBLIQUE = "transverse/oblique"


class Onset(Enum):
    SPONTANEOUS = "spontaneous"
    INDUCED = "induced"
    CAESAREAN_BEFORE_LABOUR = "caesarean before labour"


PRESENTATIONS = {
    "cephalic": Presentation.CEPHALIC,
    "breech": Presentation.BREECH,
    "transverse/oblique": Presentation.TRANSVERSE_OR_OBLIQUE,
    "transverse": Presentation.TRANSVERSE_OR_OBLIQUE,
    "oblique": Presentation.TRANSVERSE_OR_OBLIQUE,
}
ONSETS = {onset.value: onset for onset in Onset}
YES_NO = {"yes": True, "no": False}

NULLIPAROUS_WITH_SCAR = (
    "parity 0 with previous_cs yes: a woman giving birth for the first time cannot have had "
    "a caesarean before"
)
PRE_LABOUR_CS_WITHOUT_CS = "onset caesarean before labour with caesarean no"


@dataclass(frozen=True)
class _Facts:
    """A birth's values once every one is known to be valid."""

    first_birth: bool
    previous_cs: bool
    multiple: bool
    presentation: Presentation
    weeks: int
    onset: Onset
    caesarean: bool


class _NotPlaced(Exception):
    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.problem = Unclassifiable(reason, field)


def _text(birth: Birth, field: str) -> str:
    """The value of `field`, trimmed, lower case, inner spaces collapsed; refused when empty."""
    value = getattr(birth, field)
    text = " ".join(str(value).split()).lower() if value is not None else ""
    if not text:
        raise _NotPlaced(f"{field} is missing", field)
    return text


def _whole_number(text: str) -> int | None:
    """A whole number written in ASCII digits only (no sign, no decimals), else None."""
    if text.isascii() and text.isdigit() and len(text) <= 3:
        return int(text)
    return None


def _first_birth(birth: Birth) -> bool:
    text = _text(birth, "parity")
    number = _whole_number(text)
    if text == "1+" or (number is not None and number >= 1):
        return False
    if number == 0:
        return True
    raise _NotPlaced("parity must be 0 or 1+", "parity")


def _yes_no(birth: Birth, field: str) -> bool:
    text = _text(birth, field)
    if text not in YES_NO:
        raise _NotPlaced(f"{field} must be yes or no", field)
    return YES_NO[text]


def _multiple(birth: Birth) -> bool:
    text = _text(birth, "fetuses")
    number = _whole_number(text)
    if text == "2+" or (number is not None and number >= 2):
        return True
    if number == 1:
        return False
    raise _NotPlaced("fetuses must be 1 or 2+", "fetuses")


def _presentation(birth: Birth) -> Presentation:
    text = re.sub(r"\s*/\s*", "/", _text(birth, "presentation"))
    if text not in PRESENTATIONS:
        raise _NotPlaced(
            "presentation must be cephalic, breech or transverse/oblique", "presentation"
        )
    return PRESENTATIONS[text]


def _weeks(birth: Birth) -> int:
    value = birth.gestation_weeks
    if isinstance(value, bool):  # bool is an int to Python, never a gestation
        raise _NotPlaced("gestation_weeks must be a whole number of weeks", "gestation_weeks")
    number = value if isinstance(value, int) else _whole_number(_text(birth, "gestation_weeks"))
    if number is None:
        raise _NotPlaced("gestation_weeks must be a whole number of weeks", "gestation_weeks")
    if not MIN_GESTATION_WEEKS <= number <= MAX_GESTATION_WEEKS:
        raise _NotPlaced(
            f"gestation_weeks must be from {MIN_GESTATION_WEEKS} to {MAX_GESTATION_WEEKS}",
            "gestation_weeks",
        )
    return number


def _onset(birth: Birth) -> Onset:
    text = _text(birth, "onset")
    if text not in ONSETS:
        raise _NotPlaced("onset must be spontaneous, induced or caesarean before labour", "onset")
    return ONSETS[text]


def _facts(birth: Birth) -> _Facts:
    """Every value checked, in the order of FIELDS, then the contradictions between them."""
    facts = _Facts(
        first_birth=_first_birth(birth),
        previous_cs=_yes_no(birth, "previous_cs"),
        multiple=_multiple(birth),
        presentation=_presentation(birth),
        weeks=_weeks(birth),
        onset=_onset(birth),
        caesarean=_yes_no(birth, "caesarean"),
    )
    if facts.first_birth and facts.previous_cs:
        raise _NotPlaced(NULLIPAROUS_WITH_SCAR)
    if facts.onset is Onset.CAESAREAN_BEFORE_LABOUR and not facts.caesarean:
        raise _NotPlaced(PRE_LABOUR_CS_WITHOUT_CS)
    return facts


def _group(facts: _Facts) -> str:
    """The group of a birth whose values are valid and consistent (the module's order)."""
    if facts.multiple:
        return "8"
    if facts.presentation is Presentation.TRANSVERSE_OR_OBLIQUE:
        return "9"
    if facts.presentation is Presentation.BREECH:
        return "6" if facts.first_birth else "7"
    if facts.weeks < TERM_WEEKS:
        return "10"
    if facts.previous_cs:
        return "5"
    by_onset = {
        Onset.SPONTANEOUS: ("1", "3"),
        Onset.INDUCED: ("2a", "4a"),
        Onset.CAESAREAN_BEFORE_LABOUR: ("2b", "4b"),
    }
    first, later = by_onset[facts.onset]
    return first if facts.first_birth else later


def classify(birth: Birth) -> str | Unclassifiable:
    """The birth's group code (`1`, `2a`, `2b`, `3`, `4a`, `4b`, `5` … `10`), or why it has none."""
    try:
        facts = _facts(birth)
    except _NotPlaced as not_placed:
        return not_placed.problem
    return _group(facts)


def is_caesarean(birth: Birth) -> bool:
    """Whether the birth was a caesarean (ValueError when its caesarean value is not valid)."""
    try:
        return _yes_no(birth, "caesarean")
    except _NotPlaced as not_placed:
        raise ValueError(not_placed.problem.reason) from None
