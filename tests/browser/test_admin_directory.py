"""The programme team's directory and audit log in the browser: adding and changing trusts with
JavaScript on and off, importing a CSV file, filtering the audit log; axe on every page; screenshots.

Each test makes trusts of its own, with random ODS codes starting with Y (no demo trust has one),
and changes no demo record that other browser tests rely on.
"""

from __future__ import annotations

import re
import secrets
import string

import pytest
from playwright.sync_api import Page, expect

from portal.demo import DEMO_PASSWORD
from tests.browser.conftest import NewPage
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    check_and_save,
    problems_of,
    sign_in,
)

pytestmark = pytest.mark.browser

ADMIN = "admin@example.org"
viewports = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def fresh_code() -> str:
    """An ODS code no other test uses: Y and four random letters or digits."""
    return "Y" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(4))


def signed_in_admin(page: Page, live_server: str) -> None:
    sign_in(page, live_server, ADMIN, DEMO_PASSWORD)


def add_trust(page: Page, live_server: str, name: str, code: str, region: str) -> None:
    page.goto(f"{live_server}/admin/trusts/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("ODS code").fill(code)
    page.get_by_label("Region").select_option(region)
    page.get_by_role("button", name="Add trust").click()
    expect(page).to_have_url(f"{live_server}/admin/trusts")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        f"{name} ({code}) has been added."
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_admin_adds_a_trust_then_changes_it(
    new_page: NewPage, live_server: str, javascript: bool
) -> None:
    page = new_page(javascript=javascript)
    problems_of(page).expect(r"status of 422")
    signed_in_admin(page, live_server)
    if javascript:
        # The admin's header has more links than fit: the last ones wait under "More" (once
        # the page's scripts have measured the header).
        page.wait_for_load_state("load")
        more = page.locator("header #toggle-menu")
        if more.is_visible():
            more.click()
        page.locator("header").get_by_role("link", name="Directory").click()
    else:
        page.goto(f"{live_server}/admin/trusts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trusts")
    page.get_by_role("link", name="Add a trust").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a trust")

    # Nothing filled in: the NHS error summary, and a message by each field.
    code = fresh_code()
    page.get_by_label("ODS code").fill(code[:4])
    page.get_by_role("button", name="Add trust").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter the trust's name")
    expect(summary).to_contain_text("ODS code must be 3 or 5 letters and digits")
    expect(summary).to_contain_text("Choose the region the trust is in")
    if javascript:
        expect(summary).to_be_focused()  # swapped in place, and announced
    else:
        expect(page).to_have_title(re.compile(r"^Error: Add a trust"))
    if javascript:  # axe runs as a script: not in a tab with JavaScript off
        assert_accessible(page)

    name = f"Browser Test {code} NHS Trust"
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("ODS code").fill(code.lower())
    page.get_by_label("Region").select_option("south-west")
    page.get_by_label("This trust takes part in the Rapid Improvement Programme").check()
    page.get_by_role("button", name="Add trust").click()
    expect(page).to_have_url(f"{live_server}/admin/trusts")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        f"{name} ({code}) has been added."
    )

    # Find it: typed into the search (live with JavaScript; with the button without).
    page.get_by_label("Search by name or ODS code").fill(code)
    if javascript:
        expect(page).to_have_url(re.compile(rf"q={code}"))
    else:
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(rf"\?q={code}"))
    results = page.locator("#trust-results")
    expect(results).to_contain_text("1 trust found.")
    expect(results).to_contain_text("Participating")
    results.get_by_role("link", name=re.compile(name)).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Change trust details")
    expect(page.get_by_label("ODS code")).to_have_value(code)
    # Another trust's code is refused, by the field.
    page.get_by_label("ODS code").fill("ZD1")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".nhsuk-error-message")).to_contain_text(
        "Another trust already has the ODS code ZD1"
    )
    if javascript:  # axe runs as a script: not in a tab with JavaScript off
        assert_accessible(page)
    page.get_by_label("ODS code").fill(code)
    page.get_by_label("Name", exact=True).fill(f"{name} renamed")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(f"{live_server}/admin/trusts")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        f"{name} renamed ({code}) has been updated."
    )
    problems_of(page).assert_none()


