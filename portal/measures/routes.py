"""Giving a trust's monthly figures: month by month, corrected later, or from a CSV file; the
changes it marks and the targets it sets; each measure's figures as CSV."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.database import paginate
from portal.measures import bp
from portal.measures.disclosure import public_count
from portal.measures.forms import (
    ApplyCountsForm,
    ChangeForm,
    CountsForm,
    CountsUploadForm,
    TargetForm,
)
from portal.measures.models import Measure, MonthlyCounts
from portal.measures.service import (
    CSV_HEADER,
    CountsPlan,
    CountsRefused,
    MeasureError,
    apply_counts_import,
    changes_of,
    is_published,
    looks_after_figures,
    mark_change,
    may_record,
    may_see,
    month_key,
    month_label,
    month_of,
    months_of,
    parse_month,
    plan_counts_import,
    record_month,
    remove_change,
    set_published,
    set_target,
    targets_of,
    trust_series,
)
from portal.regions.models import Trust
from portal.regions.service import trust_by_code
from portal.web import uploads
from portal.web.csvtools import csv_download
from portal.web.forms import ConfirmForm
from portal.web.htmx import redirect_after_post, render

MONTHS_PAGE_SIZE = 24
PREVIEW_ROWS = 100
COUNT_UPLOADS = uploads.CsvUploads("count_imports", "counts.csv", "measures.import_counts")


# Months as the pages show them ("March 2027") and as addresses and files give them ("2027-03").
bp.add_app_template_global(month_label, "month_label")
bp.add_app_template_global(month_key, "month_key")
bp.add_app_template_filter(public_count, "public_count")


def trust_for_measures(ods_code: str, *, to_record: bool = False) -> Trust:
    """The trust named in the address, if the person may see (or give) its figures; else 404.

    404 rather than 403: whether a trust's figures exist is theirs to know."""
    trust = trust_by_code(ods_code)
    allowed = may_record if to_record else may_see
    if trust is None or not allowed(current_user, trust):
        abort(404)
    return trust


def measure_or_404(slug: str) -> Measure:
    """The measure named in the address (`total-cs` …), or 404."""
    try:
        return Measure(slug)
    except ValueError:
        abort(404)


def _to_measures(trust: Trust) -> str:
    return url_for("measures.trust_measures", ods_code=trust.ods_code)


# --- Month by month ----------------------------------------------------------------------------


@bp.get("/trusts/<ods_code>/measures/months")
@login_required
def months(ods_code: str) -> ResponseReturnValue:
    trust = trust_for_measures(ods_code)
    from_newest = (
        select(MonthlyCounts)
        .where(MonthlyCounts.trust_id == trust.id)
        .order_by(MonthlyCounts.month.desc())
    )
    page = paginate(from_newest, request.args.get("page", 1, type=int) or 1, MONTHS_PAGE_SIZE)
    return render(
        "measures/months.jinja",
        trust=trust,
        page=page,
        can_record=may_record(current_user, trust),
    )


@bp.route("/trusts/<ods_code>/measures/months/new", methods=["GET", "POST"])
@login_required
def new_month(ods_code: str) -> ResponseReturnValue:
    trust = trust_for_measures(ods_code, to_record=True)
    given = {month_key(row.month) for row in months_of(trust)}
    form = CountsForm(months_given=given)
    if request.method == "GET":
        return render("measures/month_form.jinja", form=form, trust=trust, month=None)
    if form.validate():
        month = parse_month(form.month.data or "")
        if month is None:
            form.month.errors = ["Choose a month"]
        elif month_key(month) in given:
            form.month.errors = [
                f"{month_label(month)} already has figures: correct them from the list of months"
            ]
        elif _saved(trust, month, form, new=True):
            flash(f"The figures for {month_label(month)} have been saved.", "success")
            return redirect_after_post(_to_measures(trust))
    elif not form.month.data:
        form.month.errors = ["Choose a month"]
    return render(
        "measures/month_form.jinja", "month_form", status=422, form=form, trust=trust, month=None
    )


@bp.route("/trusts/<ods_code>/measures/months/<month_text>", methods=["GET", "POST"])
@login_required
def edit_month(ods_code: str, month_text: str) -> ResponseReturnValue:
    trust = trust_for_measures(ods_code, to_record=True)
    month = parse_month(month_text)
    row = None if month is None else month_of(trust, month)
    if month is None or row is None:
        abort(404)
    form = CountsForm(data={"month": month_key(month), **row.counts()})
    form.month.choices = [(month_key(month), month_label(month))]  # a correction keeps its month
    if request.method == "GET":
        return render("measures/month_form.jinja", form=form, trust=trust, month=month)
    form.month.data = month_key(month)  # fixed: a correction is of this month
    saved = _saved(trust, month, form) if form.validate() else None
    if saved is not None:
        if saved:
            flash(f"The figures for {month_label(month)} have been corrected.", "success")
        else:
            flash(
                f"Nothing changed: the figures for {month_label(month)} were already these.", "info"
            )
        return redirect_after_post(url_for("measures.months", ods_code=trust.ods_code))
    return render(
        "measures/month_form.jinja", "month_form", status=422, form=form, trust=trust, month=month
    )


