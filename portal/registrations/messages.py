"""The e-mails that bookings cause, written to the outbox in the same transaction as the change.

Every message to an attendee carries the date, time, place and their self-service link. The
attendee's confirmation carries a calendar invitation (METHOD:REQUEST); the person who booked gets
a plain confirmation, so the event does not land in their own calendar.
"""

from __future__ import annotations

from typing import Literal

from portal.events.calendar import event_location, invitation
from portal.events.models import NetworkEvent, new_calendar_uid
from portal.extensions import utcnow
from portal.mail.service import organizer_address, paragraphs_as_html, queue_message
from portal.registrations.links import self_service_token
from portal.registrations.models import Registration
from portal.web.dates import long_date, short_time
from portal.web.urls import absolute_url

SIGN_OFF = "The caesarean section network programme team"


def _when(event: NetworkEvent) -> str:
    return f"{long_date(event.event_date)}, {short_time(event.start_time)} to {short_time(event.end_time)} (UK time)"


def _self_service_link(registration: Registration) -> str:
    return absolute_url("registrations.self_service", token=self_service_token(registration))


def _facts(registration: Registration) -> list[str]:
    event = registration.event
    return [
        f"Event: {event.title}",
        f"When: {_when(event)}",
        f"Where: {event_location(event)}",
        f"Details: {absolute_url('events.event', event_id=event.id)}",
    ]


def _send(
    registration: Registration,
    *,
    to: str,
    kind: str,
    subject: str,
    paragraphs: list[str],
    calendar_method: str | None = None,
) -> None:
    calendar = None
    if calendar_method is not None:
        event = registration.event
        calendar = invitation(
            event,
            method=calendar_method,
            uid=registration.calendar_uid,
            sequence=registration.next_calendar_sequence(),
            stamp=utcnow(),
            attendee_name=registration.attendee_name,
            attendee_email=registration.attendee_email,
            organizer=organizer_address(),
            url=absolute_url("events.event", event_id=event.id),
            joining_link=event.online_url if calendar_method == "REQUEST" else "",
        )
    paragraphs = [*paragraphs, SIGN_OFF]
    queue_message(
        to=to,
        subject=subject,
        text="\n\n".join(paragraphs) + "\n",
        html=paragraphs_as_html(paragraphs),
        calendar=calendar,
        calendar_method=calendar_method,
        kind=kind,
        related_type="registration",
        related_id=registration.id,
    )


def _to_attendee(
    registration: Registration,
    kind: str,
    subject: str,
    opening: str,
    *,
    calendar_method: str | None = None,
    joining: bool = False,
) -> None:
    event = registration.event
    facts = _facts(registration)
    if joining and event.online_url:
        facts.append(f"Join online: {event.online_url}")
    _send(
        registration,
        to=registration.attendee_email,
        kind=kind,
        subject=subject,
        paragraphs=[
            f"Dear {registration.attendee_name},",
            opening,
            "\n".join(facts),
            f"See your booking or withdraw: {_self_service_link(registration)}",
        ],
        calendar_method=calendar_method,
    )


def _to_booker(registration: Registration, kind: str, subject: str, opening: str) -> None:
    booker = registration.booked_by
    if booker is None or booker.email == registration.attendee_email:
        return
    _send(
        registration,
        to=booker.email,
        kind=kind,
        subject=subject,
        paragraphs=[
            f"Dear {booker.display_name},",
            opening,
            "\n".join(_facts(registration)),
            f"Your trust's bookings: {absolute_url('registrations.trust_bookings')}",
        ],
    )


#: Why a new booking went to the waiting list: the event was full, or the trust had used the
#: places it may have at the event.
WaitingBecause = Literal["full", "trust"]


def booked(
    registration: Registration,
    waits_because: WaitingBecause | None = None,
    *,
    trust_limit: int | None = None,
) -> None:
    title = registration.event.title
    if registration.is_confirmed:
        _to_attendee(
            registration,
            "registration.confirmed",
            f"Your place is confirmed: {title}",
            f"{registration.trust.name} has booked you a place at this network event. The calendar invitation attached adds it to your calendar.",
            calendar_method="REQUEST",
            joining=True,
        )
        _to_booker(
            registration,
            "registration.confirmed.booker",
            f"Place confirmed for {registration.attendee_name}: {title}",
            f"{registration.attendee_name} has a confirmed place. We have sent them a calendar invitation.",
        )
        return
    trust, cap = registration.trust.name, trust_limit
    if waits_because == "trust" and cap is not None:
        why_attendee = f"the {cap} places each trust may have at this event are already taken by colleagues from {trust}"
        why_booker = f"your trust has booked all {cap} of its places at this event"
    else:
        why_attendee = why_booker = "the event is full"
    _to_attendee(
        registration,
        "registration.waitlisted",
        f"You are on the waiting list: {title}",
        f"{trust} asked for a place for you, but {why_attendee}, so you are on the waiting list. If a place comes free, it is offered in the order people joined the list and we will e-mail you.",
    )
    _to_booker(
        registration,
        "registration.waitlisted.booker",
        f"{registration.attendee_name} is on the waiting list: {title}",
        f"There was no place for {registration.attendee_name}: {why_booker}. They are on the waiting list, and we will tell you both if a place comes free.",
    )


