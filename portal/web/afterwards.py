"""Work that must not delay, or show in the timing of, the answer to a request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Response, after_this_request, current_app

log = logging.getLogger(__name__)


def after_this_response(work: Callable[..., Any], *args: Any) -> None:
    """Run `work(*args)` in an application context of its own once the answer has been sent.

    For steps whose cost would tell an observer something through the answer's timing (whether
    an address has an account). The work owns its transaction like any service call; a failure
    is logged, since the person has their answer already.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the proxy as the app

    def run() -> None:
        with app.app_context():
            try:
                work(*args)
            except Exception:
                log.exception("Work after the response failed: %s", work.__qualname__)

    @after_this_request
    def schedule(response: Response) -> Response:
        response.call_on_close(run)
        return response
