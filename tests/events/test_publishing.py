"""Publishing asks first and offers to tell the trusts that can book, by e-mail through the
outbox: the people who book for those trusts, once per event, audited."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.events.models import EventState
from portal.events.service import EventError, tell_trusts
from portal.extensions import db
from portal.mail.models import OutboxMessage
from tests.client import PortalClient
from tests.factories import make_event, make_user, open_event, trust_staff


def told() -> list[str]:
    return sorted(
        db.session.scalars(
            select(OutboxMessage.to_address).where(OutboxMessage.kind == "event.announced")
        )
    )


@pytest.fixture
def people(app: Flask) -> dict[str, object]:
    """The people who book for London's trusts, and some who must not be told."""
    coordinator = make_user("coordinator", "coordinator@nhs.example", region_slug="london")
    one = trust_staff("RL1", "london", "one@rl1.example")
    two = trust_staff("RL2", "london", "two@rl2.example")
    make_user("trust", "invited@rl1.example", trust=one.trust, password=None)  # not joined
    away = trust_staff("RN1", "north-west", "away@rn1.example")
    return {"coordinator": coordinator, "one": one, "two": two, "away": away}


def test_publishing_asks_first_and_says_how_many_will_be_told(
    people: dict[str, object], client: PortalClient
) -> None:
    draft = make_event(people["coordinator"])  # type: ignore[arg-type]
    client.sign_in(people["coordinator"])  # type: ignore[arg-type]

    page = client.get(f"/events/{draft.id}").get_data(as_text=True)
    assert f'href="/events/{draft.id}/publish">Publish event</a>' in page
    confirm = client.get(f"/events/{draft.id}/publish").get_data(as_text=True)

    assert "<h1>Publish this event</h1>" in confirm
    assert "2 people book places for the trusts that can come" in confirm
    assert re.search(r'name="tell_trusts"[^>]*value="y"[^>]*checked', confirm)
    db.session.refresh(draft)
    assert draft.state is EventState.DRAFT  # opening the page changes nothing


@pytest.mark.parametrize("htmx", [False, True])
def test_publishing_and_telling_the_trusts_emails_those_who_book_for_them(
    people: dict[str, object], client: PortalClient, htmx: bool
) -> None:
    draft = make_event(people["coordinator"])  # type: ignore[arg-type]
    client.sign_in(people["coordinator"])  # type: ignore[arg-type]

    response = client.post_form(f"/events/{draft.id}/publish", {"tell_trusts": "y"}, htmx=htmx)

    assert response.status_code == (204 if htmx else 303)
    db.session.refresh(draft)
    assert draft.state is EventState.PUBLISHED and draft.trusts_told_at is not None
    assert told() == ["one@rl1.example", "two@rl2.example"]
    body = db.session.scalars(select(OutboxMessage.text_body)).first()
    assert body is not None and f"/events/{draft.id}" in body and draft.title in body
    page = client.get(f"/events/{draft.id}").get_data(as_text=True)
    assert "2 people who book for the trusts that can come have been told by e-mail" in page
    assert "were told of this event by e-mail on" in page
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "event.trusts_told")
    ).one()
    assert entry.object_id == str(draft.id) and entry.after == {"people": 2}


def test_publishing_without_telling_leaves_a_button_that_tells_once(
    people: dict[str, object], client: PortalClient
) -> None:
    draft = make_event(people["coordinator"])  # type: ignore[arg-type]
    client.sign_in(people["coordinator"])  # type: ignore[arg-type]
    client.post_form(f"/events/{draft.id}/publish", {})
    assert told() == []
    assert "Tell the trusts</button>" in client.get(f"/events/{draft.id}").get_data(as_text=True)

    client.post_form(f"/events/{draft.id}/tell-trusts", {})
    again = client.post_form(f"/events/{draft.id}/tell-trusts", {})

    assert told() == ["one@rl1.example", "two@rl2.example"]
    assert "The trusts had already been told." in client.get(again.headers["Location"]).get_data(
        as_text=True
    )


def test_an_event_open_to_every_region_tells_every_trust(
    people: dict[str, object], app: Flask
) -> None:
    event = open_event(open_to_all_regions=True)

    tell_trusts(event, actor=people["coordinator"])  # type: ignore[arg-type]

    assert told() == ["away@rn1.example", "one@rl1.example", "two@rl2.example"]


def test_only_a_published_event_of_ones_own_region_can_be_announced(
    people: dict[str, object], app: Flask
) -> None:
    draft = make_event(people["coordinator"])  # type: ignore[arg-type]
    other = make_user("coordinator", "nw@nhs.example", region_slug="north-west")
    with pytest.raises(EventError):
        tell_trusts(draft, actor=people["coordinator"])  # type: ignore[arg-type]
    published = open_event()
    with pytest.raises(EventError):
        tell_trusts(published, actor=other)
    assert told() == []


def test_publishing_a_published_event_again_goes_back_to_it(
    people: dict[str, object], client: PortalClient
) -> None:
    event = open_event()
    client.sign_in(people["coordinator"])  # type: ignore[arg-type]
    response = client.get(f"/events/{event.id}/publish")
    assert response.status_code == 303 and response.headers["Location"] == f"/events/{event.id}"
