"""found_or_404: what a lookup found, or a 404 when it found nothing."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import NotFound

from portal.web.lookups import found_or_404


def test_nothing_found_is_a_404() -> None:
    with pytest.raises(NotFound):
        found_or_404(None)


@pytest.mark.parametrize("value", [0, "", [], False, "RT1"])
def test_anything_found_is_returned_even_when_it_is_falsy(value: object) -> None:
    assert found_or_404(value) is value
