from __future__ import annotations

from collections import Counter

from flask import abort, flash, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.auth.permissions import signed_in
from portal.events.models import NetworkEvent
from portal.events.service import public_event
from portal.extensions import db
from portal.registrations import bp
from portal.registrations.forms import MAX_ATTENDEES, BookingForm, ChangeAttendeeForm
from portal.registrations.links import registration_from_token
from portal.registrations.models import Registration
from portal.registrations.service import (
    BookingError,
    book_places,
    booking_closed_reason,
    bookings_by_event,
    can_book,
    change_attendee,
    event_for_attendee_manager,
    places,
    registration_for_manager,
    registration_for_trust,
    remove,
    set_attended,
    trust_places_left,
    waiting_positions,
    withdraw,
)
from portal.web.csvtools import csv_download
from portal.web.forms import ConfirmForm
from portal.web.htmx import is_htmx, redirect_after_post, render, wants_fragment
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


# --- The coordinator's attendee list ------------------------------------------------------------


def _event_registrations(event: NetworkEvent) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id)
            .order_by(
                Registration.state,
                Registration.waitlisted_at,
                Registration.attendee_name,
                Registration.id,
            )
        )
    )


@bp.get("/events/<int:event_id>/attendees")
@login_required
def attendees(event_id: int) -> ResponseReturnValue:
    event = found_or_404(event_for_attendee_manager(current_user, event_id))
    registrations = _event_registrations(event)
    confirmed = [r for r in registrations if r.is_confirmed]
    waiting = sorted(
        (r for r in registrations if r.is_waitlisted), key=lambda r: (r.waitlisted_at, r.id)
    )
    ended = [r for r in registrations if not r.is_active]
    by_trust = Counter(r.trust.name for r in confirmed)
    by_role = Counter(r.job_role.label for r in confirmed)
    needs = [
        r
        for r in confirmed + waiting
        if (r.access_needs or r.dietary_needs) and r.needs_erased_at is None
    ]
    return render(
        "registrations/attendees.jinja",
        event=event,
        confirmed=confirmed,
        waiting=waiting,
        ended=ended,
        by_trust=sorted(by_trust.items()),
        by_role=sorted(by_role.items()),
        needs=needs,
        attended=sum(1 for r in confirmed if r.attended),
        form=ConfirmForm(),
    )


CSV_COLUMNS = ("name", "email", "job_role", "trust", "status", "booked_at", "checked_in_at")


@bp.get("/events/<int:event_id>/attendees.csv")
@login_required
def attendees_csv(event_id: int) -> ResponseReturnValue:
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
        )
        for r in _event_registrations(event)
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
    event = registration.event
    if is_htmx():
        confirmed = [r for r in _event_registrations(event) if r.is_confirmed]
        return render(
            "registrations/attendees.jinja",
            "check_in_row",
            event=event,
            registration=registration,
            attended=sum(1 for r in confirmed if r.attended),
            confirmed=confirmed,
            form=ConfirmForm(),
        )
    return redirect_after_post(
        url_for("registrations.attendees", event_id=event.id) + f"#registration-{registration.id}"
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
