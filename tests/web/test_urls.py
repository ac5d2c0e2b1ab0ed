"""Row links: the address of each row of a long list, built once and filled in per row."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

from portal.web.urls import row_url

ROW_ENDPOINTS = [
    ("registrations.attended", "registration_id"),
    ("registrations.coordinator_remove", "registration_id"),
    ("registrations.change", "registration_id"),
    ("events.event", "event_id"),
    ("stories.story", "story_id"),
    ("auth.person", "user_id"),
]


@pytest.mark.parametrize(("endpoint", "name"), ROW_ENDPOINTS)
@pytest.mark.parametrize("row_id", [1, 7, 42, 1_000_000, 0, -3])
def test_a_row_link_is_the_address_url_for_builds(
    app: Flask, endpoint: str, name: str, row_id: int
) -> None:
    with app.test_request_context("/"):
        assert row_url(endpoint, **{name: 5}) == url_for(endpoint, **{name: 5})
        assert row_url(endpoint, **{name: row_id}) == url_for(endpoint, **{name: row_id})


def test_a_row_link_keeps_the_portal_s_path_when_it_is_served_below_one(app: Flask) -> None:
    with app.test_request_context("/"):
        at_root = row_url("events.event", event_id=3)
    with app.test_request_context("/", base_url="http://localhost/network/"):
        below = row_url("events.event", event_id=3)
        assert below == url_for("events.event", event_id=3)
    assert below == "/network" + at_root


@pytest.mark.parametrize("row_id", ["3", 3.0, True, None])
def test_a_row_link_needs_an_integer_id(app: Flask, row_id: object) -> None:
    with app.test_request_context("/"), pytest.raises(TypeError):
        row_url("events.event", event_id=row_id)  # type: ignore[arg-type]
