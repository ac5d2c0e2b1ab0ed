"""Values every template can use: the service name, role-aware navigation, htmx settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app, request
from flask_login import current_user
from markupsafe import Markup

from portal.web.dates import LONDON, long_date, short_time
from portal.web.htmx import wants_fragment
from portal.web.markdown import render_markdown
from portal.web.navigation import navigation_items
from portal.web.urls import absolute_url, row_url, webcal_url

SERVICE_NAME = "Caesarean section network"

# htmx 2 settings that fit a strict CSP: no eval, no injected <style>, no script tags run from
# swapped content; 422 answers (validation errors) are swapped in place like 200s.
HTMX_CONFIG: dict[str, Any] = {
    "allowEval": False,
    "allowScriptTags": False,
    "includeIndicatorStyles": False,
    "selfRequestsOnly": True,
    "historyRestoreAsHxRequest": False,
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "422", "swap": True},
        # Error pages come with HX-Retarget/HX-Reselect to replace the main content.
        {"code": "[45]..", "swap": True, "error": True},
    ],
}


def htmx_config() -> dict[str, Any]:
    config = dict(HTMX_CONFIG)
    # Signed-in pages hold personal data: keep no copies in the history cache (localStorage).
    config["historyCacheSize"] = 0 if current_user.is_authenticated else 10
    if current_user.is_authenticated:
        config["refreshOnHistoryMiss"] = True
    return config


def nhsuk_select_item(choice: tuple[Any, ...]) -> dict[str, Any]:
    """A WTForms choice (value, label, selected, …) as an NHS select item."""
    value, label, selected = choice[0], choice[1], choice[2]
    return {"value": value, "text": label, "selected": selected}


def london_datetime(instant: datetime) -> str:
    """An instant as people in England read it: 27 November 2026 at 9:05am."""
    local = instant.astimezone(LONDON)
    hour = local.strftime("%I").lstrip("0")
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{local.strftime('%p').lower()}"


def london_date(instant: datetime) -> str:
    """The day of an instant in England: 27 November 2026."""
    local = instant.astimezone(LONDON)
    return f"{local.day} {local:%B %Y}"


def london_time(instant: datetime) -> str:
    """The time of an instant in England, in the NHS style: 9:05am."""
    return short_time(instant.astimezone(LONDON).time())


def _one_decimal(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def percent(value: float) -> str:
    """24.5%, 21%."""
    return f"{_one_decimal(value)}%"


def percent_points(value: float) -> str:
    return f"{_one_decimal(value)} percentage point{'' if value == 1 else 's'}"


@dataclass(frozen=True)
class DemoMarking:
    """How a page marks the demo records it lists: one notice for the page when any is shown, and
    a tag on each demo record only where real records are listed beside them."""

    any: bool
    mixed: bool


def demo_marking(*lists: Iterable[Any], flag: str = "is_demo") -> DemoMarking:
    """The marking for a page that shows these lists of records, demo where `flag` is true."""
    flags = [bool(getattr(record, flag)) for records in lists for record in records]
    return DemoMarking(any=any(flags), mixed=any(flags) and not all(flags))


def site_footer() -> Markup:
    """The footer of every page (templates/site_footer.jinja). It holds nothing that depends on
    the person or the data, only links, so it is rendered once per process and script root."""
    rendered: dict[str, Markup] = current_app.extensions.setdefault("site_footer", {})
    root = request.script_root
    if root not in rendered:
        template = current_app.jinja_env.get_template("site_footer.jinja")
        rendered[root] = Markup(template.render())
    return rendered[root]


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        absolute_url=absolute_url,
        site_footer=site_footer,
        row_url=row_url,
        wants_fragment=wants_fragment,
        service_name=SERVICE_NAME,
        navigation_items=navigation_items,
        htmx_config=htmx_config,
        demo_marking=demo_marking,
    )
    app.jinja_env.filters["nhsuk_select_item"] = nhsuk_select_item
    app.jinja_env.filters["london_datetime"] = london_datetime
    app.jinja_env.filters["london_date"] = london_date
    app.jinja_env.filters["london_time"] = london_time
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["percent_points"] = percent_points
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["short_time"] = short_time
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["webcal"] = webcal_url
