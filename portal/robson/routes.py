"""The Robson report's pages: a trust's, a region's and the programme's report over a range of
months (and as CSV); a trust's months given on a form, corrected, or counted from a file of
births; several trusts' months imported from a CSV file."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.auth.permissions import manages_region
from portal.database import paginate
from portal.measures.routes import trust_for_measures
from portal.measures.service import (
    MeasureError,
    looks_after_figures,
    may_record,
    month_key,
    month_label,
    parse_month,
)
from portal.regions.models import Region, Trust
from portal.regions.service import region_by_slug
from portal.robson import bp
from portal.robson.births import COLUMNS, read_births
from portal.robson.chart import page_chart
from portal.robson.forms import (
    GROUP_LEGENDS,
    SPLIT_CODES,
    WHOLE_CODES,
    ApplyImportForm,
    BirthsUploadForm,
    CountsUploadForm,
    RangeForm,
    RobsonMonthForm,
)
from portal.robson.models import RobsonMonth
from portal.robson.report import CSV_HEADER as REPORT_HEADER
from portal.robson.report import csv_rows, discussion_notes, percent_text
from portal.robson.service import (
    CSV_HEADER,
    Counted,
    Period,
    RobsonPlan,
    RobsonRefused,
    all_trusts,
    apply_import,
    counted,
    default_period,
    month_of,
    month_problems,
    months_of,
    months_with_counts,
    plan_import,
    record_month,
    region_trusts,
)
from portal.web import uploads
from portal.web.csvtools import csv_download
from portal.web.htmx import redirect_after_post, render
from portal.web.navigation import navigation_link

MONTHS_PAGE_SIZE = 24
PREVIEW_ROWS = 100
ROBSON_UPLOADS = uploads.CsvUploads("robson_imports", "robson.csv", "robson.import_counts")

# Percentages as the report shows them: two decimals, "" when there is nothing to divide by.
bp.add_app_template_global(percent_text, "robson_percent")


def _robson_link(person: object) -> str | None:
    return url_for("robson.index") if looks_after_figures(person) else None


navigation_link(
    "Robson groups",
    86,  # after Measures
    _robson_link,
    {
        "robson.index",
        "robson.trust_report",
        "robson.region_report",
        "robson.months",
        "robson.new_month",
        "robson.edit_month",
        "robson.births",
        "robson.import_counts",
        "robson.import_preview",
    },
)


# --- Reports -----------------------------------------------------------------------------------


def _chosen_period(form: RangeForm, months: list[date]) -> tuple[Period | None, bool]:
    """The range the query string asks for, or the default with a message on the form; and
    whether the query string was wrong. Months with no counts in between are simply empty."""
    default = default_period(months)
    given_first = request.args.get("from")
    given_last = request.args.get("to")
    if default is None:
        return None, False
    if given_first is None and given_last is None:
        form.first.data, form.last.data = month_key(default.first), month_key(default.last)
        return default, False
    first = parse_month(given_first or "") if given_first else default.first
    last = parse_month(given_last or "") if given_last else default.last
    wrong = False
    if first is None:
        form.first.errors = ["Choose the first month from the list"]
        wrong = True
    if last is None:
        form.last.errors = ["Choose the last month from the list"]
        wrong = True
    if first is not None and last is not None and first > last:
        form.last.errors = ["The last month must be the same as or after the first month"]
        wrong = True
    if wrong:
        form.first.data, form.last.data = month_key(default.first), month_key(default.last)
        return default, True
    assert first is not None and last is not None
    form.first.data, form.last.data = month_key(first), month_key(last)
    for select_field, month in ((form.first, first), (form.last, last)):
        # A month given in the address but without counts is still shown as chosen.
        if all(key != month_key(month) for key, _label in select_field.choices):
            select_field.choices = sorted(
                [*select_field.choices, (month_key(month), month_label(month))], reverse=True
            )
    return Period(first, last), False


def _csv_period(months: list[date]) -> Period | None:
    """The CSV's range: as the page's, but a wrong query string is a 400 (no form to show)."""
    default = default_period(months)
    given_first, given_last = request.args.get("from"), request.args.get("to")
    first = parse_month(given_first) if given_first else default.first if default else None
    last = parse_month(given_last) if given_last else default.last if default else None
    if (given_first and first is None) or (given_last and last is None):
        abort(400)
    if first is None or last is None:
        return None
    if first > last:
        abort(400)
    return Period(first, last)


def _report_page(
    *,
    trusts: list[Trust],
    title: str,
    caption: str,
    action: str,
    csv_endpoint: str,
    csv_values: dict[str, str],
    trust: Trust | None = None,
    region: Region | None = None,
) -> ResponseReturnValue:
    months = months_with_counts(trusts)
    form = RangeForm(formdata=None, months=months)
    period, wrong = _chosen_period(form, months)
    result: Counted | None = counted(trusts, period) if period is not None else None
    notes = discussion_notes(result.report, result.unclassified) if result else []
    csv_url = None
    if period is not None:
        # Any-typed values: url_for's keyword arguments include _external (a bool).
        values: dict[str, Any] = {
            **csv_values,
            "from": month_key(period.first),
            "to": month_key(period.last),
        }
        csv_url = url_for(csv_endpoint, **values)
    return render(
        "robson/report.jinja",
        status=422 if wrong else 200,
        title=title,
        caption=caption,
        action=action,
        form=form,
        period=period,
        result=result,
        notes=notes,
        chart=page_chart(result.report) if result and result.report.total.women else None,
        csv_url=csv_url,
        trust=trust,
        region=region,
        can_record=trust is not None and may_record(current_user, trust),
        has_months=bool(months),
    )


def _filename(scope: str, period: Period | None) -> str:
    if period is None:
        return f"robson-{scope}.csv"
    return f"robson-{scope}-{month_key(period.first)}-to-{month_key(period.last)}.csv"


def _csv(trusts: list[Trust], scope: str) -> ResponseReturnValue:
    period = _csv_period(months_with_counts(trusts))
    result = counted(trusts, period) if period is not None else None
    rows = csv_rows(result.report) if result is not None else []
    return csv_download(REPORT_HEADER, rows, _filename(scope, period))


def region_for_robson(slug: str) -> Region:
    """The region named in the address, if the person may see its trusts' figures; else 404."""
    region = region_by_slug(slug)
    if region is None or not manages_region(current_user, region.id):
        abort(404)
    return region


