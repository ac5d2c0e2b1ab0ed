from __future__ import annotations

from collections import Counter
from typing import Any

from flask import abort, flash, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.auth.permissions import signed_in
from portal.events.models import NetworkEvent
from portal.events.service import public_event
from portal.extensions import db, utcnow
from portal.regions.models import Trust
from portal.registrations import bp
from portal.registrations.event_day import (
    SEARCH_LIMIT,
    Show,
    by_name,
    counts_of,
    event_day,
    event_registrations,
    register_of,
)
from portal.registrations.forms import (
    MAX_ATTENDEES,
    BookingForm,
    ChangeAttendeeForm,
    CheckInFilterForm,
    TrustLimitForm,
)
from portal.registrations.links import registration_from_token
from portal.registrations.models import Registration
from portal.registrations.service import (
    BookingError,
    book_places,
    booking_closed_reason,
    bookings_by_event,
    can_book,
    change_attendee,
    confirmed_of_trust,
    event_for_attendee_manager,
    event_is_open_to,
    no_promotion_reason,
    offer_place,
    offer_problem,
    places,
    raise_trust_limit,
    registration_for_manager,
    registration_for_trust,
    remove,
    set_attended,
    trust_limit_problem,
    trust_limits,
    trust_places_left,
    waiting_of_trust,
    waiting_positions,
    withdraw,
)
from portal.web.csvtools import csv_download
from portal.web.forms import ConfirmForm
from portal.web.htmx import redirect_after_post, render, render_fragment, wants_fragment
from portal.web.inputs import search_text
from portal.web.lookups import found_or_404
from portal.web.navigation import navigation_link


def _bookings(person: object) -> str | None:
    if signed_in(person) and person.is_trust_staff and person.trust is not None:
        return url_for("registrations.trust_bookings")
    return None


navigation_link(
    "Bookings",
    80,
    _bookings,
    {
        "registrations.trust_bookings",
        "registrations.book",
        "registrations.booked",
        "registrations.change",
        "registrations.trust_withdraw",
    },
)

# --- Booking ---------------------------------------------------------------------------------------


def _bookable_event(event_id: int) -> NetworkEvent:
    """The event, if this person may book places at it: 404 for a draft, 403 for someone who
    cannot book there."""
    event = found_or_404(public_event(event_id))
    if not can_book(current_user, event):
        abort(403)
    return event


@bp.route("/events/<int:event_id>/book", methods=["GET", "POST"])
@login_required
def book(event_id: int) -> ResponseReturnValue:
    event = _bookable_event(event_id)
    closed = booking_closed_reason(event)
    form = BookingForm()
    status = 200
    if request.method == "POST" and not closed:
        if "add_person" in request.form:
            # Without JavaScript: "Add another person" posts the form back with one more row.
            if len(form.attendees.entries) < MAX_ATTENDEES:
                form.attendees.append_entry()
        elif form.validate():
            try:
                outcomes = book_places(event, form.people(), actor=current_user)
            except BookingError as exc:
                form.form_errors.append(str(exc))
                status = 422
            else:
                # Ids and the reasons only: no personal data in the session cookie.
                session["booking_result"] = {
                    "event_id": event.id,
                    "ids": [o.registration.id for o in outcomes if o.registration is not None],
                    "reasons": {
                        str(o.registration.id): o.message
                        for o in outcomes
                        if o.registration is not None
                    },
                    "skipped": sum(1 for o in outcomes if o.registration is None),
                }
                return redirect_after_post(url_for("registrations.booked", event_id=event.id))
        else:
            status = 422
    return render(
        "registrations/book.jinja",
        "booking_form",
        status=status,
        event=event,
        form=form,
        closed=closed,
        places=(left := places(event)),
        trust_left=trust_places_left(event, current_user.trust, left.left),
        trust_limit=trust_limits(event).of(current_user.trust_id),
        max_attendees=MAX_ATTENDEES,
    )


@bp.get("/events/<int:event_id>/book/person")
@login_required
def booking_row(event_id: int) -> ResponseReturnValue:
    """htmx: one more empty person on the booking form."""
    event = _bookable_event(event_id)
    if not wants_fragment():
        # Only htmx asks for a row alone; a browser that opens the address gets the whole form.
        return redirect_after_post(url_for("registrations.book", event_id=event.id))
    index = max(min(request.args.get("index", 1, type=int) or 1, MAX_ATTENDEES - 1), 1)
    form = BookingForm(formdata=None)
    while len(form.attendees.entries) <= index:
        form.attendees.append_entry()
    return render(
        "registrations/book.jinja",
        "attendee_row",
        event=event,
        entry=form.attendees.entries[index],
        index=index,
        max_attendees=MAX_ATTENDEES,
    )


