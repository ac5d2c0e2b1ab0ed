"""flask --app app demo: invented data for every screen, each record flagged and tagged "demo"."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from portal.assessments.demo import load_demo_toolkit
from portal.auth.models import Role
from portal.auth.service import create_user, find_by_email
from portal.events.models import EventState, NetworkEvent
from portal.events.service import NoEventsLeft, cancel_event, create_event, publish_event
from portal.extensions import db, utcnow
from portal.mail.service import send_pending
from portal.measures.demo import load_demo_measures
from portal.regions.models import Trust
from portal.regions.service import region_by_slug, seed_regions, trust_by_code
from portal.registrations.models import JobRole, Registration, RegistrationState
from portal.registrations.service import Attendee, book_places, remove, withdraw
from portal.robson.demo import load_demo_robson
from portal.stories.demo import load_demo_stories
from portal.web.dates import programme_year, today_in_london

DEMO_PASSWORD = "demo-password-2026"

# Invented trusts: two participating in each region, as in the programme, and one to three more
# that are not. The "Z" ODS codes are not issued to real organisations.
# (name, ODS code, region slug, participating)
DEMO_TRUSTS = (
    ("Northgate Hospitals NHS Foundation Trust", "ZD1", "north-east", True),
    ("Riverside and Dales NHS Trust", "ZD2", "north-east", True),
    ("Tyne Valley Maternity Services NHS Trust", "ZD3", "north-east", False),
    ("Thameside University Hospitals NHS Trust", "ZD4", "london", True),
    ("Eastbrook Hospital NHS Trust", "ZD5", "london", True),
    ("Southwark Green NHS Foundation Trust", "ZD6", "london", False),
    ("Peak and Vale Hospitals NHS Trust", "ZD7", "east-midlands", True),
    ("Trent Meadows NHS Foundation Trust", "ZD8", "east-midlands", True),
    ("Moorland Coast Healthcare NHS Trust", "ZD9", "south-west", True),
    ("Severn Estuary Hospitals NHS Trust", "ZE1", "south-west", False),
    ("Fenmouth Hospitals NHS Foundation Trust", "ZE2", "east-of-england", True),
    ("Broadwater and Stour NHS Trust", "ZE3", "east-of-england", True),
    ("Eastmarsh General Hospital NHS Trust", "ZE4", "east-of-england", False),
    ("Kingsmead Hospital NHS Trust", "ZE5", "london", False),
    ("Soar Valley Hospitals NHS Trust", "ZE6", "east-midlands", False),
    ("Wolds Edge NHS Foundation Trust", "ZE7", "east-midlands", False),
    ("Fleetbank Hospital NHS Trust", "ZE8", "london", False),
    ("Wearmouth and Coast NHS Foundation Trust", "ZE9", "north-east", False),
    ("Mersey Vale Teaching Hospitals NHS Trust", "ZF1", "north-west", True),
    ("Fellside Hospitals NHS Foundation Trust", "ZF2", "north-west", True),
    ("Irwell Bridge NHS Trust", "ZF3", "north-west", False),
    ("Ribble Sands Hospitals NHS Trust", "ZF4", "north-west", False),
    ("Kennet and Loddon Hospitals NHS Foundation Trust", "ZF5", "south-central", True),
    ("Meonside University Hospitals NHS Trust", "ZF6", "south-central", True),
    ("Chalk Hills NHS Trust", "ZF7", "south-central", False),
    ("Bollin Valley NHS Foundation Trust", "ZF8", "north-west", False),
    ("Weald and Downs Hospitals NHS Trust", "ZF9", "south-east-coast", True),
    ("Rother Estuary NHS Foundation Trust", "ZG1", "south-east-coast", True),
    ("Chanctonbury Hospital NHS Trust", "ZG2", "south-east-coast", False),
    ("Saltdean Bay NHS Trust", "ZG3", "south-east-coast", False),
    ("Exe and Tamar Hospitals NHS Foundation Trust", "ZG4", "south-west", True),
    ("Mendip Levels NHS Trust", "ZG5", "south-west", False),
    ("Arden Forest University Hospitals NHS Trust", "ZG6", "west-midlands", True),
    ("Tame Valley Hospitals NHS Trust", "ZG7", "west-midlands", True),
    ("Malvern Chase NHS Trust", "ZG8", "west-midlands", False),
    ("Wrekin Edge Hospitals NHS Trust", "ZG9", "west-midlands", False),
    ("Calder Moor Hospitals NHS Foundation Trust", "ZH1", "yorkshire-and-the-humber", True),
    ("Humberhead Levels NHS Trust", "ZH2", "yorkshire-and-the-humber", True),
    ("Swaledale General Hospital NHS Trust", "ZH3", "yorkshire-and-the-humber", False),
    ("Holderness Coast NHS Trust", "ZH4", "yorkshire-and-the-humber", False),
    ("Cannock Heath Hospitals NHS Trust", "ZH5", "west-midlands", False),
)

# Each region's network coordinator: shown as the region's contact, and able to sign in as
# coordinator.<slug>@example.org. (name, contact e-mail, phone)
DEMO_COORDINATORS = {
    "north-east": ("Alex Morgan (demo)", "north-east.network@example.org", "0191 000 0000"),
    "london": ("Sam Patel (demo)", "london.network@example.org", "020 0000 0000"),
    "east-midlands": ("Jo Williams (demo)", "east-midlands.network@example.org", "0115 000 0000"),
    "east-of-england": (
        "Priya Desai (demo)",
        "east-of-england.network@example.org",
        "01223 000 000",
    ),
    "north-west": ("Kieran Walsh (demo)", "north-west.network@example.org", "0161 000 0000"),
    "south-central": ("Helen Brooks (demo)", "south-central.network@example.org", "0118 000 0000"),
    "south-east-coast": (
        "Tom Okafor (demo)",
        "south-east-coast.network@example.org",
        "01273 000 000",
    ),
    "south-west": ("Megan Trelawny (demo)", "south-west.network@example.org", "0117 000 0000"),
    "west-midlands": ("Farah Hussain (demo)", "west-midlands.network@example.org", "0121 000 0000"),
    "yorkshire-and-the-humber": (
        "Mark Greenwood (demo)",
        "yorkshire-and-the-humber.network@example.org",
        "0113 000 0000",
    ),
}

# (e-mail, name, role, region slug, trust ODS code): the programme team, the trusts' staff and,
# after them, a coordinator for every region.
DEMO_PEOPLE: tuple[tuple[str, str, Role, str | None, str | None], ...] = (
    ("admin@example.org", "Pat Programme (demo)", Role.ADMIN, None, None),
    (
        "coordinator.north-east@example.org",
        "Alex Morgan (demo)",
        Role.COORDINATOR,
        "north-east",
        None,
    ),
    ("coordinator.london@example.org", "Sam Patel (demo)", Role.COORDINATOR, "london", None),
    ("staff.northgate@example.org", "Chris Lee (demo)", Role.TRUST, None, "ZD1"),
    ("staff.thameside@example.org", "Robin Shah (demo)", Role.TRUST, None, "ZD4"),
    *(
        (f"coordinator.{slug}@example.org", name, Role.COORDINATOR, slug, None)
        for slug, (name, _email, _phone) in DEMO_COORDINATORS.items()
        if slug not in ("north-east", "london")
    ),
)


def load_demo_data() -> list[tuple[str, str, str]]:
    """Create the demo records that are missing; return the demo log-ins (e-mail, role, scope)."""
    seed_regions()
    for name, code, slug, participating in DEMO_TRUSTS:
        if trust_by_code(code) is None:
            region = region_by_slug(slug)
            db.session.add(
                Trust(
                    name=name,
                    ods_code=code,
                    region=region,
                    participating=participating,
                    is_demo=True,
                )
            )
    for slug, (contact, email, phone) in DEMO_COORDINATORS.items():
        region = region_by_slug(slug)
        if region is not None and not region.has_contact:
            region.contact_name, region.contact_email, region.contact_phone = contact, email, phone
            region.contact_is_demo = True
    db.session.flush()

    logins = []
    for email, name, role, region_slug, ods_code in DEMO_PEOPLE:
        user = find_by_email(email)
        if user is None:
            user = create_user(
                email,
                role,
                name=name,
                password=DEMO_PASSWORD,
                region=region_by_slug(region_slug) if region_slug else None,
                trust=trust_by_code(ods_code) if ods_code else None,
                is_demo=True,
            )
        logins.append((user.email, user.role.label, user.scope_label))
    db.session.commit()
    load_demo_events()
    load_demo_registrations()
    load_demo_stories()
    load_demo_measures()
    load_demo_robson()
    load_demo_toolkit()
    return logins


def _demo_event_values(title: str, day: date, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": title,
        "summary": "Teams from the region's trusts share what they changed to promote normal birth, and what happened.",
        "description": (
            "This is a **demo** event with invented details.\n\n"
            "## Programme\n\n"
            "- 9:30am: welcome and coffee\n"
            "- 10am: two trusts present their first months with the Pathways to success toolkit\n"
            "- 1pm: workshops on VBAC and first labours\n"
            "- 3:30pm: next steps for the network"
        ),
        "event_date": day,
        "start_time": time(9, 30),
        "end_time": time(16, 0),
        "venue_name": "Conference Centre (demo)",
        "venue_address": "1 Example Street\nExampletown",
        "venue_postcode": "LS1 4AP",
        "online_url": "",
        "capacity": 60,
        "trust_cap": 6,
        "registration_deadline": day - timedelta(days=7),
        "open_to_all_regions": False,
    }
    values.update(extra)
    return values


def _next_tuesday(day: date) -> date:
    """Network days fall mid-week, away from bank holidays at Christmas and New Year."""
    day += timedelta(days=(1 - day.weekday()) % 7)
    while (day.month, day.day) in {(12, 25), (12, 26), (1, 1)} or (
        day.month == 12 and day.day > 20
    ):
        day += timedelta(days=7)
    return day


def _network_day(day: date) -> date:
    """The first Tuesday, Wednesday or Thursday from `day`, away from Christmas and New Year."""
    while (
        day.weekday() not in (1, 2, 3)
        or (day.month == 12 and day.day > 20)
        or day.month == day.day == 1
    ):
        day += timedelta(days=1)
    return day


def load_demo_events() -> None:
    """Events in every region over three programme years: past ones, upcoming ones, a region at
    its limit, a cancelled event, a draft and an online event."""
    admin = find_by_email("admin@example.org")
    if admin is None:
        return
    today = today_in_london()
    start = _next_tuesday(today + timedelta(days=14))
    year_end = date(programme_year(start) + 1, 3, 31)
    # The first regions' events fall on the next network days, in the programme year of the
    # first; the others' on a number of days from today. No region has more than three events
    # from 200 days back on, and each event 390 or more days back falls in an earlier programme
    # year than any upcoming one, so no region goes over its limit whatever today is.
    days = {
        "soon": start,
        "next": min(_next_tuesday(start + timedelta(days=21)), year_end),
        "later": min(_next_tuesday(start + timedelta(days=42)), year_end),
    }
    online = {
        "venue_name": "",
        "venue_address": "",
        "venue_postcode": "",
    }

    # (region slug, title, when: a key of `days` or a number of days from today, state, values)
    plans: list[tuple[str, str, str | int, str, dict[str, Any]]] = [
        # North East: all three of this year's events planned (the region is at its limit).
        (
            "north-east",
            "Normal birth: what the first year taught us",
            "soon",
            "published",
            {"capacity": 6, "trust_cap": 4},
        ),
        (
            "north-east",
            "Vaginal birth after caesarean: supporting women's choices",
            "next",
            "published",
            {},
        ),
        (
            "north-east",
            "First pregnancies and labour: sharing practice",
            "later",
            "published",
            {"capacity": 45},
        ),
        # London: one published, one cancelled, one draft.
        (
            "london",
            "London network day: leadership for normal birth",
            "next",
            "published",
            {"open_to_all_regions": True},
        ),
        ("london", "Organisational characteristics workshop", "soon", "cancelled", {}),
        ("london", "Elective caesarean section: reviewing the decisions", "later", "draft", {}),
        # East Midlands: an online event.
        (
            "east-midlands",
            "Online: measuring caesarean section rates with Robson groups",
            "soon",
            "published",
            {**online, "online_url": "https://meet.example.org/demo-east-midlands"},
        ),
        # South West: a past event, with people checked in.
        ("south-west", "South West launch event", -200, "past", {}),
        # Every region: its launch and the events since, and what is coming.
        ("north-east", "North East launch event", -420, "past", {}),
        (
            "london",
            "London launch: working across the capital's maternity units",
            -406,
            "past",
            {},
        ),
        ("east-midlands", "East Midlands launch event", -790, "past", {}),
        ("east-midlands", "Audit that changes practice", -399, "past", {}),
        ("east-of-england", "East of England launch event", -434, "past", {}),
        (
            "east-of-england",
            "Supporting women after a previous caesarean",
            36,
            "published",
            {"capacity": 50},
        ),
        ("north-west", "North West launch event", -413, "past", {}),
        ("north-west", "Early labour and triage: what works", -150, "past", {}),
        (
            "north-west",
            "Labour ward leadership: a day for consultants and senior midwives",
            57,
            "published",
            {"capacity": 40},
        ),
        ("south-central", "South Central launch event", -427, "past", {}),
        (
            "south-central",
            "Using the toolkit's self-assessment as a team",
            9,
            "published",
            {},
        ),
        ("south-east-coast", "South East Coast launch event", -776, "past", {}),
        ("south-east-coast", "Birth centres and midwife-led care", -392, "past", {}),
        (
            "south-east-coast",
            "Caesarean section on request: listening first",
            43,
            "published",
            {},
        ),
        ("south-west", "Robson groups in practice", 64, "published", {"capacity": 35}),
        ("west-midlands", "West Midlands launch event", -441, "past", {}),
        ("west-midlands", "First births: keeping labour normal", 16, "published", {}),
        (
            "west-midlands",
            "Online: sharing monthly figures across the network",
            78,
            "published",
            {**online, "online_url": "https://meet.example.org/demo-west-midlands"},
        ),
        (
            "yorkshire-and-the-humber",
            "Yorkshire and the Humber launch event",
            -783,
            "past",
            {},
        ),
        ("yorkshire-and-the-humber", "VBAC: what women told us", -420, "past", {}),
        (
            "yorkshire-and-the-humber",
            "Culture, teams and normal birth",
            50,
            "published",
            {},
        ),
    ]
    for slug, title, when, state, extra in plans:
        region = region_by_slug(slug)
        if region is None or db.session.scalar(
            select(NetworkEvent).where(
                NetworkEvent.region_id == region.id, NetworkEvent.title == title
            )
        ):
            continue
        day = days[when] if isinstance(when, str) else _network_day(today + timedelta(days=when))
        values = _demo_event_values(title, day, **{**_demo_venue(slug), **extra})
        try:
            event = create_event(region, values, actor=admin)
        except NoEventsLeft:
            continue  # the region's real events already fill the year
        event.is_demo = True
        if state in ("published", "cancelled"):
            publish_event(event, actor=admin)
        if state == "cancelled":
            cancel_event(event, "The venue is no longer available (demo).", actor=admin)
        if state == "past":
            event.state = EventState.PUBLISHED
            event.published_at = utcnow()
        db.session.commit()


def _demo_venue(slug: str) -> dict[str, str]:
    """The region's invented venue; the first regions keep the venue the demo always had."""
    if slug in ("north-east", "london", "east-midlands", "south-west"):
        return {}
    town = DEMO_TOWNS[slug]
    return {
        "venue_name": f"{town} Education Centre (demo)",
        "venue_address": f"1 Example Street\n{town}",
        "venue_postcode": "",
    }


