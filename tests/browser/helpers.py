"""What browser tests share: console and CSP watching, sign-in, axe-core."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from playwright.sync_api import ConsoleMessage, Page, expect

from portal.config import PROJECT_ROOT

NODE_MODULES = PROJECT_ROOT / "node_modules"
HTMX_FILE = NODE_MODULES / "htmx.org" / "dist" / "htmx.min.js"
AXE_FILE = NODE_MODULES / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent / "screenshots"

#: Requests the tests abort on purpose: the NHS font server, and the CDN when it is "down".
ABORTED_HOSTS = ("https://assets.nhs.uk/", "https://cdn.jsdelivr.net/")

#: The WCAG levels the design promises (2.2 AA) and everything below them.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# Recorded in the page's own world by an init script (which the page's CSP does not govern),
# reported back through a binding so violations on every document of the tab are kept.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `(${event.sourceFile || document.location.href}:${event.lineNumber})`
  );
});
"""


@dataclass
class PageProblems:
    """Console errors, uncaught exceptions and CSP violations seen in one tab."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    #: Console errors that the test expects (for example a 422 answer to a bad form).
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        text = message.text
        source = message.location.get("url", "")
        if "net::ERR_FAILED" in text and source.startswith(ABORTED_HOSTS):
            return  # a font or CDN request the test aborted on purpose
        self.console_errors.append(f"{text} ({source})")

    def on_csp_violation(self, description: str) -> None:
        self.csp_violations.append(description)

    def on_page_error(self, error: Exception) -> None:
        self.page_errors.append(str(error))

    def expect(self, pattern: str) -> None:
        """Allow console errors matching `pattern` (a regular expression)."""
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        console = [
            text
            for text in self.console_errors
            if not any(pattern.search(text) for pattern in self.expected)
        ]
        return (
            [f"console: {text}" for text in console]
            + [f"uncaught: {text}" for text in self.page_errors]
            + [f"CSP: {text}" for text in self.csp_violations]
        )

    def assert_none(self) -> None:
        problems = self.unexpected()
        assert not problems, "the page reported problems:\n" + "\n".join(problems)


_PROBLEMS: WeakKeyDictionary[Page, PageProblems] = WeakKeyDictionary()


def watch(page: Page) -> PageProblems:
    """Start recording the problems of `page` (before it loads anything)."""
    problems = PageProblems()
    page.on("console", problems.on_console)
    page.on("pageerror", problems.on_page_error)
    page.expose_function("__reportCspViolation", problems.on_csp_violation)
    page.add_init_script(CSP_LISTENER)
    _PROBLEMS[page] = problems
    return problems


def problems_of(page: Page) -> PageProblems:
    return _PROBLEMS[page]


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    """Sign in through the form, as a person would, and wait for the account page (asked for as
    the page to go on to, as a link to a signed-in page does; without it people land on their
    home, which tests/browser/test_sign_in.py follows)."""
    page.goto(f"{base_url}/sign-in?next=/account")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    scripts_have_run(page)


def settled(page: Page) -> None:
    """Wait until whatever the last action set going has finished: no request in flight for
    half a second (Playwright's "networkidle") and two frames painted since, so any handler,
    htmx swap or "load" trigger it started has run."""
    page.wait_for_load_state("networkidle")
    page.evaluate(
        "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


def scripts_have_run(page: Page) -> None:
    """Wait until the page reached by a click has run its scripts.

    The URL and the heading change before they have: a click that came before htmx had set the
    page up would send a plain form instead (seen on a loaded machine). ``page.goto`` waits for
    this already; following a link does not.
    """
    page.wait_for_load_state("load")


@cache
def axe_source() -> str:
    return AXE_FILE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return its violations of WCAG 2.2 A and AA."""
    # page.evaluate runs through DevTools, which the page's CSP does not block (a <script> would).
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        """(tags) => axe.run(document, {runOnly: {type: "tag", values: tags}})
              .then((r) => r.violations.map((v) => ({
                 id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                 nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary})),
              })))""",
        AXE_TAGS,
    )
    return list(result)


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  - {node['target']}: {(node['summary'] or '').replace(chr(10), ' ')}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    # Judge the page as people see it: after its scripts have run. On a phone, the NHS header
    # moves the links that do not fit into a "More" menu; before that, they overflow onto the page.
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    assert not violations, f"axe found {len(violations)} violation(s) on {page.url}:\n" + (
        describe_violations(violations)
    )


def check_and_save(page: Page, name: str) -> None:
    """Check the page has the NHS styles and no sideways scrolling; save a full-page screenshot."""
    # The NHS stylesheet applied: the header has its blue background.
    header_colour = page.locator("header.nhsuk-header").evaluate(
        "(header) => getComputedStyle(header).backgroundColor"
    )
    assert header_colour == "rgb(0, 94, 184)"
    # Nothing pushes the page wider than the screen.
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0, f"{name} scrolls sideways by {overflow}px"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, animations="disabled")