@bp.get("/events/<int:event_id>/booked")
@login_required
def booked(event_id: int) -> ResponseReturnValue:
    event = _bookable_event(event_id)
    result = session.get("booking_result") or {}
    ids = result.get("ids", []) if result.get("event_id") == event.id else []
    registrations = (
        db.session.scalars(
            select(Registration)
            .where(Registration.id.in_(ids), Registration.trust_id == current_user.trust_id)
            .order_by(Registration.id)
        ).all()
        if ids
        else []
    )
    return render(
        "registrations/booked.jinja",
        event=event,
        registrations=registrations,
        positions=waiting_positions([event.id]),
        trust_limit=trust_limits(event).of(current_user.trust_id),
        reasons=result.get("reasons", {}),
        skipped=result.get("skipped", 0) if ids or result.get("event_id") == event.id else 0,
    )


# --- The trust's bookings ---------------------------------------------------------------------------


def _trust_staff_only() -> None:
    if not current_user.is_trust_staff:
        abort(403)


@bp.get("/bookings")
@login_required
def trust_bookings() -> ResponseReturnValue:
    _trust_staff_only()
    return render(
        "registrations/trust_bookings.jinja", bookings=bookings_by_event(current_user.trust)
    )


@bp.route("/bookings/<int:registration_id>/withdraw", methods=["GET", "POST"])
@login_required
def trust_withdraw(registration_id: int) -> ResponseReturnValue:
    registration = found_or_404(registration_for_trust(current_user, registration_id))
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate():
            abort(400)
        withdraw(registration, by="trust", actor=current_user)
        flash(f"{registration.attendee_name}'s booking has been withdrawn.", "success")
        return redirect_after_post(url_for("registrations.trust_bookings"))
    if not registration.is_active:
        return redirect_after_post(url_for("registrations.trust_bookings"))
    return render(
        "registrations/withdraw.jinja",
        registration=registration,
        form=form,
        waiting=places(registration.event).waiting,
    )


@bp.route("/bookings/<int:registration_id>/change", methods=["GET", "POST"])
@login_required
def change(registration_id: int) -> ResponseReturnValue:
    registration = found_or_404(registration_for_trust(current_user, registration_id))
    if not registration.is_active:
        flash("This booking has ended and cannot be changed.", "info")
        return redirect_after_post(url_for("registrations.trust_bookings"))
    if request.method == "GET":
        form = ChangeAttendeeForm(
            data={
                "name": registration.attendee_name,
                "email": registration.attendee_email,
                "job_role": registration.job_role.value,
                "access_needs": registration.access_needs,
                "dietary_needs": registration.dietary_needs,
            }
        )
        return render("registrations/change.jinja", registration=registration, form=form)
    form = ChangeAttendeeForm()
    if form.validate():
        try:
            change_attendee(registration, form.attendee(), actor=current_user)
        except BookingError as exc:
            form.email.errors.append(str(exc))
        else:
            flash("The booking has been updated. The place is kept.", "success")
            return redirect_after_post(url_for("registrations.trust_bookings"))
    return render(
        "registrations/change.jinja",
        "change_form",
        status=422,
        registration=registration,
        form=form,
    )


# --- Attendee self-service (no account: a signed link from their e-mail) ---------------------------


@bp.get("/bookings/self-service/<token>")
def self_service(token: str) -> ResponseReturnValue:
    """Opening the link changes nothing (mail scanners open links before people do)."""
    registration = found_or_404(registration_from_token(token))
    return render(
        "registrations/self_service.jinja",
        registration=registration,
        position=waiting_positions([registration.event_id]).get(registration.id),
        token=token,
        form=ConfirmForm(),
    )


@bp.post("/bookings/self-service/<token>")
def self_service_withdraw(token: str) -> ResponseReturnValue:
    registration = found_or_404(registration_from_token(token))
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    was_confirmed = registration.is_confirmed
    promoted = withdraw(registration, by="attendee")
    if was_confirmed and promoted:
        flash(
            "You have withdrawn. Your place has gone to the next person on the waiting list.",
            "success",
        )
    else:
        flash("You have withdrawn.", "success")
    return redirect_after_post(url_for("registrations.self_service", token=token))


# --- The coordinator's attendee list and check-in --------------------------------------------------


def _check_in_filters() -> CheckInFilterForm:
    filters = CheckInFilterForm(request.args)
    filters.clear_unknown_choices()
    return filters


