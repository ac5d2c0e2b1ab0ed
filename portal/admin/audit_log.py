"""The audit log, for the programme team: read and export only; no route changes an entry."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from portal.admin import bp
from portal.admin.audit_sentences import Names, by_london_day, described
from portal.admin.forms import AuditFilterForm
from portal.audit.search import AuditFilters, actions, as_json, entries_query, object_types
from portal.auth.models import User
from portal.database import paginate
from portal.extensions import db
from portal.web.csvtools import csv_download
from portal.web.htmx import render, wants_fragment
from portal.web.inputs import search_text

PAGE_SIZE = 50
#: The log grows by the year: it is counted up to here (200 pages), not to its end, on each load.
COUNT_UP_TO = 10_000
#: The page's parts that its filter form may ask for (by htmx's HX-Target header): their blocks.
FRAGMENTS = {"audit-results": "results", "audit-log": "audit_log"}
CSV_HEADER = (
    "at",
    "actor email",
    "action",
    "object type",
    "object id",
    "before",
    "after",
    "sentence",
)


def _filter_form() -> AuditFilterForm:
    return AuditFilterForm(request.args, object_types=object_types(), actions=actions())


def _filters(form: AuditFilterForm) -> AuditFilters:
    person = search_text(form.person.data, 254).lower()
    return AuditFilters(
        actors=(
            select(User.id).where(User.email.contains(person, autoescape=True)) if person else None
        ),
        object_type=form.object_type.data or "",
        action=form.action.data or "",
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )


def _query_args(form: AuditFilterForm) -> dict[str, str]:
    """The filters as query-string arguments, for links to other pages and the CSV file."""
    args: dict[str, str] = {}
    for name in ("person", "object_type", "action"):
        if form[name].data:
            args[name] = form[name].data
    for field in (form.date_from, form.date_to):
        for part, value in field.parts.items():
            if value:
                args[f"{field.name}-{part}"] = value
    return args


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    """Who changed what and when, newest first under each London day, in words, with filters;
    50 entries a page."""
    form = _filter_form()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    context: dict[str, Any] = {"form": form, "args": _query_args(form)}
    # The filter form asks for the results alone, or (after an error, to clear its messages) for
    # itself and the results; any other htmx request (HX-Location) gets the page.
    target = request.headers.get("HX-Target") if wants_fragment() else None
    if not form.validate():
        response = render(
            "admin/audit.jinja",
            "audit_log" if target in FRAGMENTS else None,
            status=422,
            days=[],
            total=0,
            more=False,
            page=1,
            pages=1,
            filtered=True,
            **context,
        )
        if target == "audit-results":
            # Errors belong beside the form's fields: replace the form too.
            response.headers["HX-Retarget"] = "#audit-log"
            response.headers["HX-Reswap"] = "outerHTML"
        return response
    query = entries_query(_filters(form))
    entries = paginate(query, page, PAGE_SIZE, count_up_to=COUNT_UP_TO)
    return render(
        "admin/audit.jinja",
        FRAGMENTS.get(target or ""),
        days=by_london_day(described(entries.items, viewer=current_user)),
        total=entries.total,
        more=entries.more,
        page=entries.number,
        pages=entries.pages,
        filtered=bool(context["args"]),
        **context,
    )


@bp.get("/audit.csv")
def audit_csv() -> ResponseReturnValue:
    """The entries the filters select, as a CSV file (times in UTC, states as JSON), each with
    its sentence; the file leaves the portal, so its sentences name no attendee."""
    form = _filter_form()
    if not form.validate():
        return render(
            "admin/audit.jinja",
            status=422,
            days=[],
            total=0,
            more=False,
            page=1,
            pages=1,
            filtered=True,
            form=form,
            args=_query_args(form),
        )
    entries = db.session.scalars(entries_query(_filters(form))).all()
    names = Names(entries, viewer=current_user, personal=False)
    rows = (
        (
            entry.at.isoformat(timespec="seconds"),
            entry.actor.email if entry.actor is not None else "",
            entry.action,
            entry.object_type,
            entry.object_id,
            as_json(entry.before),
            as_json(entry.after),
            str(names.sentence(entry)) + ".",
        )
        for entry in entries
    )
    return csv_download(CSV_HEADER, rows, "audit-log.csv")
