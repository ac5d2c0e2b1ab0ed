"""CSV files uploaded from the web, kept on the server between preview and apply.

The bytes stay in the instance folder (`imports/<random id>.csv`), never with the browser; the
person's session lists the ids it uploaded, so an id alone is worth nothing to anyone else. A file
is used once, and none is kept longer than `KEEP_FOR`. On apply the file is planned again: what
it changes may have changed since the preview.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Response, current_app, flash, session, url_for

from portal.config import UPLOAD_MAX_BYTES, megabytes
from portal.web.htmx import redirect_after_post

#: The largest CSV file: set in portal.config, which sizes the request limit to fit it.
MAX_BYTES = UPLOAD_MAX_BYTES
MAX_SIZE_LABEL = megabytes(MAX_BYTES)
KEEP_FOR = timedelta(hours=1)
KEEP_MINUTES = int(KEEP_FOR.total_seconds() // 60)
TOO_LARGE = (
    f"The file must be smaller than {MAX_SIZE_LABEL}: split it into smaller files and import "
    "them one by one"
)
UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{24}$")


def imports_folder() -> Path:
    return Path(current_app.instance_path) / "imports"


def store_upload(data: bytes) -> str:
    """Keep the bytes of an upload; return its new random id. Old uploads are cleared first."""
    discard_expired()
    folder = imports_folder()
    folder.mkdir(parents=True, exist_ok=True)
    upload_id = secrets.token_urlsafe(18)
    (folder / f"{upload_id}.csv").write_bytes(data)
    return upload_id


def _path(upload_id: str) -> Path | None:
    if not UPLOAD_ID.match(upload_id):
        return None
    return imports_folder() / f"{upload_id}.csv"


def load_upload(upload_id: str) -> bytes | None:
    """The bytes of an upload, or None if there is no such upload or it has expired."""
    path = _path(upload_id)
    if path is None:
        return None
    try:
        if time.time() - path.stat().st_mtime > KEEP_FOR.total_seconds():
            path.unlink(missing_ok=True)
            return None
        return path.read_bytes()
    except FileNotFoundError:
        return None


def discard_upload(upload_id: str) -> None:
    path = _path(upload_id)
    if path is not None:
        path.unlink(missing_ok=True)


def discard_expired() -> int:
    """Delete the uploads older than KEEP_FOR; return how many were deleted."""
    folder = imports_folder()
    if not folder.is_dir():
        return 0
    cutoff = time.time() - KEEP_FOR.total_seconds()
    deleted = 0
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
        except FileNotFoundError:
            pass  # another worker got there first
    return deleted


def plan_fingerprint(plan: Any) -> str:
    """A digest of everything a plan (a dataclass) would do, to tell whether a fresh plan differs."""
    payload = json.dumps(asdict(plan), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


# --- Which uploads are this session's ---------------------------------------------------------

#: How many uploads a session remembers; the files of older ones expire on their own.
MAX_UPLOADS_IN_SESSION = 5


def remember_upload(key: str, upload_id: str, filename: str) -> None:
    """Note in the session, under `key`, that this person made the upload."""
    known = dict(session.get(key, {}))
    known[upload_id] = filename[:100]
    session[key] = dict(list(known.items())[-MAX_UPLOADS_IN_SESSION:])


def forget_upload(key: str, upload_id: str) -> None:
    known = dict(session.get(key, {}))
    known.pop(upload_id, None)
    session[key] = known


def upload_filename(key: str, upload_id: str, default: str) -> str:
    return str(session.get(key, {}).get(upload_id, default))


def upload_of_this_session(key: str, upload_id: str) -> bytes | None:
    """The upload's bytes if this session made it and it is still kept; otherwise None."""
    if upload_id not in session.get(key, {}):
        return None
    data = load_upload(upload_id)
    if data is None:
        forget_upload(key, upload_id)
    return data


# --- The steps every CSV upload page takes ------------------------------------------------------


def read_limited(field: Any) -> bytes | None:
    """The bytes of a form's uploaded file, or None with the reason on the field when the file
    is larger than MAX_BYTES (one byte beyond the limit is read: enough to know)."""
    data: bytes = field.data.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        field.errors.append(TOO_LARGE)
        return None
    return data


def seen_plan(form: Any, plan: Any) -> bool:
    """Whether a plan made afresh on apply is the one the person was shown (its fingerprint is
    on the form). Either way the form carries the fresh plan's fingerprint from now on, for the
    preview shown again."""
    fresh = plan_fingerprint(plan)
    seen = bool(form.fingerprint.data == fresh)
    form.fingerprint.data = fresh
    return seen


def changed_since_preview(what: str, then: str = "apply the import") -> str:
    """What the preview shown again says when `seen_plan` is False: `what` is the subject and
    its verb ("The trusts have")."""
    return (
        f"{what} changed since this preview was made, so it has been made again. "
        f"Check it, then {then}."
    )


@dataclass(frozen=True)
class CsvUploads:
    """One page's CSV uploads between preview and apply: the session key listing them, the name
    given to a file sent without one, and the upload page that people go back to."""

    key: str
    default_name: str
    upload_endpoint: str

    def receive(self, field: Any, check: Callable[[bytes], str | None]) -> str | None:
        """Keep the field's file if it is small enough and `check` finds no problem with it
        (a problem with the file as a whole: its header, its encoding); return its new id, or
        None with the reason on the field."""
        data = read_limited(field)
        if data is None:
            return None
        problem = check(data)
        if problem:
            field.errors.append(problem)
            return None
        return self.keep(field, data)

    def keep(self, field: Any, data: bytes) -> str:
        """Keep the bytes read from the field's file (`read_limited`) for this session; their
        new id."""
        upload_id = store_upload(data)
        remember_upload(self.key, upload_id, field.data.filename or self.default_name)
        return upload_id

    def data(self, upload_id: str) -> bytes | None:
        """The upload's bytes if this session made it and it is still kept."""
        return upload_of_this_session(self.key, upload_id)

    def filename(self, upload_id: str) -> str:
        return upload_filename(self.key, upload_id, self.default_name)

    def finished(self, upload_id: str) -> None:
        """The upload was applied: it cannot be applied again."""
        discard_upload(upload_id)
        forget_upload(self.key, upload_id)

    def gone(self) -> Response:
        """Back to the upload page, saying why, for an upload that expired or was used."""
        flash(
            f"That upload is no longer available: uploaded files are kept for {KEEP_MINUTES} "
            "minutes and can be applied once. Upload the file again.",
            "info",
        )
        return redirect_after_post(url_for(self.upload_endpoint))