def _saved(trust: Trust, month: date, form: CountsForm, *, new: bool = False) -> bool | None:
    """Save the form's counts: True if saved, False if unchanged, None with errors on the form."""
    try:
        return record_month(
            trust,
            month,
            form.counts(),
            actor=current_user,
            new=new,
        )
    except CountsRefused as exc:
        form.show_problems(exc.problems)
    except MeasureError as exc:
        form.month.errors = [str(exc)]
    return None


# --- Changes and targets -----------------------------------------------------------------------


@bp.route("/trusts/<ods_code>/measures/changes", methods=["GET", "POST"])
@login_required
def changes(ods_code: str) -> ResponseReturnValue:
    trust = trust_for_measures(ods_code, to_record=True)
    form = ChangeForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            month = parse_month(form.month.data or "")
            try:
                if month is None:
                    raise MeasureError("Choose a month", "month")
                mark_change(trust, month, form.note.data or "", actor=current_user)
            except MeasureError as exc:
                (form.month if exc.field == "month" else form.note).errors = [str(exc)]
            else:
                flash(
                    f"{month_label(month)} is marked as a change: the charts calculate their "
                    "limits afresh from that month.",
                    "success",
                )
                return redirect_after_post(url_for("measures.changes", ods_code=trust.ods_code))
        elif not form.month.data:
            form.month.errors = ["Choose a month"]
        status = 422
    return _changes_page(trust, form, _target_forms(trust), status=status, block="change_form")


def _changes_page(
    trust: Trust,
    form: ChangeForm,
    target_forms: dict[Measure, TargetForm],
    *,
    status: int = 200,
    block: str | None = None,
) -> ResponseReturnValue:
    return render(
        "measures/changes.jinja",
        block,
        status=status,
        form=form,
        trust=trust,
        changes=changes_of(trust),
        target_forms=target_forms,
        remove_form=ConfirmForm(),
        published=is_published(trust),
    )


def _target_form(measure: Measure, **kwargs: Any) -> TargetForm:
    """One measure's target box: each has its own name and label, five to a page."""
    form = TargetForm(prefix=measure.value, **kwargs)
    form.target.label.text = f"{measure.label}: target (%)"
    return form


def _target_forms(
    trust: Trust, failed: tuple[Measure, TargetForm] | None = None
) -> dict[Measure, TargetForm]:
    targets = targets_of(trust)
    return {
        measure: failed[1]
        if failed is not None and failed[0] is measure
        else _target_form(measure, formdata=None, data={"target": targets.get(measure)})
        for measure in Measure
    }


@bp.post("/trusts/<ods_code>/measures/changes/<int:change_id>/remove")
@login_required
def remove_change_mark(ods_code: str, change_id: int) -> ResponseReturnValue:
    trust = trust_for_measures(ods_code, to_record=True)
    if not ConfirmForm().validate():
        abort(400)
    if remove_change(trust, change_id, actor=current_user):
        flash("The change mark has been removed.", "success")
    else:
        flash("That change mark had already been removed.", "info")
    return redirect_after_post(url_for("measures.changes", ods_code=trust.ods_code))


@bp.post("/trusts/<ods_code>/measures/publish")
@login_required
def publish(ods_code: str) -> ResponseReturnValue:
    """Show the charts on the trust's public page (published=yes), or stop (published=no)."""
    trust = trust_for_measures(ods_code, to_record=True)
    if not ConfirmForm().validate() or request.form.get("published") not in ("yes", "no"):
        abort(400)
    published = request.form["published"] == "yes"
    set_published(trust, published, actor=current_user)
    if published:
        flash(
            "The charts are now on the trust’s public page, with small numbers hidden.", "success"
        )
    else:
        flash("The charts are no longer on the trust’s public page.", "success")
    return redirect_after_post(url_for("measures.changes", ods_code=trust.ods_code))


@bp.post("/trusts/<ods_code>/measures/<measure>/target")
@login_required
def target(ods_code: str, measure: str) -> ResponseReturnValue:
    trust = trust_for_measures(ods_code, to_record=True)
    chosen = measure_or_404(measure)
    form = _target_form(chosen)
    if form.validate():
        set_target(trust, chosen, form.target.data, actor=current_user)
        if form.target.data is None:
            flash(f"The target for the {chosen.label.lower()} has been removed.", "success")
        else:
            flash(
                f"The target for the {chosen.label.lower()} is now {form.target.data:g}%.",
                "success",
            )
        return redirect_after_post(url_for("measures.changes", ods_code=trust.ods_code))
    return _changes_page(
        trust, ChangeForm(formdata=None), _target_forms(trust, (chosen, form)), status=422
    )


