"""The self-assessment shared with the network (a trust's staff share a completed round from its
page, portal/assessments/round_routes.py): the region's coordinator sees what the region's shared rounds say together and chooses the
characteristics a network event focuses on; the programme team see every participating trust's
shared rounds together. Pages and CSV files hold counts across trusts, never a trust's answers.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from portal.assessments import bp
from portal.assessments.forms import FocusForm
from portal.assessments.network import (
    FocusError,
    Moved,
    NetworkPicture,
    focus_by_event,
    focus_choices,
    may_focus,
    network_picture,
    parse_focus_value,
    set_focus,
    wording_of,
)
from portal.assessments.pathways import Pathway
from portal.assessments.service import current_version
from portal.auth.permissions import manages_region
from portal.events.service import event_for_manager, region_events_for_manager
from portal.regions.models import Region
from portal.regions.service import participating_trusts, region_by_slug, trusts_of
from portal.web.csvtools import csv_download
from portal.web.dates import today_in_london
from portal.web.htmx import redirect_after_post, render
from portal.web.lookups import found_or_404

# --- What the shared rounds say together ---------------------------------------------------------


def _region(slug: str) -> Region:
    """The region in the address, if the person is its coordinator or on the programme team."""
    region = region_by_slug(slug)
    if region is None or not manages_region(current_user, region.id):
        abort(404)
    return region


@bp.get("/regions/<slug>/self-assessment", endpoint="region")
@login_required
def region_page(slug: str) -> ResponseReturnValue:
    region = _region(slug)
    picture = network_picture(trusts_of(region))
    today = today_in_london()
    events = [
        e for e in region_events_for_manager(region) if not e.is_cancelled and e.event_date >= today
    ]
    focus = focus_by_event(events)
    return render(
        "assessments/network.jinja",
        region=region,
        picture=picture,
        events=events,
        focus=focus,
        focus_wording=wording_of(k for keys in focus.values() for k in keys),
        version=current_version(),
        pathways=list(Pathway),
    )


@bp.get("/self-assessment", endpoint="programme")
@login_required
def programme_page() -> ResponseReturnValue:
    """The programme team's view of every participating trust's shared rounds; a coordinator
    goes to their region's, trust staff to their own trust's rounds."""
    if current_user.is_coordinator and current_user.region is not None:
        return redirect(url_for("assessments.region", slug=current_user.region.slug))
    if current_user.is_trust_staff and current_user.trust is not None:
        return redirect(url_for("assessments.rounds", ods_code=current_user.trust.ods_code))
    if not current_user.is_admin:
        abort(404)
    return render(
        "assessments/network.jinja",
        region=None,
        picture=network_picture(participating_trusts()),
        version=current_version(),
        pathways=list(Pathway),
    )


CSV_HEADER_START = (
    "pathway",
    "characteristic_code",
    "characteristic",
    "trusts_answered",
    "priority_for_trusts",
    "trusts_aspiring_higher",
    "largest_gap",
)
CSV_HEADER_END = ("moved_up", "stayed", "moved_down")


def _csv(picture: NetworkPicture, scope: str) -> ResponseReturnValue:
    """One row per characteristic: counts of trusts only (at each current position, too)."""
    most = picture.most_positions
    header = (
        *CSV_HEADER_START,
        *(f"trusts_at_position_{n}" for n in range(1, most + 1)),
        *CSV_HEADER_END,
    )
    rows = [
        (
            c.pathway.value,
            c.code,
            c.wording,
            c.answered,
            c.priority_for,
            c.trusts_with_gap,
            c.largest_gap,
            *(c.trusts_at(n) if n <= c.positions else "" for n in range(1, most + 1)),
            c.moved[Moved.UP],
            c.moved[Moved.SAME],
            c.moved[Moved.DOWN],
        )
        for c in picture.characteristics
    ]
    return csv_download(
        header, rows, f"self-assessment-{scope}-{today_in_london().isoformat()}.csv"
    )


@bp.get("/regions/<slug>/self-assessment.csv", endpoint="region_csv")
@login_required
def region_csv(slug: str) -> ResponseReturnValue:
    region = _region(slug)
    return _csv(network_picture(trusts_of(region)), region.slug)


@bp.get("/self-assessment.csv", endpoint="programme_csv")
@login_required
def programme_csv() -> ResponseReturnValue:
    if not current_user.is_admin:
        abort(404)
    return _csv(network_picture(participating_trusts()), "programme")


# --- An event's focus ----------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/focus", methods=["GET", "POST"], endpoint="event_focus")
@login_required
def event_focus(event_id: int) -> ResponseReturnValue:
    """Choose the characteristics an event focuses on, the region's most frequent priorities
    first."""
    event = found_or_404(event_for_manager(current_user, event_id))
    picture = network_picture(trusts_of(event.region))
    choices = focus_choices(picture.priority_counts())
    form = FocusForm(choices=[(c.value, c.code) for c in choices])
    problem = may_focus(event)
    refused = False
    if request.method == "GET":
        form.focus.data = [f"{p.value}:{code}" for p, code in focus_by_event([event])[event.id]]
    elif problem:
        refused = True  # the page says why, in place of the form
    elif form.validate():
        keys = [k for v in form.focus.data or [] if (k := parse_focus_value(v)) is not None]
        try:
            set_focus(event, keys, actor=current_user)
        except FocusError as exc:
            form.focus.errors = [str(exc)]
        else:
            flash(
                "The event’s focus is saved." if keys else "The event has no focus now.",
                "success",
            )
            return redirect_after_post(url_for("events.event", event_id=event.id))
    return render(
        "assessments/event_focus.jinja",
        "focus_form" if form.errors or refused else None,
        status=422 if form.errors or refused else 200,
        event=event,
        form=form,
        choices=choices,
        chosen=set(form.focus.data or []),
        sharing=len(picture.sharing),
        problem=problem,
        version=current_version(),
    )
