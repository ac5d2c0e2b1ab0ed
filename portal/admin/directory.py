"""The directory: the programme's trusts (one by one or from a CSV file) and its ten regions."""

from __future__ import annotations

from typing import Any

from flask import flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, or_, select

from portal.admin import bp
from portal.admin.forms import (
    ApplyImportForm,
    RegionForm,
    TrustFilterForm,
    TrustForm,
    TrustImportForm,
)
from portal.database import paginate
from portal.extensions import db
from portal.regions.models import Region, Trust
from portal.regions.service import (
    TRUST_CSV_HEADER,
    ImportConflict,
    ImportPlan,
    OdsCodeTaken,
    apply_trust_import,
    create_trust,
    plan_trust_import,
    planned_changes,
    region_by_slug,
    regions_in_order,
    trust_counts_by_region,
    update_region,
    update_trust,
)
from portal.web import uploads
from portal.web.htmx import redirect_after_post, render
from portal.web.lookups import found_or_404

PAGE_SIZE = 25
#: How many rows of each kind the import preview lists; the counts cover every row.
PREVIEW_ROWS = 100
#: The session key listing this person's uploads (id -> file name), newest last.
TRUST_UPLOADS = uploads.CsvUploads("trust_imports", "trusts.csv", "admin.import_trusts")


# --- Trusts --------------------------------------------------------------------------------


@bp.get("/trusts")
def trusts() -> ResponseReturnValue:
    """Every trust, with search by name or ODS code and filters by region and participation."""
    form = TrustFilterForm(request.args, regions=regions_in_order())
    page = max(request.args.get("page", 1, type=int) or 1, 1)

    query = select(Trust).join(Trust.region)
    if q := form.q.data:
        needle = q.lower()
        query = query.where(
            or_(
                func.lower(Trust.name).contains(needle, autoescape=True),
                func.lower(Trust.ods_code).contains(needle, autoescape=True),
            )
        )
    if region := form.region.data:
        query = query.where(Region.slug == region)
    if participating := form.participating.data:
        query = query.where(Trust.participating.is_(participating == "yes"))
    found = paginate(query.order_by(func.lower(Trust.name), Trust.ods_code), page, PAGE_SIZE)
    args = form.query_args()
    return render(
        "admin/trusts.jinja",
        # Only the search form asks for the results alone; other htmx requests (HX-Location
        # after adding a trust) load the page.
        "results" if request.headers.get("HX-Target") == "trust-results" else None,
        trusts=found.items,
        form=form,
        args=args,
        filtered=bool(args),
        any_trusts=bool(found.total) or db.session.scalar(select(Trust.id).limit(1)) is not None,
        page=found.number,
        pages=found.pages,
        total=found.total,
    )


@bp.route("/trusts/new", methods=["GET", "POST"])
def new_trust() -> ResponseReturnValue:
    form = TrustForm(regions=regions_in_order())
    if request.method == "POST":
        if form.validate():
            try:
                trust = create_trust(form.values(), actor=current_user)
            except OdsCodeTaken as exc:
                form.ods_code.errors.append(str(exc))
            else:
                flash(f"{trust.name} ({trust.ods_code}) has been added.", "success")
                return redirect_after_post(url_for("admin.trusts"))
        return render("admin/trust_form.jinja", "trust_form", status=422, form=form, trust=None)
    return render("admin/trust_form.jinja", form=form, trust=None)


@bp.route("/trusts/<int:trust_id>/edit", methods=["GET", "POST"])
def edit_trust(trust_id: int) -> ResponseReturnValue:
    trust = found_or_404(db.session.get(Trust, trust_id))
    if request.method == "GET":
        form = TrustForm(regions=regions_in_order(), trust=trust, obj=trust)
        form.region.data = trust.region.slug
        return render("admin/trust_form.jinja", form=form, trust=trust)
    form = TrustForm(regions=regions_in_order(), trust=trust)
    if form.validate():
        try:
            changed = update_trust(trust, form.values(), actor=current_user)
        except OdsCodeTaken as exc:
            form.ods_code.errors.append(str(exc))
        else:
            flash(
                f"{trust.name} ({trust.ods_code}) has been updated."
                if changed
                else f"Nothing was changed for {trust.name}.",
                "success" if changed else "info",
            )
            return redirect_after_post(url_for("admin.trusts"))
    return render("admin/trust_form.jinja", "trust_form", status=422, form=form, trust=trust)


# --- Trusts from a CSV file ----------------------------------------------------------------


