"""The toolkit framework as versioned data: every refusal of a file with its line, versions that
never change once loaded, a file identical to the current version loading nothing, all or
nothing, the audit entry, the command line and the demo's placeholder."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.assessments import service
from portal.assessments.demo import DEMO_NOTE, load_demo_toolkit
from portal.assessments.models import (
    Characteristic,
    FrozenVersion,
    SpectrumPosition,
    ToolkitVersion,
)
from portal.assessments.pathways import Pathway
from portal.assessments.service import (
    PlannedPosition,
    ToolkitError,
    apply_import,
    current_version,
    framework,
    plan_import,
    version_by_number,
    versions,
)
from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.assessments.helpers import framework_csv, framework_rows
from tests.factories import make_user

HEADER_LINE = (
    "pathway,characteristic_code,characteristic,position,position_label,position_description"
)


def load(
    data: bytes, person: object | None = None, filename: str = "toolkit.csv"
) -> ToolkitVersion:
    plan = plan_import(data)
    assert plan.can_apply, (plan.problem, plan.rejected)
    return apply_import(plan, person, filename)


def wordings(version: ToolkitVersion) -> dict[str, str]:
    return {c.code: c.wording for part in framework(version) for c in part.characteristics}


def version_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ToolkitVersion)) or 0


# --- Reading a file ------------------------------------------------------------------------------


def test_a_good_file_is_read_in_the_toolkits_order_of_pathways_and_the_files_order_within(
    app: Flask,
) -> None:
    rows = framework_rows()
    rows.reverse()  # positions 4, 3, 2, 1: numbered, so their order in the file does not matter
    plan = plan_import(framework_csv(rows))

    assert plan.rejected == [] and plan.problem is None and plan.can_apply
    assert [c.key for c in plan.characteristics] == ["first-pregnancy FP1", "vbac VB2", "vbac VB1"]
    assert [p.position for p in plan.characteristics[0].positions] == [1, 2, 3, 4]
    assert plan.characteristics[0].positions[0] == PlannedPosition(
        1, "Not yet", "Invented description FP1 1"
    )
    assert plan.positions == 12
    assert plan.added == ["first-pregnancy FP1", "vbac VB2", "vbac VB1"]


def test_a_byte_order_mark_spaces_and_a_capitalised_pathway_are_accepted(app: Flask) -> None:
    rows = [[f" {cells[0].upper()} ", *cells[1:]] for cells in framework_rows()]
    plan = plan_import(b"\xef\xbb\xbf" + framework_csv(rows))
    assert plan.can_apply, plan.rejected
    assert {c.pathway for c in plan.characteristics} == {"vbac", "first-pregnancy"}


FIRST = ["vbac", "VB1", "Invented wording", "1", "Not yet", "Invented description one"]
SECOND = ["vbac", "VB1", "Invented wording", "2", "Starting", "Invented description two"]
GOOD = ["vbac", "VB1", "Invented wording", "3", "Always", "Invented description three"]


def row(**changes: str) -> list[str]:
    names = ["pathway", "code", "wording", "position", "label", "description"]
    return [changes.get(name, value) for name, value in zip(names, GOOD, strict=True)]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (row(pathway="caesarean"), "pathway 'caesarean' is not one of first-pregnancy, vbac"),
        (row(pathway=""), "pathway is empty"),
        (row(code=""), "characteristic_code is empty"),
        (row(code="VB 1"), "characteristic_code 'VB 1' must be up to 20 letters"),
        (row(code="V" * 21), "must be up to 20 letters, digits, dots or hyphens"),
        (row(code="-VB1"), "characteristic_code '-VB1' must be"),
        (row(wording=""), "characteristic is empty"),
        (row(wording="w" * 501), "characteristic must be 500 characters or fewer (it has 501)"),
        (row(position=""), "position is empty"),
        (row(position="0"), "position must be a whole number from 1 to 10, not '0'"),
        (row(position="11"), "position must be a whole number from 1 to 10, not '11'"),
        (row(position="1.0"), "not '1.0'"),
        (row(position="²"), "not '²'"),
        (row(label=""), "position_label is empty"),
        (row(label="l" * 81), "position_label must be 80 characters or fewer (it has 81)"),
        (row(description="   "), "position_description is empty"),
        (row(description="d" * 1001), "position_description must be 1,000 characters or fewer"),
        (row(label="Not\nyet"), "position_label must be on one line"),
        (row(wording="Tab\there"), "characteristic must be on one line"),
        (row()[:5], "expected 6 values, found 5"),
        ([*row(), "extra"], "expected 6 values, found 7"),
    ],
)
def test_each_bad_row_is_refused_with_its_line_and_reason(
    app: Flask, bad: list[str], message: str
) -> None:
    plan = plan_import(framework_csv([FIRST, SECOND, bad]))

    assert [r.line for r in plan.rejected] == [4]
    assert message in plan.rejected[0].reason
    assert not plan.can_apply


def test_every_problem_of_a_row_is_given_at_once(app: Flask) -> None:
    plan = plan_import(framework_csv([FIRST, SECOND, ["nope", "!!", "", "x", "", "d"]]))
    reason = plan.rejected[0].reason
    for part in ("pathway 'nope'", "characteristic_code '!!'", "characteristic is empty"):
        assert part in reason
    assert "position must be a whole number" in reason and "position_label is empty" in reason


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        # The same code with other wording on a later row.
        (
            [FIRST, ["vbac", "VB1", "Other wording", "2", "Always", "d"]],
            3,
            "VB1 (vbac) is worded differently on line 2",
        ),
        # A position given twice.
        ([FIRST, FIRST, SECOND], 3, "position 1 of VB1 (vbac) is also on line 2"),
        # A gap: 1, 2, 4 (the characteristic's first line is named).
        (
            [FIRST, SECOND, ["vbac", "VB1", "Invented wording", "4", "L", "d"]],
            2,
            "VB1 (vbac) has positions 1, 2, 4: they must run 1, 2, 3 … with no gaps",
        ),
        # Not starting at 1.
        (
            [SECOND, ["vbac", "VB1", "Invented wording", "3", "L", "d"]],
            2,
            "has positions 2, 3: they must run 1, 2, 3",
        ),
        # A spectrum of one position.
        ([FIRST], 2, "VB1 (vbac) has 1 position: a spectrum needs at least 2"),
    ],
)
def test_a_characteristics_rows_must_agree_and_number_its_positions_1_to_n(
    app: Flask, rows: list[list[str]], line: int, message: str
) -> None:
    plan = plan_import(framework_csv(rows))

    assert [r.line for r in plan.rejected] == [line]
    assert message in plan.rejected[0].reason
    assert not plan.can_apply


def test_the_same_code_in_two_pathways_is_two_characteristics(app: Flask) -> None:
    rows = [FIRST, SECOND, ["top-ten", *FIRST[1:]], ["top-ten", *SECOND[1:]]]
    plan = plan_import(framework_csv(rows))
    assert plan.can_apply, plan.rejected
    assert [c.key for c in plan.characteristics] == ["vbac VB1", "top-ten VB1"]


def test_problems_are_listed_by_line_across_the_whole_file(app: Flask) -> None:
    rows = framework_rows()
    rows[1][3] = "99"  # VB1 position 2 (line 3): its gap is not reported as well
    rows[6][2] = "Changed"  # VB2 position 3 (line 8)
    rows[9][5] = ""  # FP1 position 2 (line 11)
    plan = plan_import(framework_csv(rows))

    assert [r.line for r in plan.rejected] == [3, 8, 11]
    assert "is worded differently on line 6" in plan.rejected[1].reason
    assert "position_description is empty" in plan.rejected[2].reason


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (HEADER_LINE.encode() + b"\n", "The file has a header but no rows of characteristics"),
        (b"pathway,code,wording\nvbac,VB1,x\n", "The first line must be the header " + HEADER_LINE),
        ("\ufeffpathway,é".encode("utf-16"), "The file is not UTF-8 text"),
        (HEADER_LINE.encode() + b"\nvbac,VB1\x00\n", "The file holds NUL characters"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(app: Flask, data: bytes, message: str) -> None:
    plan = plan_import(data)
    assert plan.problem is not None and message in plan.problem, plan.problem
    assert not plan.can_apply


def test_a_file_of_more_rows_than_a_framework_has_is_refused(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "MAX_ROWS", 11)
    plan = plan_import(framework_csv())  # 12 rows
    assert plan.problem == "The file has 12 rows; a framework has at most 11: is it the right file?"


# --- Versions ------------------------------------------------------------------------------------


def test_the_first_file_becomes_version_1_with_an_audit_entry(app: Flask) -> None:
    admin = make_user("admin", "lead@nhs.example", name="Programme Lead")
    version = load(framework_csv(), admin, "toolkit-2007.csv")

    assert (version.number, version.source_filename, version.loaded_by_id) == (
        1,
        "toolkit-2007.csv",
        admin.id,
    )
    assert current_version() == version and len(version.fingerprint) == 64
    parts = {part.pathway: part.characteristics for part in framework(version)}
    assert list(parts) == list(Pathway)
    assert [c.code for c in parts[Pathway.VBAC]] == ["VB1", "VB2"]
    assert [c.place for c in parts[Pathway.VBAC]] == [1, 2]
    assert parts[Pathway.TOP_TEN] == []
    assert [p.label for p in parts[Pathway.VBAC][0].positions] == [
        "Not yet",
        "Starting",
        "Mostly",
        "Always",
    ]
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "toolkit.version_loaded")
    ).one()
    assert entry.actor_id == admin.id and entry.object_id == str(version.id)
    assert entry.after is not None
    assert entry.after["number"] == 1 and entry.after["characteristics"] == 3
    assert entry.after["positions"] == 12 and entry.after["file"] == "toolkit-2007.csv"


def test_a_new_file_makes_version_2_and_version_1_keeps_its_wording(app: Flask) -> None:
    first = load(framework_csv())
    rows = framework_rows()
    for cells in rows:
        if cells[1] == "VB1":
            cells[2] = "Reworded VBAC characteristic one"
    rows = [r for r in rows if r[1] != "FP1"] + framework_rows(
        [("top-ten", "TT1", "Invented top ten characteristic")]
    )
    plan = plan_import(framework_csv(rows))

    assert plan.current_number == 1
    assert (plan.added, plan.removed, plan.reworded) == (
        ["top-ten TT1"],
        ["first-pregnancy FP1"],
        ["vbac VB1"],
    )
    second = apply_import(plan, None, "toolkit-2009.csv")
    db.session.expire_all()

    assert second.number == 2 and current_version() == second
    assert [v.number for v in versions()] == [2, 1]
    old = version_by_number(1)
    assert old is not None and old.id == first.id
    assert wordings(old) == {
        "VB1": "Invented VBAC characteristic one",
        "VB2": "Invented VBAC characteristic two",
        "FP1": "Invented first pregnancy characteristic",
    }
    assert wordings(second) == {
        "VB1": "Reworded VBAC characteristic one",
        "VB2": "Invented VBAC characteristic two",
        "TT1": "Invented top ten characteristic",
    }
    # Version 2 has rows of its own: version 1's were neither moved nor reused.
    assert db.session.scalar(select(func.count()).select_from(Characteristic)) == 6
    assert db.session.scalar(select(func.count()).select_from(SpectrumPosition)) == 24


def test_a_file_identical_to_the_current_version_is_no_change(app: Flask) -> None:
    load(framework_csv())
    # The same framework, saved differently: a byte order mark, quoted cells, CRLF.
    again = b"\xef\xbb\xbf" + framework_csv().replace(b"\n", b"\r\n")
    plan = plan_import(again)

    assert plan.unchanged and not plan.can_apply and plan.rejected == []
    with pytest.raises(ToolkitError, match="the file is the same as version 1"):
        apply_import(plan, None, "again.csv")
    assert version_count() == 1


def test_the_order_of_characteristics_is_part_of_the_framework(app: Flask) -> None:
    load(framework_csv())
    rows = framework_rows()
    plan = plan_import(framework_csv(rows[4:8] + rows[:4] + rows[8:]))  # VB2 before VB1
    assert not plan.unchanged and plan.can_apply
    assert (plan.added, plan.removed, plan.reworded) == ([], [], [])
    assert apply_import(plan, None, "reordered.csv").number == 2


def test_going_back_to_an_earlier_framework_is_a_new_version(app: Flask) -> None:
    load(framework_csv())
    load(framework_csv(framework_rows(positions=3)))
    third = load(framework_csv())
    assert third.number == 3
    assert third.fingerprint == version_by_number(1).fingerprint  # type: ignore[union-attr]


def test_a_plan_made_before_another_version_was_loaded_is_refused(app: Flask) -> None:
    stale = plan_import(framework_csv())
    load(framework_csv(framework_rows(positions=3)))

    with pytest.raises(ToolkitError, match="version 1 was loaded after this file was checked"):
        apply_import(stale, None, "stale.csv")
    assert version_count() == 1


def test_a_loaded_version_cannot_be_changed_or_deleted(app: Flask) -> None:
    version = load(framework_csv())
    characteristic = framework(version)[1].characteristics[0]

    characteristic.wording = "Rewritten in place"
    with pytest.raises(FrozenVersion):
        db.session.flush()
    db.session.rollback()

    position = db.session.scalars(select(SpectrumPosition)).first()
    assert position is not None
    db.session.delete(position)
    with pytest.raises(FrozenVersion):
        db.session.flush()
    db.session.rollback()
    assert wordings(version)["VB1"] == "Invented VBAC characteristic one"


# --- All or nothing ------------------------------------------------------------------------------


def test_a_file_with_one_bad_row_loads_nothing(app: Flask) -> None:
    rows = framework_rows()
    rows[-1][4] = ""
    plan = plan_import(framework_csv(rows))

    assert [r.line for r in plan.rejected] == [13] and not plan.can_apply
    with pytest.raises(ToolkitError, match="rows that cannot be loaded"):
        apply_import(plan, None, "bad.csv")
    assert version_count() == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_failure_while_loading_leaves_no_part_of_the_version(app: Flask) -> None:
    load(framework_csv())
    plan = plan_import(framework_csv(framework_rows(positions=3)))
    # A row the database refuses (the check below the file's), after the others were added.
    plan.characteristics[-1].positions[-1].label = " "

    with pytest.raises(IntegrityError):
        apply_import(plan, None, "broken.csv")
    db.session.rollback()
    assert [v.number for v in versions()] == [1]
    assert db.session.scalar(select(func.count()).select_from(Characteristic)) == 3
    assert db.session.scalar(select(func.count()).select_from(SpectrumPosition)) == 12


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (
            lambda v: Characteristic(
                version=v, pathway=Pathway.VBAC, code="VB1", wording="x", place=9
            ),
            "code",
        ),
        (
            lambda v: Characteristic(
                version=v, pathway=Pathway.VBAC, code="VB9", wording="x", place=1
            ),
            "place",
        ),
        (
            lambda v: Characteristic(
                version=v, pathway=Pathway.VBAC, code="VB9", wording="x", place=0
            ),
            "place >= 1",
        ),
        (
            lambda v: Characteristic(
                version=v, pathway=Pathway.VBAC, code=" ", wording="x", place=9
            ),
            "blank code",
        ),
        (
            lambda v: SpectrumPosition(
                characteristic_id=_first(v), position=1, label="x", description="y"
            ),
            "position",
        ),
        (
            lambda v: SpectrumPosition(
                characteristic_id=_first(v), position=0, label="x", description="y"
            ),
            "position >= 1",
        ),
        (
            lambda v: SpectrumPosition(
                characteristic_id=_first(v), position=9, label="", description="y"
            ),
            "blank label",
        ),
    ],
)
def test_the_database_refuses_what_the_import_refuses(app: Flask, make, why: str) -> None:  # type: ignore[no-untyped-def]
    version = load(framework_csv())
    db.session.add(make(version))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def _first(version: ToolkitVersion) -> int:
    return framework(version)[1].characteristics[0].id


def test_the_database_refuses_a_second_version_with_the_same_number(app: Flask) -> None:
    version = load(framework_csv())
    db.session.add(
        ToolkitVersion(number=1, source_filename="x.csv", fingerprint=version.fingerprint)
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- The command line and the demo ---------------------------------------------------------------


def test_the_command_line_loads_a_file_then_finds_no_change(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "framework.csv"
    path.write_bytes(framework_csv())
    runner = app.test_cli_runner()

    result = runner.invoke(args=["toolkit", "import", str(path), "--note", "First edition"])
    assert result.exit_code == 0, result.output
    assert "Loaded version 1: 3 characteristics with 12 positions" in result.output
    version = current_version()
    assert version is not None and version.note == "First edition"
    assert version.source_filename == "framework.csv" and version.loaded_by_id is None

    again = runner.invoke(args=["toolkit", "import", str(path)])
    assert again.exit_code == 0, again.output
    assert "No change: the file is the same as version 1" in again.output
    assert version_count() == 1


def test_the_command_line_lists_the_problems_and_loads_nothing(app: Flask, tmp_path: Path) -> None:
    rows = framework_rows()
    rows[2][0] = "caesarean"
    rows[6][3] = "2"
    path = tmp_path / "framework.csv"
    path.write_bytes(framework_csv(rows))

    result = app.test_cli_runner().invoke(args=["toolkit", "import", str(path)])

    assert result.exit_code == 1
    assert "Line 4: pathway 'caesarean' is not one of" in result.output
    assert "Line 8: position 2 of VB2 (vbac) is also on line 7" in result.output
    assert "2 row(s) cannot be loaded, so nothing was loaded" in result.output
    assert version_count() == 0


def test_the_command_line_refuses_a_file_it_cannot_read(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "framework.csv"
    path.write_bytes(b"name,ods_code\n")
    result = app.test_cli_runner().invoke(args=["toolkit", "import", str(path)])
    assert result.exit_code == 1
    assert "The first line must be the header" in result.output
    assert version_count() == 0


def test_the_demo_loads_an_invented_placeholder_once(app: Flask) -> None:
    load_demo_toolkit()
    load_demo_toolkit()

    version = current_version()
    assert version is not None and version.number == 1 and version.is_demo
    assert version.note == DEMO_NOTE and "not the NHS Institute's toolkit text" in DEMO_NOTE
    parts = framework(version)
    assert [len(part.characteristics) for part in parts] == [2, 2, 2, 2, 2]
    for part in parts:
        for characteristic in part.characteristics:
            assert characteristic.wording.startswith("Placeholder characteristic: an invented")
            assert [p.position for p in characteristic.positions] == [1, 2, 3, 4]
