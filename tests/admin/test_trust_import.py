"""Importing trusts from a CSV file on the web: upload, preview, then apply (or not)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.regions.models import Trust
from portal.regions.service import trust_by_code
from portal.web import uploads as trust_import
from tests.admin.helpers import CSV_HEADER, audit_entries, signed_in_admin, upload
from tests.client import HTMX, PortalClient
from tests.factories import make_trust

PREVIEW = re.compile(r"^/admin/trusts/import/([A-Za-z0-9_-]{24})$")


def preview_of(client: PortalClient, content: bytes | str) -> tuple[str, str]:
    """Upload `content`; return the preview's path and its HTML."""
    response = upload(client, content)
    assert response.status_code == 303, response.get_data(as_text=True)
    path = response.headers["Location"]
    assert PREVIEW.match(path)
    page = client.get(path)
    assert page.status_code == 200
    return path, page.get_data(as_text=True)


def fingerprint(html: str) -> str:
    match = re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]{64})"', html)
    assert match, "no fingerprint on the preview"
    return match.group(1)


def apply(client: PortalClient, path: str, html: str, *, skip_invalid: bool = False, **kwargs):  # type: ignore[no-untyped-def]
    data = {"fingerprint": fingerprint(html)}
    if skip_invalid:
        data["skip_invalid"] = "y"
    return client.post_form(path, data, **kwargs)


def trust_count() -> int:
    return db.session.scalar(select(func.count(Trust.id))) or 0