def csv_file(*rows: str) -> dict[str, object]:
    content = "name,ods_code,region,participating\n" + "\n".join(rows) + "\n"
    return {"name": "trusts.csv", "mimeType": "text/csv", "buffer": content.encode()}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_admin_imports_trusts_after_checking_the_preview(
    new_page: NewPage, live_server: str, javascript: bool
) -> None:
    page = new_page(javascript=javascript)
    problems_of(page).expect(r"status of 422")
    signed_in_admin(page, live_server)
    existing, added, bad = fresh_code(), fresh_code(), fresh_code()
    add_trust(page, live_server, f"Existing {existing} NHS Trust", existing, "london")

    page.goto(f"{live_server}/admin/trusts/import")
    page.locator("input[type=file]").set_input_files(
        csv_file(
            f"Existing {existing} NHS Trust renamed,{existing},london,yes",
            f"Imported {added} NHS Trust,{added},south-west,no",
            f"Nowhere {bad} NHS Trust,{bad},atlantis,yes",
        )
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    expect(page.locator("#import-counts")).to_contain_text("Trusts to add")
    expect(page.get_by_role("table").filter(has_text="Problem")).to_contain_text("atlantis")
    expect(page.locator("#to-change + table")).to_contain_text(
        f"Existing {existing} NHS Trust renamed"
    )

    # Rejected rows: applying is refused until the admin chooses to skip them.
    page.get_by_role("button", name="Apply the import").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("1 row cannot be imported")
    if javascript:  # axe runs as a script: not in a tab with JavaScript off
        assert_accessible(page)
    page.get_by_label("Import the valid rows and skip the rejected ones").check()
    page.get_by_role("button", name="Apply the import").click()
    expect(page).to_have_url(f"{live_server}/admin/trusts")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "Import finished: 1 trust added, 1 updated, 0 unchanged, 1 row skipped."
    )
    page.goto(f"{live_server}/admin/trusts?q={added}")
    expect(page.locator("#trust-results")).to_contain_text(f"Imported {added} NHS Trust")
    problems_of(page).assert_none()


def test_the_audit_log_filters_as_the_admin_chooses(page: Page, live_server: str) -> None:
    problems_of(page).expect(r"status of 422")
    signed_in_admin(page, live_server)
    code = fresh_code()
    add_trust(page, live_server, f"Audited {code} NHS Trust", code, "north-west")

    page.goto(f"{live_server}/admin/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    page.get_by_label("Action").select_option("trust.created")
    expect(page).to_have_url(re.compile(r"action=trust\.created"))
    results = page.locator("#audit-results")
    expect(results).to_contain_text(f"Audited {code} NHS Trust")
    expect(results).not_to_contain_text("region.updated")
    page.get_by_label("Person's e-mail address contains").fill("nobody-at-all")
    expect(page).to_have_url(re.compile(r"person=nobody-at-all"))
    expect(results).to_contain_text("No entries match these filters")
    page.get_by_label("Person's e-mail address contains").fill("admin@")
    expect(results).to_contain_text(f"Audited {code} NHS Trust")

    # A date that does not exist: the message by the field; then fixed, the messages go.
    page.locator("#date_from-day").fill("31")
    page.locator("#date_from-month").fill("2")
    page.locator("#date_from-year").fill("2026")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("From date must be a real date")
    assert_accessible(page)
    page.locator("#date_from-day").fill("1")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".nhsuk-error-summary")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"date_from-day=1&"))
    expect(page.locator("#audit-results")).to_contain_text(f"Audited {code} NHS Trust")
    problems_of(page).assert_none()