@bp.get("/robson")
@login_required
def index() -> ResponseReturnValue:
    """The programme's report for the programme team; a coordinator goes to their region's and
    trust staff to their trust's."""
    if current_user.is_admin:
        return _report_page(
            trusts=all_trusts(),
            title="Robson groups: the programme",
            caption="Every trust",
            action=url_for("robson.index"),
            csv_endpoint="robson.programme_csv",
            csv_values={},
        )
    if current_user.is_coordinator and current_user.region is not None:
        return redirect(url_for("robson.region_report", slug=current_user.region.slug))
    if current_user.is_trust_staff and current_user.trust is not None:
        return redirect(url_for("robson.trust_report", ods_code=current_user.trust.ods_code))
    abort(404)


@bp.get("/robson.csv")
@login_required
def programme_csv() -> ResponseReturnValue:
    if not current_user.is_admin:
        abort(404)
    return _csv(all_trusts(), "programme")


@bp.get("/regions/<slug>/robson")
@login_required
def region_report(slug: str) -> ResponseReturnValue:
    region = region_for_robson(slug)
    return _report_page(
        trusts=region_trusts(region),
        title=f"Robson groups: {region.name}",
        caption=region.name,
        action=url_for("robson.region_report", slug=region.slug),
        csv_endpoint="robson.region_csv",
        csv_values={"slug": region.slug},
        region=region,
    )


@bp.get("/regions/<slug>/robson.csv")
@login_required
def region_csv(slug: str) -> ResponseReturnValue:
    region = region_for_robson(slug)
    return _csv(region_trusts(region), region.slug)


@bp.get("/trusts/<ods_code>/robson")
@login_required
def trust_report(ods_code: str) -> ResponseReturnValue:
    trust = trust_for_measures(ods_code)
    return _report_page(
        trusts=[trust],
        title=f"Robson groups: {trust.name}",
        caption=trust.name,
        action=url_for("robson.trust_report", ods_code=trust.ods_code),
        csv_endpoint="robson.trust_csv",
        csv_values={"ods_code": trust.ods_code},
        trust=trust,
    )


@bp.get("/trusts/<ods_code>/robson.csv")
@login_required
def trust_csv(ods_code: str) -> ResponseReturnValue:
    trust = trust_for_measures(ods_code)
    return _csv([trust], trust.ods_code)


# --- Month by month ----------------------------------------------------------------------------


