from __future__ import annotations

from flask import abort, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from portal.auth.permissions import signed_in
from portal.events import bp, calendar_links
from portal.events.forms import CancelForm, EventForm, PublishForm
from portal.events.service import (
    EventError,
    NoEventsLeft,
    allowance,
    cancel_event,
    create_event,
    delete_draft,
    event_for_manager,
    manageable_regions,
    no_events_left_message,
    publish_event,
    tell_trusts,
    trust_staff_to_tell,
    update_event,
    validate_event_values,
)
from portal.regions.models import Region
from portal.web.dates import programme_year, today_in_london
from portal.web.forms import ConfirmForm
from portal.web.htmx import redirect_after_post, render
from portal.web.lookups import found_or_404
from portal.web.navigation import navigation_link


def _manage_events(person: object) -> str | None:
    if signed_in(person) and (person.is_admin or person.is_coordinator):
        return url_for("events.manage")
    return None


navigation_link(
    "Manage events",
    70,
    _manage_events,
    {"events.manage", "events.new", "events.edit", "events.cancel", "events.delete"},
)

# --- Managing a region's events ------------------------------------------------------------

# "Add to calendar" links on the event page and in booking confirmations.
bp.record_once(lambda state: state.app.jinja_env.globals.update(calendar_links=calendar_links))


def _managed_regions_or_403() -> list[Region]:
    regions = manageable_regions(current_user)
    if not regions:
        abort(403)
    return regions


def _region_for_new_event(regions: list[Region], form: EventForm | None = None) -> Region:
    if len(regions) == 1:
        return regions[0]
    slug = (
        form.region.data if form is not None and request.method == "POST" else None
    ) or request.args.get("region", "")
    region = next((r for r in regions if r.slug == slug), None)
    if region is None:
        if request.method == "POST" or slug:
            abort(404)
        return regions[0]
    return region


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    regions = _managed_regions_or_403()
    if len(regions) == 1 and request.args.get("region") not in (None, "", regions[0].slug):
        abort(404)  # a coordinator asking to plan for another region
    form = EventForm(regions=regions)
    region = _region_for_new_event(regions, form)
    if len(regions) > 1 and request.method == "GET":
        form.region.data = region.slug
    year = _chosen_year()
    status = 200
    if request.method == "POST":
        region = _region_for_new_event(regions, form)
        # Field checks and the event rules together, so every problem is shown in one round.
        fields_valid = form.validate()
        if not _add_rule_errors(form) and fields_valid:
            try:
                created = create_event(region, form.values(), actor=current_user)
            except NoEventsLeft as exc:
                form.form_errors.append(str(exc))
            else:
                flash(
                    "Event saved as a draft. Check it, then publish it when it is ready.", "success"
                )
                return redirect_after_post(url_for("events.event", event_id=created.id))
        status = 422
        if form.event_date.data is not None:
            year = programme_year(form.event_date.data)
    current = allowance(region, year)
    return render(
        "events/form.jinja",
        "event_form",
        status=status,
        form=form,
        region=region,
        allowance=current,
        full_message=no_events_left_message(current) if current.remaining == 0 else None,
        event=None,
    )


def _chosen_year() -> int:
    """The programme year the coordinator is planning for: the one the page was opened for
    (`?year=`), kept in the form when it is sent; this year when none or an unlikely one."""
    current = programme_year(today_in_london())
    asked = request.form.get("year", type=int) or request.args.get("year", type=int)
    return asked if asked is not None and current <= asked <= current + 5 else current