def _list_url(event_id: int, search: str, show: str, anchor: str = "") -> str:
    """The attendee list as the coordinator left it (their search and choice kept)."""
    args: dict[str, Any] = {"event_id": event_id}
    if search:
        args["q"] = search
    if show != Show.EVERYONE:
        args["show"] = show
    return url_for("registrations.attendees", **args) + anchor


@bp.get("/events/<int:event_id>/attendees")
@login_required
def attendees(event_id: int) -> ResponseReturnValue:
    """The event's people: check-in with search and filters, the waiting list and why people
    wait, numbers by trust and role, and needs for catering and access."""
    event = found_or_404(event_for_attendee_manager(current_user, event_id))
    filters = _check_in_filters()
    registrations = event_registrations(event)
    day = event_day(event, registrations, search=filters.q.data or "", show=filters.chosen)
    confirmed = [r for r in registrations if r.is_confirmed]
    waiting = sorted(
        (r for r in registrations if r.is_waitlisted), key=lambda r: (r.waitlisted_at, r.id)
    )
    needs = [
        r
        for r in sorted(confirmed, key=by_name) + waiting
        if (r.access_needs or r.dietary_needs) and r.needs_erased_at is None
    ]
    # Only the search form asks for the list alone; any other htmx request (HX-Location after
    # offering a place) gets the page.
    fragment = request.headers.get("HX-Target") == "check-in-results"
    return render(
        "registrations/attendees.jinja",
        "check_in_results" if fragment else None,
        event=event,
        day=day,
        filters=filters,
        ended=[r for r in registrations if not r.is_active],
        by_trust=sorted(Counter(r.trust.name for r in confirmed).items()),
        by_role=sorted(Counter(r.job_role.label for r in confirmed).items()),
        needs=needs,
        form=ConfirmForm(),
    )


@bp.get("/events/<int:event_id>/register")
@login_required
def register(event_id: int) -> ResponseReturnValue:
    """The sign-in sheet to print: one line per confirmed person, by trust then name."""
    event = found_or_404(event_for_attendee_manager(current_user, event_id))
    people = register_of(event_registrations(event))
    by_trust: dict[int, list[Registration]] = {}
    for registration in people:
        by_trust.setdefault(registration.trust_id, []).append(registration)
    return render(
        "registrations/register.jinja",
        event=event,
        groups=list(by_trust.values()),
        total=len(people),
        printed_at=utcnow(),
    )


CSV_COLUMNS = (
    "name",
    "email",
    "job_role",
    "trust",
    "status",
    "booked_at",
    "checked_in_at",
    "access_needs",
    "dietary_needs",
)


@bp.get("/events/<int:event_id>/attendees.csv")
@login_required
def attendees_csv(event_id: int) -> ResponseReturnValue:
    """Every booking of the event, with the needs the coordinator plans catering and access by."""
    event = found_or_404(event_for_attendee_manager(current_user, event_id))
    rows = (
        (
            r.attendee_name,
            r.attendee_email,
            r.job_role.label,
            r.trust.name,
            r.state.label,
            r.booked_at.isoformat(timespec="seconds"),
            r.checked_in_at.isoformat(timespec="seconds") if r.checked_in_at else "",
            r.access_needs if r.needs_erased_at is None else "",
            r.dietary_needs if r.needs_erased_at is None else "",
        )
        for r in event_registrations(event)
    )
    return csv_download(CSV_COLUMNS, rows, f"attendees-event-{event.id}.csv")


@bp.post("/registrations/<int:registration_id>/attended")
@login_required
def attended(registration_id: int) -> ResponseReturnValue:
    """Check-in: the form names the state it sets (attended=yes|no), so a double tap is harmless."""
    registration = found_or_404(registration_for_manager(current_user, registration_id))
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    value = request.form.get("attended")
    if value not in ("yes", "no"):
        abort(400)
    try:
        set_attended(registration, value == "yes", actor=current_user)
    except BookingError as exc:
        flash(str(exc), "error")
    else:
        if not wants_fragment():
            # Without JavaScript the list comes back whole, and may no longer show the person.
            flash(
                f"{registration.attendee_name} is checked in."
                if value == "yes"
                else f"{registration.attendee_name} is no longer checked in.",
                "success",
            )
    event = registration.event
    # The list as it was: its search and choice come back with the form.
    search = search_text(request.form.get("q"), SEARCH_LIMIT)
    show = Show.read(request.form.get("show"))
    if wants_fragment():
        return render_fragment(
            "registrations/attendees.jinja",
            "check_in_row",
            event=event,
            registration=registration,
            counts=counts_of(event_registrations(event)),
            list_state={"q": search, "show": show.value},
            form=ConfirmForm(),
        )
    return redirect_after_post(
        _list_url(event.id, search, show, f"#registration-{registration.id}")
    )


