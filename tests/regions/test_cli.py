from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.regions.models import Region, Trust
from portal.regions.reference import SLUGS
from tests.factories import make_trust

HEADER = "name,ods_code,region,participating\n"


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / "trusts.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def trusts() -> dict[str, tuple[str, str, bool]]:
    return {t.ods_code: (t.name, t.region.slug, t.participating) for t in db.session.query(Trust)}


def test_seed_creates_the_ten_shas_and_is_idempotent(runner: FlaskCliRunner) -> None:
    db.session.query(Region).delete()
    db.session.commit()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0 and "10 created" in first.output
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0 and "0 created, 0 updated" in second.output
    assert sorted(r.slug for r in db.session.query(Region)) == sorted(SLUGS)
    london = db.session.query(Region).filter_by(slug="london").one()
    assert (london.name, london.short_name) == ("NHS London", "London")


def test_seed_keeps_a_display_name_the_programme_team_chose(runner: FlaskCliRunner) -> None:
    london = db.session.query(Region).filter_by(slug="london").one()
    london.name = "NHS London (programme name)"
    london.sort_order = 99
    db.session.commit()
    result = runner.invoke(args=["seed"])
    assert "0 created, 1 updated" in result.output
    db.session.refresh(london)
    assert london.name == "NHS London (programme name)" and london.sort_order == 3


def test_import_creates_and_updates_trusts_by_ods_code(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    make_trust("Old Name NHS Trust", "RA1", "london", participating=False)
    csv = write(
        tmp_path,
        HEADER
        + "New Name NHS Trust,ra1,london,yes\n"
        + '"Hospitals of Leeds, Teaching NHS Trust",RR8,yorkshire-and-the-humber,no\n'
        + "Bristol Test NHS Trust,RA7,South-West,YES\n",
    )
    result = runner.invoke(args=["trusts", "import", csv])
    assert result.exit_code == 0, result.output
    assert "2 created, 1 updated, 0 unchanged, 0 rejected" in result.output
    assert trusts() == {
        "RA1": ("New Name NHS Trust", "london", True),
        "RR8": ("Hospitals of Leeds, Teaching NHS Trust", "yorkshire-and-the-humber", False),
        "RA7": ("Bristol Test NHS Trust", "south-west", True),
    }
    actions = sorted(a for (a,) in db.session.query(AuditEntry.action))
    assert actions == ["trust.created", "trust.created", "trust.updated"]
    again = runner.invoke(args=["trusts", "import", csv])
    assert "0 created, 0 updated, 3 unchanged" in again.output


def test_import_reads_utf8_with_a_byte_order_mark(runner: FlaskCliRunner, tmp_path: Path) -> None:
    csv = write(tmp_path, HEADER + "Hôpital Test NHS Trust,RB1,north-east,no\r\n", "utf-8-sig")
    result = runner.invoke(args=["trusts", "import", csv])
    assert result.exit_code == 0, result.output
    assert trusts() == {"RB1": ("Hôpital Test NHS Trust", "north-east", False)}


ONE_LINE = "name must be on one line, without tabs or other invisible characters"
BAD_ROWS = [
    (",RC1,london,yes", "name is empty"),
    ("A Trust,R!1,london,yes", "ODS code 'R!1' is not 3 or 5 letters and digits"),
    ("A Trust,RC1,mercia,yes", "region 'mercia' is not one of"),
    ("A Trust,RC1,london,maybe", "participating must be yes or no, not 'maybe'"),
    ("A Trust,RC1,london", "expected 4 values, found 3"),
    ("A\tTrust,RC1,london,yes", ONE_LINE),
    ('"A Trust\nLine two",RC1,london,yes', ONE_LINE),
    ("\x1b[31mA Trust,RC1,london,yes", ONE_LINE),
    ("A\u2028Trust,RC1,london,yes", ONE_LINE),
]


@pytest.mark.parametrize(("row", "reason"), BAD_ROWS)
def test_a_bad_row_is_reported_with_its_line_and_nothing_changes(
    runner: FlaskCliRunner, tmp_path: Path, row: str, reason: str
) -> None:
    csv = write(tmp_path, HEADER + "Good NHS Trust,RG1,london,yes\n" + row + "\n")
    result = runner.invoke(args=["trusts", "import", csv])
    assert result.exit_code == 1
    assert f"Row 3: {reason}" in result.output
    assert "nothing was imported" in result.output
    assert trusts() == {}


def test_skip_invalid_imports_the_good_rows(runner: FlaskCliRunner, tmp_path: Path) -> None:
    csv = write(
        tmp_path,
        HEADER
        + "Good NHS Trust,RG1,london,yes\nBad NHS Trust,RG2,atlantis,yes\nTwin,RG1,london,no\n",
    )
    result = runner.invoke(args=["trusts", "import", csv, "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "Row 3: region 'atlantis'" in result.output
    assert "Row 4: ODS code RG1 is also on line 2" in result.output
    assert "1 created, 0 updated, 0 unchanged, 2 rejected" in result.output
    assert list(trusts()) == ["RG1"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "The file is empty"),
        ("name,code,region\nA,RA1,london\n", "The first line must be the header"),
    ],
)
def test_a_file_without_the_header_is_refused(
    runner: FlaskCliRunner, tmp_path: Path, content: str, message: str
) -> None:
    result = runner.invoke(args=["trusts", "import", write(tmp_path, content)])
    assert result.exit_code == 1 and message in result.output


def test_a_file_that_is_not_utf8_is_refused(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "H\xf4pital,RH1,london,yes\n").encode("latin-1"))
    result = runner.invoke(args=["trusts", "import", str(path)])
    assert result.exit_code == 1 and "not UTF-8" in result.output


def test_a_missing_file_is_refused(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["trusts", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_commands_have_help(runner: FlaskCliRunner) -> None:
    for args in (["seed", "--help"], ["trusts", "import", "--help"], ["demo", "--help"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0 and "Usage:" in result.output