def _add_rule_errors(form: EventForm) -> bool:
    """Put the service's rule checks next to their fields; True if there were any."""
    problems = validate_event_values(form.values())
    for name, message in problems.items():
        getattr(form, name).errors.append(message)
    return bool(problems)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int) -> ResponseReturnValue:
    found = found_or_404(event_for_manager(current_user, event_id))
    if found.is_cancelled:
        flash("A cancelled event cannot be changed.", "info")
        return redirect_after_post(url_for("events.event", event_id=found.id))
    form = EventForm(obj=found if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        # Field checks and the event rules together, so every problem is shown in one round.
        fields_valid = form.validate()
        if not _add_rule_errors(form) and fields_valid:
            try:
                update_event(found, form.values(), actor=current_user)
            except EventError as exc:
                form.form_errors.append(str(exc))
            else:
                flash("Your changes have been saved.", "success")
                return redirect_after_post(url_for("events.event", event_id=found.id))
        status = 422
    return render(
        "events/form.jinja",
        "event_form",
        status=status,
        form=form,
        region=found.region,
        allowance=None,
        full_message=None,
        event=found,
    )


@bp.route("/events/<int:event_id>/publish", methods=["GET", "POST"])
@login_required
def publish(event_id: int) -> ResponseReturnValue:
    """Publishing asks first, and offers to tell the trusts that can book."""
    found = found_or_404(event_for_manager(current_user, event_id))
    if not found.is_draft:
        return redirect_after_post(url_for("events.event", event_id=found.id))
    form = PublishForm()
    if request.method == "GET":
        return render(
            "events/publish.jinja", form=form, event=found, people=len(trust_staff_to_tell(found))
        )
    if not form.validate():
        abort(400)
    try:
        publish_event(found, actor=current_user)
    except EventError as exc:
        flash(str(exc), "error")
        return redirect_after_post(url_for("events.event", event_id=found.id))
    told = _told(tell_trusts(found, actor=current_user)) if form.tell_trusts.data else ""
    flash(f"The event is published. Everyone can now see it. {told}".strip(), "success")
    return redirect_after_post(url_for("events.event", event_id=found.id))


@bp.post("/events/<int:event_id>/tell-trusts")
@login_required
def tell(event_id: int) -> ResponseReturnValue:
    """Tell the trusts about an event published without telling them (once per event)."""
    found = found_or_404(event_for_manager(current_user, event_id))
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    try:
        told = tell_trusts(found, actor=current_user)
    except EventError as exc:
        flash(str(exc), "error")
    else:
        flash(_told(told), "success")
    return redirect_after_post(url_for("events.event", event_id=found.id))


def _told(count: int | None) -> str:
    if count is None:
        return "The trusts had already been told."
    if count == 0:
        return "No one books for the trusts that can come yet, so no one was told."
    people = "person" if count == 1 else "people"
    return f"{count} {people} who book for the trusts that can come have been told by e-mail."


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(event_id: int) -> ResponseReturnValue:
    found = found_or_404(event_for_manager(current_user, event_id))
    if found.is_cancelled:
        return redirect_after_post(url_for("events.event", event_id=found.id))
    if found.is_draft:
        flash("A draft is not public: delete it instead of cancelling it.", "info")
        return redirect_after_post(url_for("events.event", event_id=found.id))
    form = CancelForm()
    if request.method == "POST":
        if form.validate():
            cancel_event(found, form.reason.data or "", actor=current_user)
            flash("The event is cancelled. It stays on the portal, marked as cancelled.", "success")
            return redirect_after_post(url_for("events.event", event_id=found.id))
        return render("events/cancel.jinja", "cancel_form", status=422, form=form, event=found)
    return render("events/cancel.jinja", form=form, event=found)


@bp.route("/events/<int:event_id>/delete", methods=["GET", "POST"])
@login_required
def delete(event_id: int) -> ResponseReturnValue:
    found = found_or_404(event_for_manager(current_user, event_id))
    if not found.is_draft:
        flash("Only a draft can be deleted. Cancel a published event instead.", "info")
        return redirect_after_post(url_for("events.event", event_id=found.id))
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate():
            abort(400)
        region = found.region
        delete_draft(found, actor=current_user)
        flash(f"The draft “{found.title}” has been deleted.", "success")
        return redirect_after_post(url_for("events.manage", region=region.slug))
    return render("events/delete.jinja", form=form, event=found)
