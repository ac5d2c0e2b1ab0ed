"""The one way a route answers 404 for something it looked up and did not find."""

from __future__ import annotations

from typing import TypeVar

from flask import abort

T = TypeVar("T")


def found_or_404(value: T | None) -> T:
    """What a lookup found, or a 404 answer when it found nothing.

    Lookups that check who is asking return None for something outside the person's scope as
    well as for something that does not exist, so both get the same answer.
    """
    if value is None:
        abort(404)
    return value