@bp.get("/trusts/<ods_code>/robson/months")
@login_required
def months(ods_code: str) -> ResponseReturnValue:
    trust = trust_for_measures(ods_code)
    from_newest = (
        select(RobsonMonth)
        .where(RobsonMonth.trust_id == trust.id)
        .order_by(RobsonMonth.month.desc())
        .options(selectinload(RobsonMonth.groups))  # each row's totals, in one more query
    )
    page = paginate(from_newest, request.args.get("page", 1, type=int) or 1, MONTHS_PAGE_SIZE)
    return render(
        "robson/months.jinja",
        trust=trust,
        page=page,
        can_record=may_record(current_user, trust),
    )


def _form_page(
    form: RobsonMonthForm,
    trust: Trust,
    month: date | None,
    *,
    status: int = 200,
    births: Any = None,
) -> ResponseReturnValue:
    return render(
        "robson/month_form.jinja",
        "month_form" if status != 200 else None,
        status=status,
        form=form,
        trust=trust,
        month=month,
        births=births,
        legends=GROUP_LEGENDS,
        split_codes=SPLIT_CODES,
        whole_codes=WHOLE_CODES,
    )


@bp.route("/trusts/<ods_code>/robson/months/new", methods=["GET", "POST"])
@login_required
def new_month(ods_code: str) -> ResponseReturnValue:
    trust = trust_for_measures(ods_code, to_record=True)
    given = {month_key(row.month) for row in months_of(trust)}
    form = RobsonMonthForm(months_given=given)
    if request.method == "GET":
        return _form_page(form, trust, None)
    if form.validate():
        month = parse_month(form.month.data or "")
        if month is None:
            _no_month(form)
        elif month_key(month) in given:
            form.month.errors = [
                f"{month_label(month)} already has Robson counts: correct them from the list "
                "of months"
            ]
        elif _saved(trust, month, form, new=True):
            flash(f"The Robson counts for {month_label(month)} have been saved.", "success")
            return redirect_after_post(url_for("robson.trust_report", ods_code=trust.ods_code))
    elif not form.month.data:
        _no_month(form)
    return _form_page(form, trust, None, status=422)


def _no_month(form: RobsonMonthForm) -> None:
    """Ask for the month, and say what else is wrong at the same time."""
    form.month.errors = ["Choose a month"]
    if not form.errors or set(form.errors) == {"month"}:
        counts = form.counts()
        if counts is not None:
            form.show_problems(month_problems(counts, form.unclassified.data or 0))


@bp.route("/trusts/<ods_code>/robson/months/<month_text>", methods=["GET", "POST"])
@login_required
def edit_month(ods_code: str, month_text: str) -> ResponseReturnValue:
    trust = trust_for_measures(ods_code, to_record=True)
    month = parse_month(month_text)
    row = None if month is None else month_of(trust, month)
    if month is None or row is None:
        abort(404)
    if request.method == "GET":
        form = RobsonMonthForm(formdata=None, data={"month": month_key(month)})
        form.fill(dict(row.counts()), row.unclassified)
    else:
        form = RobsonMonthForm()
    form.month.choices = [(month_key(month), month_label(month))]  # a correction keeps its month
    if request.method == "GET":
        return _form_page(form, trust, month)
    form.month.data = month_key(month)
    saved = _saved(trust, month, form) if form.validate() else None
    if saved is not None:
        if saved:
            flash(f"The Robson counts for {month_label(month)} have been corrected.", "success")
        else:
            flash(
                f"Nothing changed: the Robson counts for {month_label(month)} were already these.",
                "info",
            )
        return redirect_after_post(url_for("robson.months", ods_code=trust.ods_code))
    return _form_page(form, trust, month, status=422)


def _saved(trust: Trust, month: date, form: RobsonMonthForm, *, new: bool = False) -> bool | None:
    """Save the form's counts: True if saved, False if unchanged, None with errors on the form."""
    counts = form.counts()
    if counts is None:
        return None
    try:
        return record_month(
            trust,
            month,
            counts,
            unclassified=form.unclassified.data or 0,
            actor=current_user,
            new=new,
        )
    except RobsonRefused as exc:
        form.show_problems(exc.problems)
    except MeasureError as exc:
        if new:
            form.month.errors = [str(exc)]
        else:
            form.form_errors.append(str(exc))
    return None


# --- A file of births --------------------------------------------------------------------------