# --- Places beyond a trust's limit ------------------------------------------------------------------


@bp.route("/registrations/<int:registration_id>/offer", methods=["GET", "POST"])
@login_required
def offer(registration_id: int) -> ResponseReturnValue:
    """Offer a free place to a waiting person whose trust has used its places: asks first."""
    registration = found_or_404(registration_for_manager(current_user, registration_id))
    event = registration.event
    form = ConfirmForm()
    status = 200
    if request.method == "POST":
        if not form.validate():
            abort(400)
        try:
            offer_place(registration, actor=current_user)
        except BookingError as exc:
            problem: str | None = str(exc)
            status = 422
        else:
            flash(
                f"{registration.attendee_name} has a place and has been told by e-mail. "
                f"{registration.trust.name} may now have "
                f"{trust_limits(event).of(registration.trust_id)} people at this event.",
                "success",
            )
            return redirect_after_post(
                _list_url(event.id, "", Show.EVERYONE, f"#registration-{registration.id}")
            )
    else:
        problem = offer_problem(registration)
    return render(
        "registrations/offer.jinja",
        "offer_form",
        status=status,
        registration=registration,
        event=event,
        problem=problem,
        places=places(event),
        limit=trust_limits(event).of(registration.trust_id),
        form=form,
    )


@bp.route("/events/<int:event_id>/trusts/<int:trust_id>/places", methods=["GET", "POST"])
@login_required
def trust_limit(event_id: int, trust_id: int) -> ResponseReturnValue:
    """Let one trust have more people at this event than the places per trust, from the
    waiting list: the free places go to its people in turn."""
    event = found_or_404(event_for_attendee_manager(current_user, event_id))
    trust = found_or_404(db.session.get(Trust, trust_id))
    if not event_is_open_to(event, trust):
        abort(404)
    problem = no_promotion_reason(event) or trust_limit_problem(event, trust, None)
    status = 200
    if request.method == "POST":
        form = TrustLimitForm()
        if not form.validate():
            status = 422
        elif problem:
            form.form_errors.append(problem)
            status = 422
        elif number_problem := trust_limit_problem(event, trust, form.places.data):
            form.places.errors = [number_problem]
            status = 422
        else:
            assert form.places.data is not None
            try:
                promoted = raise_trust_limit(event, trust, form.places.data, actor=current_user)
            except BookingError as exc:
                form.form_errors.append(str(exc))
                status = 422
            else:
                moved = len(promoted)
                flash(
                    f"{trust.name} may now have up to {form.places.data} people at this event. "
                    + (
                        f"{moved} {'person' if moved == 1 else 'people'} from the waiting list "
                        f"{'has' if moved == 1 else 'have'} a place and "
                        f"{'has' if moved == 1 else 'have'} been told by e-mail."
                        if moved
                        else "No one moved from the waiting list."
                    ),
                    "success",
                )
                return redirect_after_post(_list_url(event.id, "", Show.EVERYONE))
    # Read after any change was tried: a refused change shows the places as they are now.
    limit = trust_limits(event).of(trust.id)
    left = places(event).left
    queue = waiting_of_trust(event, trust.id)
    if request.method == "GET":
        # Enough for everyone of the trust who waits, as far as the free places go.
        suggested = (limit or 0) + max(min(len(queue), left), 1)
        form = TrustLimitForm(formdata=None, data={"places": min(suggested, event.capacity)})
    return render(
        "registrations/trust_limit.jinja",
        "trust_limit_form",
        status=status,
        event=event,
        trust=trust,
        limit=limit,
        left=left,
        queue=queue,
        confirmed=confirmed_of_trust(event, trust.id),
        problem=problem,
        form=form,
    )


@bp.route("/registrations/<int:registration_id>/remove", methods=["GET", "POST"])
@login_required
def coordinator_remove(registration_id: int) -> ResponseReturnValue:
    registration = found_or_404(registration_for_manager(current_user, registration_id))
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate():
            abort(400)
        remove(registration, actor=current_user)
        flash(f"{registration.attendee_name} has been removed from the event.", "success")
        return redirect_after_post(
            url_for("registrations.attendees", event_id=registration.event_id)
        )
    if not registration.is_active:
        return redirect_after_post(
            url_for("registrations.attendees", event_id=registration.event_id)
        )
    return render("registrations/remove.jinja", registration=registration, form=form)
