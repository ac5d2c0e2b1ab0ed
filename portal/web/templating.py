"""Values every template can use: the service name, role-aware navigation, htmx settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, request, url_for
from flask_login import current_user

from portal.web.dates import LONDON, long_date, short_time
from portal.web.htmx import wants_fragment
from portal.web.markdown import render_markdown
from portal.web.urls import absolute_url, webcal_url

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


def navigation_items() -> list[dict[str, Any]]:
    """The header's navigation: what everyone can read, then what this person's role can do."""
    items: list[dict[str, Any]] = [
        {
            "href": url_for("events.index"),
            "text": "Events",
            "endpoints": {"events.index", "events.event"},
        },
        {"href": url_for("pages.about"), "text": "About", "endpoints": {"pages.about"}},
        {
            "href": url_for("regions.index"),
            "text": "Regions",
            "endpoints": {"regions.index", "regions.region"},
        },
        {
            "href": url_for("regions.trusts"),
            "text": "Trusts",
            "endpoints": {"regions.trusts", "regions.trust"},
        },
        {
            "href": url_for("stories.index"),
            "text": "Stories",
            "endpoints": {"stories.index", "stories.story"},
        },
    ]
    if current_user.is_authenticated:
        if current_user.is_coordinator and current_user.region is not None:
            items.append(
                {
                    "href": url_for("regions.region", slug=current_user.region.slug),
                    "text": "Your region",
                    "endpoints": set(),
                }
            )
            items.append(_manage_events_item())
            items.append(_review_stories_item())
            items.append(
                {
                    "href": url_for("auth.team"),
                    "text": "Trust staff",
                    "endpoints": {"auth.team", "auth.invite_person", "auth.person"},
                }
            )
        elif current_user.is_trust_staff and current_user.trust is not None:
            items.append(
                {
                    "href": url_for("regions.trust", ods_code=current_user.trust.ods_code),
                    "text": "Your trust",
                    "endpoints": set(),
                }
            )
            items.append(
                {
                    "href": url_for("stories.mine"),
                    "text": "Your stories",
                    "endpoints": {
                        "stories.mine",
                        "stories.edit",
                        "stories.submit_for_review",
                        "stories.delete",
                    },
                }
            )
            items.append(
                {
                    "href": url_for("registrations.trust_bookings"),
                    "text": "Bookings",
                    "endpoints": {
                        "registrations.trust_bookings",
                        "registrations.book",
                        "registrations.booked",
                        "registrations.change",
                        "registrations.trust_withdraw",
                    },
                }
            )
        elif current_user.is_admin:
            items.append(_manage_events_item())
            items.append(_review_stories_item())
            items.append(
                {"href": url_for("admin.people"), "text": "People", "endpoints": {"admin.people"}}
            )
            items.append(
                {"href": url_for("admin.mail"), "text": "Mail", "endpoints": {"admin.mail"}}
            )
            items.append(
                {
                    "href": url_for("admin.privacy"),
                    "text": "Privacy",
                    "endpoints": {"admin.privacy"},
                }
            )
            items.append(
                {
                    "href": url_for("admin.trusts"),
                    "text": "Directory",
                    "endpoints": {
                        "admin.trusts",
                        "admin.new_trust",
                        "admin.edit_trust",
                        "admin.import_trusts",
                        "admin.import_preview",
                        "admin.import_apply",
                        "admin.regions",
                        "admin.edit_region",
                    },
                }
            )
            items.append(
                {
                    "href": url_for("admin.audit_log"),
                    "text": "Audit log",
                    "endpoints": {"admin.audit_log"},
                }
            )
    items.append(
        {"href": url_for("pages.contact"), "text": "Contact", "endpoints": {"pages.contact"}}
    )
    for item in items:
        item["current"] = request.path == item["href"]
        item["active"] = request.endpoint in item.pop("endpoints") and not item["current"]
    return items


def _review_stories_item() -> dict[str, Any]:
    return {
        "href": url_for("stories.review_list"),
        "text": "Review stories",
        "endpoints": {"stories.review_list", "stories.review", "stories.withdraw_story"},
    }


def _manage_events_item() -> dict[str, Any]:
    return {
        "href": url_for("events.manage"),
        "text": "Manage events",
        "endpoints": {
            "events.manage",
            "events.new",
            "events.edit",
            "events.cancel",
            "events.delete",
        },
    }


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


def _one_decimal(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def percent(value: float) -> str:
    """24.5%, 21%."""
    return f"{_one_decimal(value)}%"


def percent_points(value: float) -> str:
    return f"{_one_decimal(value)} percentage point{'' if value == 1 else 's'}"


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        absolute_url=absolute_url,
        wants_fragment=wants_fragment,
        service_name=SERVICE_NAME,
        navigation_items=navigation_items,
        htmx_config=htmx_config,
    )
    app.jinja_env.filters["nhsuk_select_item"] = nhsuk_select_item
    app.jinja_env.filters["london_datetime"] = london_datetime
    app.jinja_env.filters["london_date"] = london_date
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["percent_points"] = percent_points
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["short_time"] = short_time
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["webcal"] = webcal_url