def promoted(registration: Registration) -> None:
    title = registration.event.title
    _to_attendee(
        registration,
        "registration.promoted",
        f"A place is now yours: {title}",
        "A place has come free and it is yours: you are no longer on the waiting list. The calendar invitation attached adds the event to your calendar.",
        calendar_method="REQUEST",
        joining=True,
    )
    _to_booker(
        registration,
        "registration.promoted.booker",
        f"{registration.attendee_name} now has a place: {title}",
        f"A place came free and {registration.attendee_name} has moved from the waiting list to a confirmed place.",
    )


def ended(registration: Registration, *, was_confirmed: bool) -> None:
    title = registration.event.title
    if registration.withdrawn_by == "coordinator":
        opening = "The event's coordinator has removed your booking."
    elif registration.withdrawn_by == "trust":
        opening = f"{registration.trust.name} has withdrawn your booking."
    else:
        opening = "You have withdrawn from this event."
    _to_attendee(
        registration,
        "registration.withdrawn",
        f"Booking withdrawn: {title}",
        opening
        + (" The calendar update attached removes it from your calendar." if was_confirmed else ""),
        calendar_method="CANCEL" if was_confirmed else None,
    )
    if registration.withdrawn_by != "trust":
        _to_booker(
            registration,
            "registration.withdrawn.booker",
            f"{registration.attendee_name} no longer has a booking: {title}",
            f"The booking for {registration.attendee_name} has ended ({opening.lower().rstrip('.')}).",
        )


def attendee_changed(
    registration: Registration,
    *,
    previous_email: str,
    email_changed: bool,
    colleagues_entry: tuple[str, int] | None = None,
) -> None:
    """A colleague comes instead, or the details were corrected.

    When a colleague comes instead, the previous attendee's calendar entry is cancelled and the
    colleague's own is used from then on: `colleagues_entry`, the UID and next SEQUENCE of one
    they hold from an earlier booking of this event, or else a new one."""
    if email_changed and registration.is_confirmed:
        event = registration.event
        cancelled = invitation(
            event,
            method="CANCEL",
            uid=registration.calendar_uid,
            sequence=registration.next_calendar_sequence(),
            stamp=utcnow(),
            attendee_name="",
            attendee_email=previous_email,
            organizer=organizer_address(),
            url=absolute_url("events.event", event_id=event.id),
        )
        queue_message(
            to=previous_email,
            subject=f"Your place has passed to a colleague: {event.title}",
            text=f"{registration.trust.name} has given your place at this event to a colleague. The calendar update attached removes it from your calendar.\n\n"
            + "\n".join(_facts(registration))
            + f"\n\n{SIGN_OFF}\n",
            calendar=cancelled,
            calendar_method="CANCEL",
            kind="registration.replaced",
            related_type="registration",
            related_id=registration.id,
        )
    if email_changed:
        uid, sequence = colleagues_entry or (new_calendar_uid(), 0)
        registration.calendar_uid = uid
        registration.calendar_sequence = max(sequence, registration.calendar_sequence)
        booked(registration)
    elif registration.is_confirmed:
        _to_attendee(
            registration,
            "registration.changed",
            f"Your booking details were updated: {registration.event.title}",
            f"{registration.trust.name} has updated the details of your booking. Your place is unchanged.",
            calendar_method="REQUEST",
            joining=True,
        )


def event_changed(registration: Registration) -> None:
    """The event's time or place changed: an updated invitation to each confirmed attendee."""
    _to_attendee(
        registration,
        "event.changed",
        f"Event details have changed: {registration.event.title}",
        "The details of this event have changed. The calendar update attached changes it in your calendar. Your place is unchanged.",
        calendar_method="REQUEST",
        joining=True,
    )


def event_cancelled(registration: Registration) -> None:
    event = registration.event
    _to_attendee(
        registration,
        "event.cancelled",
        f"Event cancelled: {event.title}",
        f"This event has been cancelled: {event.cancelled_reason}"
        + (
            " The calendar update attached removes it from your calendar."
            if registration.is_confirmed
            else ""
        ),
        calendar_method="CANCEL" if registration.is_confirmed else None,
    )


def reminder(registration: Registration, days: int) -> None:
    event = registration.event
    when = "tomorrow" if days == 1 else f"in {days} days"
    _to_attendee(
        registration,
        f"event.reminder.{days}",
        f"Reminder: {event.title} is {when}",
        f"This is a reminder that you have a place at this network event {when}.",
        joining=True,
    )