# Invented towns for the regions' venues.
DEMO_TOWNS = {
    "east-of-england": "Fenmouth",
    "north-west": "Mersey Vale",
    "south-central": "Meonside",
    "south-east-coast": "Rotherbridge",
    "west-midlands": "Ardenford",
    "yorkshire-and-the-humber": "Calderby",
}


def print_logins(logins: list[tuple[str, str, str]]) -> None:
    click.echo(f"Demo log-ins (password for each: {DEMO_PASSWORD}):")
    width = max(len(email) for email, _, _ in logins)
    for email, role, scope in logins:
        click.echo(f"  {email.ljust(width)}  {role} — {scope}")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Add demo data (trusts, contacts, people of every role, events) and print the demo log-ins.

    Safe to run again: existing demo records are kept. Refused in production.
    """
    if current_app.config["PRODUCTION"]:
        raise click.ClickException(
            "Demo data is never loaded in production (PORTAL_ENV=production)."
        )
    logins = load_demo_data()
    db.session.commit()
    print_logins(logins)


DEMO_ATTENDEES = (
    (
        "Aisha Khan (demo)",
        "aisha.khan@example.org",
        JobRole.MIDWIFE,
        "Step-free access, please",
        "",
    ),
    ("Ben Carter (demo)", "ben.carter@example.org", JobRole.OBSTETRICIAN, "", "Vegetarian"),
    ("Chloe Evans (demo)", "chloe.evans@example.org", JobRole.CONSULTANT_MIDWIFE, "", ""),
    ("Dan Hughes (demo)", "dan.hughes@example.org", JobRole.HEAD_OF_MIDWIFERY, "", ""),
    ("Ella Price (demo)", "ella.price@example.org", JobRole.SERVICE_MANAGER, "", "No nuts"),
    ("Femi Adeyemi (demo)", "femi.adeyemi@example.org", JobRole.MIDWIFE, "", ""),
    ("Grace Lloyd (demo)", "grace.lloyd@example.org", JobRole.SERVICE_USER_REPRESENTATIVE, "", ""),
    ("Harry Moss (demo)", "harry.moss@example.org", JobRole.OBSTETRICIAN, "", ""),
    ("Isla Grant (demo)", "isla.grant@example.org", JobRole.MIDWIFE, "", ""),
)


def load_demo_registrations() -> None:
    """A full event with a waiting list and bookings in every state; a past event with people
    checked in; the e-mails they caused, delivered as .eml files in development."""
    event = db.session.scalar(
        select(NetworkEvent).where(
            NetworkEvent.title == "Normal birth: what the first year taught us"
        )
    )
    staff = find_by_email("staff.northgate@example.org")
    coordinator = find_by_email("coordinator.north-east@example.org")
    if event is None or staff is None or coordinator is None or not event.is_published:
        return
    if db.session.scalar(select(Registration.id).where(Registration.event_id == event.id).limit(1)):
        return  # already there
    people = [
        Attendee(name=name, email=email, job_role=role, access_needs=access, dietary_needs=diet)
        for name, email, role, access, diet in DEMO_ATTENDEES
    ]
    outcomes = book_places(event, people[:8], actor=staff)
    registrations = [o.registration for o in outcomes if o.registration is not None]
    withdraw(registrations[1], by="attendee")  # frees a place: the first on the list is promoted
    remove(registrations[2], actor=coordinator)

    past = db.session.scalar(
        select(NetworkEvent).where(NetworkEvent.title == "South West launch event")
    )
    trust = trust_by_code("ZD9")
    if past is not None and trust is not None:
        for name, email, role, _access, _diet in DEMO_ATTENDEES[:4]:
            db.session.add(
                Registration(
                    event=past,
                    trust=trust,
                    attendee_name=name,
                    attendee_email=email,
                    job_role=role,
                    state=RegistrationState.CONFIRMED,
                    booked_at=past.starts_at - timedelta(days=30),
                    confirmed_at=past.starts_at - timedelta(days=30),
                    attended=name != DEMO_ATTENDEES[3][0],
                    checked_in_at=past.starts_at if name != DEMO_ATTENDEES[3][0] else None,
                )
            )
        db.session.commit()
    if not current_app.config["PRODUCTION"]:
        send_pending()