def stored_uploads(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "imports"
    return sorted(folder.glob("*.csv")) if folder.is_dir() else []


@pytest.fixture(autouse=True)
def _no_uploads_left_behind(app: Flask):  # type: ignore[no-untyped-def]
    yield
    for path in stored_uploads(app):
        path.unlink()


# --- Upload and preview ------------------------------------------------------------------


def test_the_preview_shows_what_would_be_created_changed_kept_and_rejected(
    client: PortalClient,
) -> None:
    make_trust("Old Name NHS Trust", "RA1", "london", participating=False)
    make_trust("Same NHS Trust", "RA2", "london", participating=True)
    signed_in_admin(client)
    _, html = preview_of(
        client,
        CSV_HEADER
        + "New Name NHS Trust,ra1,north-west,yes\n"
        + "Same NHS Trust,RA2,london,yes\n"
        + "Brand New NHS Trust,RA3,south-west,no\n"
        + "Nowhere NHS Trust,RA4,atlantis,yes\n",
    )
    assert re.search(r"Trusts to add</dt>\s*<dd[^>]*>1<", html)
    assert re.search(r"Trusts to change</dt>\s*<dd[^>]*>1<", html)
    assert re.search(r"Already up to date</dt>\s*<dd[^>]*>1<", html)
    assert re.search(r"Rows that cannot be imported</dt>\s*<dd[^>]*>1<", html)
    assert "Brand New NHS Trust" in html and "South West" in html
    # The change, field by field, from the current value to the new one.
    assert "Old Name NHS Trust</del>" in html and "New Name NHS Trust</ins>" in html
    assert "London</del>" in html and "North West</ins>" in html
    assert "No</del>" in html and "Yes</ins>" in html
    # The rejected row, with its line number and reason.
    assert "<span>5</span>" in html and "Region &#39;atlantis&#39; is not one of" in html
    assert "Import the valid rows and skip the rejected ones" in html
    # Nothing has changed yet.
    assert trust_by_code("RA1").name == "Old Name NHS Trust"  # type: ignore[union-attr]
    assert trust_by_code("RA3") is None


def test_a_byte_order_mark_and_blank_lines_are_fine(client: PortalClient) -> None:
    signed_in_admin(client)
    content = (
        "\ufeff"
        + CSV_HEADER
        + "\r\n"
        + "Hôpital Test NHS Trust,RB1,north-east,no\r\n"
        + ",,,\r\n\r\n"
    )
    path, html = preview_of(client, content.encode("utf-8"))
    assert "Hôpital Test NHS Trust" in html
    assert re.search(r"Rows that cannot be imported</dt>\s*<dd[^>]*>0<", html)
    assert "Import the valid rows" not in html  # nothing to skip
    assert apply(client, path, html).status_code == 303
    assert trust_by_code("RB1").name == "Hôpital Test NHS Trust"  # type: ignore[union-attr]


def test_duplicate_ods_codes_in_the_file_are_rejected_after_the_first(
    client: PortalClient,
) -> None:
    signed_in_admin(client)
    _, html = preview_of(
        client,
        CSV_HEADER + "First NHS Trust,RC1,london,yes\nSecond NHS Trust,rc1,london,no\n",
    )
    assert "ODS code RC1 is also on line 2" in html
    assert re.search(r"Trusts to add</dt>\s*<dd[^>]*>1<", html)


def test_a_name_with_a_line_break_or_a_tab_is_rejected_on_the_line_it_starts(
    client: PortalClient,
) -> None:
    signed_in_admin(client)
    _, html = preview_of(
        client,
        CSV_HEADER
        + '"Split\nName NHS Trust",RD1,london,yes\n'
        + "Tabbed\tNHS Trust,RD2,london,yes\n"
        + "Fine NHS Trust,RD3,london,yes\n",
    )
    one_line = "Name must be on one line, without tabs or other invisible characters"
    assert re.search(r"<span>2</span>.*?" + one_line, html, re.S)
    assert re.search(r"<span>4</span>.*?" + one_line, html, re.S)
    assert re.search(r"Rows that cannot be imported</dt>\s*<dd[^>]*>2<", html)
    assert re.search(r"Trusts to add</dt>\s*<dd[^>]*>1<", html)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfen\x00a\x00m\x00e\x00", "The file is not UTF-8 text"),
        (b"name;ods_code;region;participating\n", "The first line must be the header"),
        (b"trust,code\nA,B\n", "The first line must be the header"),
        (b"", "The file is empty"),
    ],
    ids=["not-utf8", "semicolons", "wrong-header", "empty"],
)
def test_a_file_that_cannot_be_read_is_refused_with_the_reason(
    client: PortalClient, app: Flask, content: bytes, message: str
) -> None:
    signed_in_admin(client)
    response = upload(client, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html and message in html
    assert 'href="#csv_file"' in html
    assert stored_uploads(app) == []


def test_no_file_chosen(client: PortalClient) -> None:
    signed_in_admin(client)
    response = client.post_form("/admin/trusts/import", {})
    assert response.status_code == 422 and "Select a CSV file" in response.get_data(as_text=True)


def test_a_file_over_2_mb_is_refused_with_a_clear_message(client: PortalClient, app: Flask) -> None:
    signed_in_admin(client)
    row = "A Rather Long Name For A Test Hospitals NHS Foundation Trust,RD1,london,yes\n"
    content = CSV_HEADER + row * (trust_import.MAX_BYTES // len(row) + 1)
    response = upload(client, content)
    assert response.status_code == 422
    assert "The file must be smaller than 2 MB" in response.get_data(as_text=True)
    assert stored_uploads(app) == []


def test_a_file_of_the_largest_size_allowed_still_fits_in_a_request(client: PortalClient) -> None:
    """The request size limit leaves room for a 2 MB file and the rest of its form."""
    signed_in_admin(client)
    assert "no larger than 2 MB" in client.get("/admin/trusts/import").get_data(as_text=True)
    row = "Largest File NHS Trust,RF1,london,yes\n"
    padding = trust_import.MAX_BYTES - len(CSV_HEADER) - len(row)
    content = CSV_HEADER + row + "\n" * padding  # blank lines are skipped
    assert len(content.encode()) == trust_import.MAX_BYTES
    _, html = preview_of(client, content)
    assert "Largest File NHS Trust" in html


def test_a_file_over_the_request_limit_is_refused_before_it_is_read(
    client: PortalClient, app: Flask
) -> None:
    signed_in_admin(client)
    before = trust_count()
    row = "Too Large NHS Trust,RF2,london,yes\n"
    padding = app.config["MAX_CONTENT_LENGTH"] + 1 - len(CSV_HEADER) - len(row)
    response = upload(client, CSV_HEADER + row + "\n" * padding)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "The file or form you sent is too large" in html
    assert "The portal accepts at most 2.1 MB at a time" in html
    assert stored_uploads(app) == []
    assert trust_count() == before and trust_by_code("RF2") is None
    assert audit_entries("trust.created") == []


def test_uploading_with_htmx_sends_the_browser_to_the_preview(client: PortalClient) -> None:
    signed_in_admin(client)
    response = upload(client, CSV_HEADER + "A NHS Trust,RE1,london,yes\n", headers=HTMX)
    assert response.status_code == 204 and PREVIEW.match(response.headers["HX-Location"])
    refused = upload(client, b"", headers=HTMX)
    assert refused.status_code == 422
    assert refused.get_data(as_text=True).lstrip().startswith('<div id="import-form">')


# --- Apply -------------------------------------------------------------------------------


def test_applying_creates_and_updates_trusts_audited_as_the_admin(
    client: PortalClient, app: Flask
) -> None:
    make_trust("Old Name NHS Trust", "RA1", "london", participating=False)
    admin = signed_in_admin(client)
    path, html = preview_of(
        client, CSV_HEADER + "New Name NHS Trust,RA1,london,yes\nAdded NHS Trust,RA5,london,no\n"
    )
    response = apply(client, path, html)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/trusts"
    assert trust_by_code("RA1").name == "New Name NHS Trust"  # type: ignore[union-attr]
    assert trust_by_code("RA5") is not None
    entries = [e for e in audit_entries() if e.object_type == "trust"]
    assert sorted(e.action for e in entries) == ["trust.created", "trust.updated"]
    assert all(e.actor_id == admin.id for e in entries)
    listing = client.get("/admin/trusts").get_data(as_text=True)
    assert "Import finished: 1 trust added, 1 updated, 0 unchanged." in listing
    # The file is used once: it is gone, and the same address is now stale.
    assert stored_uploads(app) == []
    again = apply(client, path, html)
    assert again.status_code == 303 and again.headers["Location"] == "/admin/trusts/import"
    assert "That upload is no longer available" in client.get("/admin/trusts/import").get_data(
        as_text=True
    )


def test_apply_is_refused_while_rows_are_rejected(client: PortalClient) -> None:
    signed_in_admin(client)
    path, html = preview_of(
        client, CSV_HEADER + "Good NHS Trust,RF1,london,yes\nBad NHS Trust,RF2,london,perhaps\n"
    )
    response = apply(client, path, html)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in page and "1 row cannot be imported" in page
    assert 'href="#skip_invalid"' in page
    assert trust_by_code("RF1") is None

    skipped = apply(client, path, page, skip_invalid=True)
    assert skipped.status_code == 303
    assert trust_by_code("RF1") is not None and trust_by_code("RF2") is None
    assert "1 row skipped" in client.get("/admin/trusts").get_data(as_text=True)


def test_refused_apply_with_htmx_swaps_the_preview(client: PortalClient) -> None:
    signed_in_admin(client)
    path, html = preview_of(
        client, CSV_HEADER + "Good NHS Trust,RF1,london,yes\nBad NHS Trust,RF2,london,perhaps\n"
    )
    response = apply(client, path, html, headers=HTMX)
    assert response.status_code == 422
    assert response.get_data(as_text=True).lstrip().startswith('<div id="import-preview">')
    done = apply(client, path, html, skip_invalid=True, headers=HTMX)
    assert done.status_code == 204 and done.headers["HX-Location"] == "/admin/trusts"


def test_a_file_with_nothing_to_change_offers_no_apply(client: PortalClient) -> None:
    make_trust("Same NHS Trust", "RA2", "london", participating=True)
    signed_in_admin(client)
    _, html = preview_of(client, CSV_HEADER + "Same NHS Trust,RA2,london,yes\n")
    assert "There is nothing to import" in html and "Apply the import" not in html


def test_apply_plans_again_and_refuses_if_the_trusts_changed_since_the_preview(
    client: PortalClient,
) -> None:
    signed_in_admin(client)
    path, html = preview_of(client, CSV_HEADER + "Added NHS Trust,RG1,london,yes\n")
    # Meanwhile someone adds the same trust by hand, slightly differently.
    make_trust("Added By Hand NHS Trust", "RG1", "london", participating=False)
    db.session.commit()
    response = apply(client, path, html)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The trusts have changed since this preview was made" in page
    assert "Added By Hand NHS Trust</del>" in page  # the preview made again
    assert trust_by_code("RG1").name == "Added By Hand NHS Trust"  # type: ignore[union-attr]
    # Applying the fresh preview works.
    assert apply(client, path, page).status_code == 303
    assert trust_by_code("RG1").name == "Added NHS Trust"  # type: ignore[union-attr]


# --- Stale or foreign uploads -------------------------------------------------------------


@pytest.mark.parametrize("upload_id", ["A" * 24, "short"], ids=["well-formed", "malformed"])
def test_an_unknown_upload_gets_a_clear_message(client: PortalClient, upload_id: str) -> None:
    signed_in_admin(client)
    response = client.get(f"/admin/trusts/import/{upload_id}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/trusts/import"
    page = client.get("/admin/trusts/import").get_data(as_text=True)
    assert "That upload is no longer available" in page and "Upload the file again" in page


def test_an_upload_address_that_climbs_folders_reaches_nothing(client: PortalClient) -> None:
    signed_in_admin(client)
    # The escaped slashes arrive as slashes: the address has more parts than any route's.
    assert client.get("/admin/trusts/import/..%2F..%2Fsecret").status_code == 404


def test_an_upload_belongs_to_the_session_that_made_it(app: Flask, client: PortalClient) -> None:
    signed_in_admin(client)
    path, html = preview_of(client, CSV_HEADER + "A NHS Trust,RH1,london,yes\n")
    other = app.test_client()
    signed_in_admin(other, "other.admin@example.org")
    response = apply(other, path, html)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/trusts/import"
    assert trust_by_code("RH1") is None
    assert other.get(path).status_code == 303


def test_an_upload_older_than_an_hour_has_expired(client: PortalClient, app: Flask) -> None:
    signed_in_admin(client)
    path, html = preview_of(client, CSV_HEADER + "A NHS Trust,RJ1,london,yes\n")
    [stored] = stored_uploads(app)
    an_hour_ago = time.time() - trust_import.KEEP_FOR.total_seconds() - 5
    os.utime(stored, (an_hour_ago, an_hour_ago))
    response = apply(client, path, html)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/trusts/import"
    assert trust_by_code("RJ1") is None
    assert stored_uploads(app) == []


def test_uploading_clears_expired_uploads(client: PortalClient, app: Flask) -> None:
    signed_in_admin(client)
    preview_of(client, CSV_HEADER + "A NHS Trust,RK1,london,yes\n")
    [old] = stored_uploads(app)
    an_hour_ago = time.time() - trust_import.KEEP_FOR.total_seconds() - 5
    os.utime(old, (an_hour_ago, an_hour_ago))
    preview_of(client, CSV_HEADER + "B NHS Trust,RK2,london,yes\n")
    assert old not in stored_uploads(app) and len(stored_uploads(app)) == 1


# --- A large file ------------------------------------------------------------------------


def ods_codes(count: int) -> list[str]:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return [
        "Y"
        + letters[n // 13824 % 24]
        + letters[n // 576 % 24]
        + letters[n // 24 % 24]
        + letters[n % 24]
        for n in range(count)
    ]


def test_a_10000_row_file_is_previewed_in_part_and_imported_whole(client: PortalClient) -> None:
    slugs = ["london", "north-west", "south-west", "east-midlands"]
    rows = [
        f"Trust {n:05} NHS Trust,{code},{slugs[n % 4]},{'yes' if n % 2 else 'no'}"
        for n, code in enumerate(ods_codes(10_000))
    ]
    signed_in_admin(client)
    path, html = preview_of(client, CSV_HEADER + "\n".join(rows) + "\n")
    assert re.search(r"Trusts to add</dt>\s*<dd[^>]*>10,000<", html)
    assert "Trust 00099 NHS Trust" in html and "Trust 00100 NHS Trust" not in html
    assert "The first 100 are shown; 9,900 more are not." in html
    before = trust_count()
    response = apply(client, path, html)
    assert response.status_code == 303
    assert trust_count() == before + 10_000
    assert len(audit_entries("trust.created")) == 10_000
