"""The toolkit framework's pages: the current framework (and any version) for everyone signed in,
read only; and for the programme team, the versions loaded and a new version from a CSV file,
checked and previewed before it is loaded.

The framework is the NHS Institute's text, reproduced only within the NHS and its networks, so
no page of it is public.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from portal.assessments import bp
from portal.assessments import network_routes as _network_routes  # noqa: F401  # shared rounds
from portal.assessments import round_routes as _round_routes  # noqa: F401  # the rounds' pages
from portal.assessments.forms import FrameworkUploadForm, LoadVersionForm
from portal.assessments.models import ToolkitVersion
from portal.assessments.pathways import Pathway
from portal.assessments.service import (
    CSV_HEADER,
    MAX_POSITIONS,
    MAX_ROWS,
    MIN_POSITIONS,
    ToolkitError,
    ToolkitPlan,
    apply_import,
    current_version,
    framework,
    plan_import,
    version_by_number,
    versions,
)
from portal.auth.permissions import signed_in
from portal.web import uploads
from portal.web.htmx import redirect_after_post, render
from portal.web.lookups import found_or_404
from portal.web.navigation import navigation_link

#: The session key listing this person's framework uploads (id -> file name), newest last.
TOOLKIT_UPLOADS = uploads.CsvUploads("toolkit_imports", "toolkit.csv", "assessments.manage")
#: How many rows of problems the page lists; the count covers every one.
PROBLEM_ROWS = 100


def _toolkit_link(person: object) -> str | None:
    return url_for("assessments.framework") if signed_in(person) else None


navigation_link(
    "Toolkit",
    88,  # after Robson groups
    _toolkit_link,
    {
        "assessments.framework",
        "assessments.version",
        "assessments.manage",
        "assessments.import_preview",
    },
)


def _admins_only() -> None:
    """The programme team's pages: others are refused, as on every /admin page."""
    if not current_user.is_admin:
        abort(403)


# --- Reading the framework -----------------------------------------------------------------------


def _framework_page(version: ToolkitVersion | None) -> ResponseReturnValue:
    latest = current_version()
    return render(
        "assessments/framework.jinja",
        version=version,
        is_current=version is not None and latest is not None and version.id == latest.id,
        latest=latest,
        pathways=framework(version) if version is not None else [],
    )


@bp.get("/toolkit", endpoint="framework")
@login_required
def current_framework() -> ResponseReturnValue:
    """The current version of the framework, read only."""
    return _framework_page(current_version())


@bp.get("/toolkit/versions/<int:number>")
@login_required
def version(number: int) -> ResponseReturnValue:
    """A version as it was loaded: its wording stays whatever was loaded later."""
    return _framework_page(found_or_404(version_by_number(number)))


# --- The programme team: versions, and a new one from a file -------------------------------------


def _manage_page(
    form: FrameworkUploadForm, status: int, plan: ToolkitPlan | None = None
) -> ResponseReturnValue:
    return render(
        "assessments/manage.jinja",
        "manage" if status != 200 else None,
        status=status,
        form=form,
        plan=plan,
        show=PROBLEM_ROWS,
        versions=versions(),
        csv_header=CSV_HEADER,
        pathways=list(Pathway),
        max_rows=MAX_ROWS,
        min_positions=MIN_POSITIONS,
        max_positions=MAX_POSITIONS,
    )


@bp.route("/admin/toolkit", methods=["GET", "POST"])
@login_required
def manage() -> ResponseReturnValue:
    """The versions loaded, and a form to check a new file: a file with problems is listed
    here, row by row; a good one goes on to its preview."""
    _admins_only()
    form = FrameworkUploadForm()
    if request.method == "GET":
        uploads.discard_expired()
        return _manage_page(form, 200)
    plan = None
    if form.validate() and (data := uploads.read_limited(form.csv_file)) is not None:
        plan = plan_import(data)
        if plan.problem:
            form.csv_file.errors.append(plan.problem)
        elif plan.rejected:
            form.csv_file.errors.append(_rows_message(len(plan.rejected)))
        else:
            upload_id = TOOLKIT_UPLOADS.keep(form.csv_file, data)
            return redirect_after_post(url_for("assessments.import_preview", upload_id=upload_id))
    return _manage_page(form, 422, plan)


def _rows_message(count: int) -> str:
    rows = "1 row" if count == 1 else f"{count:,} rows"
    return (
        f"{rows} of the file cannot be loaded, so nothing was loaded: fix the rows listed "
        "below and check the file again"
    )


@bp.get("/admin/toolkit/import/<upload_id>")
@login_required
def import_preview(upload_id: str) -> ResponseReturnValue:
    _admins_only()
    data = TOOLKIT_UPLOADS.data(upload_id)
    if data is None:
        return TOOLKIT_UPLOADS.gone()
    plan = plan_import(data)
    form = LoadVersionForm(fingerprint=uploads.plan_fingerprint(plan))
    return render(
        "assessments/preview.jinja",
        status=200 if plan.is_readable else 422,
        **_preview(upload_id, plan, form),
    )


@bp.post("/admin/toolkit/import/<upload_id>")
@login_required
def import_apply(upload_id: str) -> ResponseReturnValue:
    """Load the upload as a new version, planned afresh: only if it is still what the preview
    showed."""
    _admins_only()
    form = LoadVersionForm()
    data = TOOLKIT_UPLOADS.data(upload_id)
    if data is None:
        return TOOLKIT_UPLOADS.gone()
    plan = plan_import(data)
    seen = uploads.seen_plan(form, plan)
    if form.validate():  # otherwise the note's message is next to it
        if not plan.can_apply:
            form.form_errors.append(
                "Nothing was loaded: the file is the same as the current version"
                if plan.unchanged
                else "Nothing was loaded: the file has rows that cannot be loaded"
            )
        elif not seen:
            form.form_errors.append(
                uploads.changed_since_preview("The framework has", "load the version")
            )
        else:
            filename = TOOLKIT_UPLOADS.filename(upload_id)
            try:
                loaded = apply_import(plan, current_user, filename, note=form.note.data or "")
            except ToolkitError as exc:
                form.form_errors.append(str(exc))
            else:
                TOOLKIT_UPLOADS.finished(upload_id)
                flash(
                    f"Version {loaded.number} of the toolkit framework has been loaded.", "success"
                )
                return redirect_after_post(url_for("assessments.manage"))
    return render(
        "assessments/preview.jinja", "preview", status=422, **_preview(upload_id, plan, form)
    )


def _preview(upload_id: str, plan: ToolkitPlan, form: LoadVersionForm) -> dict[str, Any]:
    return {
        "upload_id": upload_id,
        "filename": TOOLKIT_UPLOADS.filename(upload_id),
        "plan": plan,
        "form": form,
        "show": PROBLEM_ROWS,
        "pathways": list(Pathway),
        "keep_minutes": uploads.KEEP_MINUTES,
    }