@bp.route("/trusts/<ods_code>/robson/births", methods=["GET", "POST"])
@login_required
def births(ods_code: str) -> ResponseReturnValue:
    """Count a month's births from an anonymised file, read in memory and never kept; the counts
    come back on the month form, and saving it is what keeps them."""
    trust = trust_for_measures(ods_code, to_record=True)
    form = BirthsUploadForm()
    if request.method == "GET":
        return render("robson/births.jinja", form=form, trust=trust, columns=COLUMNS)
    if form.validate():
        month = parse_month(form.month.data or "")
        data = form.births_file.data.stream.read(uploads.MAX_BYTES + 1)
        if month is None:
            form.month.errors = ["Choose a month"]
        elif len(data) > uploads.MAX_BYTES:
            form.births_file.errors = [
                f"The file must be smaller than {uploads.MAX_SIZE_LABEL}: is it the right file?"
            ]
        else:
            read = read_births(data)
            del data  # the rows go no further than this request
            if read.problem:
                form.births_file.errors = [read.problem]
            else:
                existing = month_of(trust, month)
                month_form = RobsonMonthForm(
                    formdata=None,
                    data={"month": month_key(month)},
                    months_given={month_key(row.month) for row in months_of(trust)},
                )
                month_form.fill(dict(read.counts), read.unclassifiable_rows)
                if existing is not None:
                    month_form.month.choices = [(month_key(month), month_label(month))]
                return render(
                    "robson/month_form.jinja",
                    "month_form",  # htmx: in place of the upload form
                    form=month_form,
                    trust=trust,
                    month=month if existing is not None else None,
                    births=read,
                    legends=GROUP_LEGENDS,
                    split_codes=SPLIT_CODES,
                    whole_codes=WHOLE_CODES,
                )
    elif not form.month.data:
        form.month.errors = ["Choose a month"]
    return render(
        "robson/births.jinja", "births_form", status=422, form=form, trust=trust, columns=COLUMNS
    )


# --- From a CSV file ---------------------------------------------------------------------------


@bp.route("/robson/import", methods=["GET", "POST"])
@login_required
def import_counts() -> ResponseReturnValue:
    """Upload a CSV file of Robson counts; it is checked and shown before anything changes."""
    if not looks_after_figures(current_user):
        abort(404)
    form = CountsUploadForm()
    if request.method == "GET":
        uploads.discard_expired()
        return render("robson/import.jinja", form=form, csv_header=CSV_HEADER)
    if form.validate():
        upload_id = ROBSON_UPLOADS.receive(form.csv_file, lambda data: _plan(data).problem)
        if upload_id is not None:
            return redirect_after_post(url_for("robson.import_preview", upload_id=upload_id))
    return render(
        "robson/import.jinja", "import_form", status=422, form=form, csv_header=CSV_HEADER
    )


def _plan(data: bytes) -> RobsonPlan:
    return plan_import(data, may_import=lambda trust: may_record(current_user, trust))


@bp.get("/robson/import/<upload_id>")
@login_required
def import_preview(upload_id: str) -> ResponseReturnValue:
    data = ROBSON_UPLOADS.data(upload_id)
    if data is None:
        return ROBSON_UPLOADS.gone()
    plan = _plan(data)
    form = ApplyImportForm(fingerprint=uploads.plan_fingerprint(plan))
    return render("robson/import_preview.jinja", **_preview(upload_id, plan, form))


@bp.post("/robson/import/<upload_id>")
@login_required
def import_apply(upload_id: str) -> ResponseReturnValue:
    """Apply the upload, planned afresh: nothing changes unless every row is good."""
    form = ApplyImportForm()
    if not form.validate():
        abort(400)
    data = ROBSON_UPLOADS.data(upload_id)
    if data is None:
        return ROBSON_UPLOADS.gone()
    plan = _plan(data)
    seen = uploads.seen_plan(form, plan)
    if not plan.can_apply:
        form.form_errors.append(
            "Nothing was imported: fix the rows listed below and upload the file again"
        )
    elif not seen:
        form.form_errors.append(uploads.changed_since_preview("The counts have"))
    else:
        added, corrected = apply_import(plan, actor=current_user)
        ROBSON_UPLOADS.finished(upload_id)
        flash(
            f"Import finished: {_months(added)} added, {corrected:,} corrected, "
            f"{plan.count('unchanged'):,} unchanged.",
            "success",
        )
        return redirect_after_post(url_for("robson.index"))
    return render(
        "robson/import_preview.jinja", "preview", status=422, **_preview(upload_id, plan, form)
    )


def _months(count: int) -> str:
    return f"{count:,} month" + ("" if count == 1 else "s")


def _preview(upload_id: str, plan: RobsonPlan, form: ApplyImportForm) -> dict[str, Any]:
    return {
        "upload_id": upload_id,
        "filename": ROBSON_UPLOADS.filename(upload_id),
        "plan": plan,
        "form": form,
        "show": PREVIEW_ROWS,
        "keep_minutes": uploads.KEEP_MINUTES,
        "months": _months,
    }