@viewports
def test_every_directory_and_audit_page_passes_axe(
    new_page: NewPage, live_server: str, viewport: dict[str, int]
) -> None:
    page = new_page(viewport=viewport)
    problems_of(page).expect(r"status of 422")
    signed_in_admin(page, live_server)
    for path in [
        "/admin/trusts",
        "/admin/trusts?q=no-such-trust",
        "/admin/trusts/new",
        "/admin/trusts/import",
        "/admin/regions",
        "/admin/regions/north-east/edit",
        "/admin/audit",
    ]:
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.status == 200, path
        assert_accessible(page)

    page.goto(f"{live_server}/admin/trusts?q=ZD1")
    page.locator("#trust-results").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change trust details")
    assert_accessible(page)

    # Error states.
    page.goto(f"{live_server}/admin/trusts/import")
    page.locator("input[type=file]").set_input_files(
        {"name": "trusts.csv", "mimeType": "text/csv", "buffer": b"wrong,header\n"}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "The first line must be the header"
    )
    assert_accessible(page)

    page.goto(f"{live_server}/admin/regions/north-east/edit")
    page.get_by_label("Coordinator's e-mail address (optional)").fill("not an address")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter an e-mail address")
    assert_accessible(page)

    page.goto(f"{live_server}/admin/audit?date_to-day=1&date_to-month=13&date_to-year=2026")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("To date must be a real date")
    assert_accessible(page)
    problems_of(page).assert_none()


@viewports
def test_the_import_preview_passes_axe(
    new_page: NewPage, live_server: str, viewport: dict[str, int]
) -> None:
    page = new_page(viewport=viewport)
    signed_in_admin(page, live_server)
    page.goto(f"{live_server}/admin/trusts/import")
    page.locator("input[type=file]").set_input_files(
        csv_file(
            "Northgate Hospitals NHS Foundation Trust,ZD1,north-east,no",
            f"Preview Only NHS Trust,{fresh_code()},london,yes",
            "Bad Row NHS Trust,X,london,yes",
        )
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    assert_accessible(page)
    problems_of(page).assert_none()


@pytest.mark.parametrize(
    ("size", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)], ids=["phone", "desktop"]
)
def test_screenshots_of_the_directory_and_audit_log(
    new_page: NewPage, live_server: str, size: str, viewport: dict[str, int]
) -> None:
    page = new_page(viewport=viewport)
    problems_of(page).expect(r"status of 422")
    signed_in_admin(page, live_server)
    page.goto(f"{live_server}/admin/trusts")
    expect(page.locator("#trust-results")).to_be_visible()
    check_and_save(page, f"admin-trusts-{size}")

    page.goto(f"{live_server}/admin/regions")
    check_and_save(page, f"admin-regions-{size}")

    page.goto(f"{live_server}/admin/trusts/new")
    page.get_by_role("button", name="Add trust").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    check_and_save(page, f"admin-trust-errors-{size}")

    page.goto(f"{live_server}/admin/trusts/import")
    page.locator("input[type=file]").set_input_files(
        {"name": "trusts.csv", "mimeType": "text/csv", "buffer": b"\xff\xfe"}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("not UTF-8")
    check_and_save(page, f"admin-import-error-{size}")

    # Loaded afresh: taking a screenshot leaves empty style attributes on inputs, which htmx's
    # settling would copy onto the next page's inputs of the same id, against the CSP.
    page.goto(f"{live_server}/admin/trusts/import")
    page.locator("input[type=file]").set_input_files(
        csv_file(
            "Northgate Hospitals NHS Foundation Trust (renamed for a preview),ZD1,north-west,no",
            f"Screenshot Preview NHS Trust,{fresh_code()},london,yes",
            f"Another Screenshot NHS Trust,{fresh_code()},south-west,no",
            "Bad Row NHS Trust,X,london,yes",
            "Bad Region NHS Trust,YQQQQ,atlantis,maybe",
        )
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    check_and_save(page, f"admin-import-preview-{size}")

    page.goto(f"{live_server}/admin/audit")
    expect(page.locator("#audit-results")).to_be_visible()
    check_and_save(page, f"admin-audit-{size}")
    problems_of(page).assert_none()