@bp.route("/trusts/import", methods=["GET", "POST"])
def import_trusts() -> ResponseReturnValue:
    """Upload a CSV file of trusts; it is checked and shown before anything changes."""
    form = TrustImportForm()
    if request.method == "GET":
        uploads.discard_expired()
        return render("admin/trust_import.jinja", form=form, csv_header=TRUST_CSV_HEADER)
    if form.validate():
        upload_id = TRUST_UPLOADS.receive(
            form.csv_file, lambda data: plan_trust_import(data).problem
        )
        if upload_id is not None:
            return redirect_after_post(url_for("admin.import_preview", upload_id=upload_id))
    return render(
        "admin/trust_import.jinja",
        "import_form",
        status=422,
        form=form,
        csv_header=TRUST_CSV_HEADER,
    )


@bp.get("/trusts/import/<upload_id>")
def import_preview(upload_id: str) -> ResponseReturnValue:
    data = TRUST_UPLOADS.data(upload_id)
    if data is None:
        return TRUST_UPLOADS.gone()
    plan = plan_trust_import(data)
    form = ApplyImportForm(fingerprint=uploads.plan_fingerprint(plan))
    return render("admin/trust_import_preview.jinja", **_preview(upload_id, plan, form))


@bp.post("/trusts/import/<upload_id>")
def import_apply(upload_id: str) -> ResponseReturnValue:
    """Apply the upload, planned afresh; refused while rows are rejected, unless skipped."""
    form = ApplyImportForm()
    form.validate()  # only the CSRF token can fail, and that is answered before we get here
    data = TRUST_UPLOADS.data(upload_id)
    if data is None:
        return TRUST_UPLOADS.gone()
    plan = plan_trust_import(data)
    seen = uploads.seen_plan(form, plan)
    if plan.problem:  # the same bytes were fine at upload; kept for safety
        form.form_errors.append(plan.problem)
    elif not seen:
        form.form_errors.append(uploads.changed_since_preview("The trusts have"))
    elif plan.rejected and not form.skip_invalid.data:
        form.skip_invalid.errors.append(
            f"{_rows(len(plan.rejected))} cannot be imported. Fix the file and upload it "
            "again, or choose to import the valid rows and skip the rejected ones"
        )
    else:
        try:
            created, updated = apply_trust_import(plan, actor=current_user)
        except ImportConflict as exc:
            form.form_errors.append(str(exc))
        else:
            TRUST_UPLOADS.finished(upload_id)
            flash(_import_summary(created, updated, plan), "success")
            return redirect_after_post(url_for("admin.trusts"))
    return render(
        "admin/trust_import_preview.jinja",
        "preview",
        status=422,
        **_preview(upload_id, plan, form),
    )


def _preview(upload_id: str, plan: ImportPlan, form: ApplyImportForm) -> dict[str, Any]:
    return {
        "upload_id": upload_id,
        "filename": TRUST_UPLOADS.filename(upload_id),
        "plan": plan,
        "form": form,
        "show": PREVIEW_ROWS,
        "changes": planned_changes(plan.update[:PREVIEW_ROWS]),
        "regions": {r.slug: r for r in regions_in_order()},
        "keep_minutes": uploads.KEEP_MINUTES,
    }


def _rows(count: int) -> str:
    return f"{count:,} row" + ("" if count == 1 else "s")


def _trusts(count: int) -> str:
    return f"{count:,} trust" + ("" if count == 1 else "s")


def _import_summary(created: int, updated: int, plan: ImportPlan) -> str:
    parts = [
        f"{_trusts(created)} added",
        f"{updated:,} updated",
        f"{len(plan.unchanged):,} unchanged",
    ]
    if plan.rejected:
        parts.append(f"{_rows(len(plan.rejected))} skipped")
    return "Import finished: " + ", ".join(parts) + "."


# --- Regions -------------------------------------------------------------------------------


@bp.get("/regions")
def regions() -> ResponseReturnValue:
    return render(
        "admin/regions.jinja", regions=regions_in_order(), counts=trust_counts_by_region()
    )


@bp.route("/regions/<slug>/edit", methods=["GET", "POST"])
def edit_region(slug: str) -> ResponseReturnValue:
    region = found_or_404(region_by_slug(slug))
    if request.method == "GET":
        return render(
            "admin/region_form.jinja", form=RegionForm(region=region, obj=region), region=region
        )
    form = RegionForm(region=region)
    if form.validate():
        changed = update_region(region, form.values(), actor=current_user)
        flash(
            f"{region.name} has been updated."
            if changed
            else f"Nothing was changed for {region.name}.",
            "success" if changed else "info",
        )
        return redirect_after_post(url_for("admin.regions"))
    return render("admin/region_form.jinja", "region_form", status=422, form=form, region=region)
