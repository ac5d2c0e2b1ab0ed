"""The toolkit framework's pages: the programme team load a version from a file (checked, then
previewed, then loaded), with htmx and without; everyone signed in reads the framework; nobody
else does."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.assessments.demo import load_demo_toolkit
from portal.assessments.models import ToolkitVersion
from portal.assessments.service import apply_import, current_version, plan_import
from portal.extensions import db
from tests.assessments.helpers import framework_csv, framework_rows
from tests.client import HTMX, PortalClient
from tests.factories import make_trust, make_user

PREVIEW = re.compile(r"^/admin/toolkit/import/([A-Za-z0-9_-]{24})$")


@pytest.fixture(autouse=True)
def _no_uploads_left_behind(app: Flask):  # type: ignore[no-untyped-def]
    yield
    folder = Path(app.instance_path) / "imports"
    for path in folder.glob("*.csv") if folder.is_dir() else []:
        path.unlink()


def imports_folder_files(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "imports"
    return list(folder.iterdir()) if folder.is_dir() else []


def admin_signed_in(client: PortalClient) -> None:
    client.sign_in(make_user("admin", "lead@nhs.example", name="Programme Lead"))


def upload(client: PortalClient, content: bytes, *, htmx: bool = False):  # type: ignore[no-untyped-def]
    token = client.csrf_token("/admin/toolkit")
    response = client.post(
        "/admin/toolkit",
        data={"csv_file": (io.BytesIO(content), "framework.csv"), "csrf_token": token},
        content_type="multipart/form-data",
        headers=HTMX if htmx else {},
    )
    response.request.input_stream.close()
    return response


def fingerprint(html: str) -> str:
    found = re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]{64})"', html)
    assert found, "no fingerprint on the preview"
    return found.group(1)


def load(content: bytes, filename: str = "earlier.csv") -> ToolkitVersion:
    return apply_import(plan_import(content), None, filename)


def version_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ToolkitVersion)) or 0


# --- Loading a version ---------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_the_programme_team_load_a_version_after_a_preview(
    app: Flask, client: PortalClient, htmx: bool
) -> None:
    admin_signed_in(client)
    response = upload(client, framework_csv(), htmx=htmx)
    location = response.headers["HX-Location" if htmx else "Location"]
    assert response.status_code == (204 if htmx else 303) and PREVIEW.match(location)

    preview = client.get(location)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Check the new version" in html and "framework.csv" in html
    assert "Version 1" in html and "Load version 1" in html
    assert re.search(
        r"Vaginal birth after caesarean \(VBAC\)</dt>\s*<dd[^>]*>2 characteristics", html
    )
    assert version_count() == 0  # nothing yet

    loaded = client.post_form(
        location, {"fingerprint": fingerprint(html), "note": "Toolkit, 2007 edition"}, htmx=htmx
    )
    assert loaded.status_code == (204 if htmx else 303), loaded.get_data(as_text=True)
    assert loaded.headers["HX-Location" if htmx else "Location"] == "/admin/toolkit"
    version = current_version()
    assert version is not None and version.number == 1
    assert (version.source_filename, version.note) == ("framework.csv", "Toolkit, 2007 edition")
    assert version.loaded_by is not None and version.loaded_by.email == "lead@nhs.example"
    page = client.get("/admin/toolkit").get_data(as_text=True)
    assert "Version 1 of the toolkit framework has been loaded." in page
    assert "Programme Lead" in page and "framework.csv" in page
    assert client.get(location).status_code == 303  # loaded once: back to the upload form
    assert imports_folder_files(app) == []


@pytest.mark.parametrize("htmx", [False, True])
def test_a_file_with_bad_rows_is_refused_at_upload_with_each_row_listed(
    app: Flask, client: PortalClient, htmx: bool
) -> None:
    admin_signed_in(client)
    rows = framework_rows()
    rows[2][0] = "caesarean"
    rows[9][4] = ""
    response = upload(client, framework_csv(rows), htmx=htmx)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert ("<html" in html) is not htmx
    assert "There is a problem" in html
    assert "2 rows of the file cannot be loaded, so nothing was loaded" in html
    assert re.search(r'id="csv_file-error">\s*<span[^>]*>Error: </span>2 rows of the file', html)
    assert "Rows that cannot be loaded" in html
    assert re.search(r"<span>4</span>.*Pathway &#39;caesarean&#39; is not one of", html, re.S)
    assert re.search(r"<span>11</span>.*Position_label is empty", html, re.S)
    assert version_count() == 0 and imports_folder_files(app) == []


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,ods_code\nA,B\n", "The first line must be the header pathway,characteristic_code"),
        (b"", "The file is empty"),
    ],
)
def test_a_file_that_is_not_a_framework_is_refused_next_to_the_field(
    app: Flask, client: PortalClient, htmx: bool, content: bytes, message: str
) -> None:
    admin_signed_in(client)
    response = upload(client, content, htmx=htmx)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "There is a problem" in html
    assert ("<html" in html) is not htmx
    assert version_count() == 0


def test_a_file_identical_to_the_current_version_is_no_change(client: PortalClient) -> None:
    load(framework_csv())
    admin_signed_in(client)
    location = upload(client, framework_csv()).headers["Location"]
    preview = client.get(location)
    html = preview.get_data(as_text=True)

    assert preview.status_code == 200
    assert "No change: this file holds the same framework as version 1" in html
    assert "Load version" not in html
    refused = client.post_form(location, {"fingerprint": "0" * 64})
    assert refused.status_code == 422
    assert "Nothing was loaded: the file is the same as the current version" in (
        refused.get_data(as_text=True)
    )
    assert version_count() == 1


def test_the_preview_says_what_the_new_version_changes(client: PortalClient) -> None:
    load(framework_csv())
    rows = [r for r in framework_rows() if r[1] != "FP1"]
    for cells in rows:
        if cells[1] == "VB2":
            cells[5] += " (reworded)"
    rows += framework_rows([("top-ten", "TT1", "Invented top ten characteristic")])
    admin_signed_in(client)
    html = client.get(upload(client, framework_csv(rows)).headers["Location"]).get_data(
        as_text=True
    )

    assert re.search(r"Characteristics added</dt>\s*<dd[^>]*>1: <code>top-ten TT1</code>", html)
    assert re.search(
        r"Characteristics left out</dt>\s*<dd[^>]*>1: <code>first-pregnancy FP1</code>", html
    )
    assert re.search(r"Characteristics reworded</dt>\s*<dd[^>]*>1: <code>vbac VB2</code>", html)
    assert "Load version 2" in html
    assert "Version 1 and the versions before it stay as they are" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_a_preview_that_no_longer_holds_is_made_again_not_loaded(
    client: PortalClient, htmx: bool
) -> None:
    admin_signed_in(client)
    location = upload(client, framework_csv()).headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    load(framework_csv(framework_rows(positions=3)))  # someone else loads version 1 meanwhile

    stale = client.post_form(location, {"fingerprint": fingerprint(preview)}, htmx=htmx)
    assert stale.status_code == 422
    html = stale.get_data(as_text=True)
    assert "The framework has changed since this preview was made" in html
    assert "There is a problem" in html and ("<html" in html) is not htmx
    assert version_count() == 1

    loaded = client.post_form(location, {"fingerprint": fingerprint(html)}, htmx=htmx)
    assert loaded.status_code == (204 if htmx else 303)
    version = current_version()
    assert version is not None and version.number == 2


@pytest.mark.parametrize("htmx", [False, True])
def test_a_note_that_is_too_long_is_refused_next_to_it(client: PortalClient, htmx: bool) -> None:
    admin_signed_in(client)
    location = upload(client, framework_csv()).headers["Location"]
    preview = client.get(location).get_data(as_text=True)

    for note, message in (
        ("n" * 501, "The note must be 500 characters or fewer"),
        ("two\nlines", "must be on one line"),
    ):
        refused = client.post_form(
            location, {"fingerprint": fingerprint(preview), "note": note}, htmx=htmx
        )
        assert refused.status_code == 422
        html = refused.get_data(as_text=True)
        assert message in html and 'href="#note"' in html
    assert version_count() == 0


def test_an_upload_is_only_its_uploaders(app: Flask, client: PortalClient) -> None:
    admin_signed_in(client)
    location = upload(client, framework_csv()).headers["Location"]
    other = app.test_client()
    other.sign_in(make_user("admin", "other.lead@nhs.example"))

    assert other.get(location).status_code == 303
    assert other.post_form(location, {"fingerprint": "0" * 64}).status_code == 303
    assert version_count() == 0


# --- Reading the framework -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "trust", "admin"])
def test_everyone_signed_in_reads_the_current_framework_and_earlier_versions(
    client: PortalClient, role: str
) -> None:
    load(framework_csv())
    rows = framework_rows()
    rows[0][2] = rows[1][2] = rows[2][2] = rows[3][2] = "Reworded VBAC characteristic one"
    load(framework_csv(rows), "later.csv")
    trust = make_trust() if role == "trust" else None
    client.sign_in(make_user(role, f"{role}@nhs.example", trust=trust))

    current = client.get("/toolkit").get_data(as_text=True)
    assert "Version 2, loaded" in current and "(the current version)" in current
    assert "Reworded VBAC characteristic one" in current
    assert "Invented VBAC characteristic one" not in current
    assert "for the NHS and its networks only" in current
    assert re.search(r"1\. Not yet</dt>\s*<dd[^>]*>Invented description VB1 1", current)
    assert "This version has no characteristics for this pathway." in current  # top ten

    earlier = client.get("/toolkit/versions/1").get_data(as_text=True)
    assert "Invented VBAC characteristic one" in earlier
    assert "This is an earlier version, kept as it was loaded" in earlier
    assert client.get("/toolkit/versions/3").status_code == 404
    assert ("Manage the toolkit framework" in current) is (role == "admin")


def test_before_any_version_the_page_says_so(client: PortalClient) -> None:
    client.sign_in(make_user("coordinator", "c@nhs.example"))
    assert "No toolkit framework has been loaded yet." in client.get("/toolkit").get_data(
        as_text=True
    )


def test_the_demo_framework_is_marked_as_an_invented_placeholder(client: PortalClient) -> None:
    load_demo_toolkit()
    client.sign_in(make_user("coordinator", "c@nhs.example"))
    for path in ("/toolkit", "/toolkit/versions/1"):
        html = client.get(path).get_data(as_text=True)
        assert "Placeholder framework for demonstration — not the NHS Institute’s toolkit text" in (
            html
        )
        assert "Placeholder characteristic: an invented example" in html


# --- Who may do what -----------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_nobody_reads_the_framework_without_signing_in(app: Flask, htmx: bool) -> None:
    load(framework_csv())
    client = app.test_client()
    for path in ("/toolkit", "/toolkit/versions/1", "/admin/toolkit"):
        response = client.get(path, headers=HTMX if htmx else {})
        if htmx:
            assert response.status_code == 401
            assert response.headers["HX-Redirect"].startswith("/sign-in")
        else:
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/sign-in?next=")
        assert "Invented VBAC" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["coordinator", "trust"])
def test_only_the_programme_team_load_versions(app: Flask, client: PortalClient, role: str) -> None:
    trust = make_trust() if role == "trust" else None
    client.sign_in(make_user(role, f"{role}@nhs.example", trust=trust))
    token = client.csrf_token()

    assert client.get("/admin/toolkit").status_code == 403
    response = client.post(
        "/admin/toolkit",
        data={"csv_file": (io.BytesIO(framework_csv()), "framework.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    response.request.input_stream.close()
    assert response.status_code == 403
    assert client.get("/admin/toolkit/import/" + "a" * 24).status_code == 403
    assert client.post_form("/admin/toolkit/import/" + "a" * 24, {}).status_code == 403
    assert version_count() == 0 and imports_folder_files(app) == []


def test_the_header_links_to_the_toolkit_for_people_signed_in(
    app: Flask, client: PortalClient
) -> None:
    assert 'href="/toolkit"' not in client.get("/about").get_data(as_text=True)
    client.sign_in(make_user("trust", "t@nhs.example", trust=make_trust()))
    assert 'href="/toolkit"' in client.get("/about").get_data(as_text=True)


def test_the_upload_form_names_the_pathways_a_file_may_give(client: PortalClient) -> None:
    admin_signed_in(client)
    html = client.get("/admin/toolkit").get_data(as_text=True)
    assert (
        "<code>first-pregnancy</code> (First pregnancy and labour), <code>vbac</code> "
        "(Vaginal birth after caesarean (VBAC)), <code>elective-cs</code>"
    ) in html
    assert (
        "<code>organisational</code> (Organisational characteristics) or <code>top-ten</code>"
        in html
    )