# --- Exports -----------------------------------------------------------------------------------

EXPORT_HEADER = (
    "month",
    "numerator",
    "denominator",
    "value",
    "mean",
    "lower_limit",
    "upper_limit",
    "lower_2sigma",
    "upper_2sigma",
    "signal",
)


@bp.get("/trusts/<ods_code>/measures/<measure>.csv")
@login_required
def export(ods_code: str, measure: str) -> ResponseReturnValue:
    trust = trust_for_measures(ods_code)
    chosen = measure_or_404(measure)
    series = trust_series(trust)[chosen]
    rows = []
    for month, point in zip(series.months, series.chart.points, strict=True):
        segment = series.chart.segments[point.segment]
        rows.append(
            (
                month_key(month.month),
                month.numerator,
                month.denominator,
                f"{month.percent:.3f}",
                f"{segment.mean:.3f}",
                f"{segment.lower_limit:.3f}",
                f"{segment.upper_limit:.3f}",
                f"{segment.lower_2sigma:.3f}",
                f"{segment.upper_2sigma:.3f}",
                point.signal.value if point.signal is not None else "",
            )
        )
    return csv_download(EXPORT_HEADER, rows, f"{trust.ods_code.lower()}-{chosen.value}.csv")


# --- From a CSV file ---------------------------------------------------------------------------


@bp.route("/measures/import", methods=["GET", "POST"])
@login_required
def import_counts() -> ResponseReturnValue:
    """Upload a CSV file of monthly counts; it is checked and shown before anything changes."""
    if not looks_after_figures(current_user):
        abort(404)
    form = CountsUploadForm()
    if request.method == "GET":
        uploads.discard_expired()
        return render("measures/import.jinja", form=form, csv_header=CSV_HEADER)
    if form.validate():
        upload_id = COUNT_UPLOADS.receive(form.csv_file, lambda data: _plan(data).problem)
        if upload_id is not None:
            return redirect_after_post(url_for("measures.import_preview", upload_id=upload_id))
    return render(
        "measures/import.jinja", "import_form", status=422, form=form, csv_header=CSV_HEADER
    )


def _plan(data: bytes) -> CountsPlan:
    return plan_counts_import(data, may_import=lambda trust: may_record(current_user, trust))


@bp.get("/measures/import/<upload_id>")
@login_required
def import_preview(upload_id: str) -> ResponseReturnValue:
    data = COUNT_UPLOADS.data(upload_id)
    if data is None:
        return COUNT_UPLOADS.gone()
    plan = _plan(data)
    form = ApplyCountsForm(fingerprint=uploads.plan_fingerprint(plan))
    return render("measures/import_preview.jinja", **_preview(upload_id, plan, form))


@bp.post("/measures/import/<upload_id>")
@login_required
def import_apply(upload_id: str) -> ResponseReturnValue:
    """Apply the upload, planned afresh: nothing changes unless every row is good."""
    form = ApplyCountsForm()
    if not form.validate():
        abort(400)
    data = COUNT_UPLOADS.data(upload_id)
    if data is None:
        return COUNT_UPLOADS.gone()
    plan = _plan(data)
    seen = uploads.seen_plan(form, plan)
    if not plan.can_apply:
        form.form_errors.append(
            "Nothing was imported: fix the rows listed below and upload the file again"
        )
    elif not seen:
        form.form_errors.append(uploads.changed_since_preview("The figures have"))
    else:
        added, corrected = apply_counts_import(plan, actor=current_user)
        COUNT_UPLOADS.finished(upload_id)
        flash(
            f"Import finished: {_months(added)} added, {corrected:,} corrected, "
            f"{plan.count('unchanged'):,} unchanged.",
            "success",
        )
        return redirect_after_post(url_for("measures.index"))
    return render(
        "measures/import_preview.jinja", "preview", status=422, **_preview(upload_id, plan, form)
    )


def _months(count: int) -> str:
    return f"{count:,} month" + ("" if count == 1 else "s")


def _preview(upload_id: str, plan: CountsPlan, form: ApplyCountsForm) -> dict[str, Any]:
    return {
        "upload_id": upload_id,
        "filename": COUNT_UPLOADS.filename(upload_id),
        "plan": plan,
        "form": form,
        "show": PREVIEW_ROWS,
        "keep_minutes": uploads.KEEP_MINUTES,
        "months": _months,
    }
