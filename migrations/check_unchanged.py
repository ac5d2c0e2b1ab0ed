"""Fail if a migration changed after it was first committed.

A database upgraded by a revision is never upgraded by it again, so an edit to a revision that
has landed reaches only new databases: production and a fresh install would then differ. A change
to the schema is always a new revision. This compares each file in migrations/versions with the
version that first added it to the repository (new, uncommitted revisions are not checked).

Run by `make lint`; it needs the repository's history (not a shallow clone).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = Path(__file__).resolve().parent / "versions"

#: Revisions edited after they landed, before this check existed: each is pinned to the content
#: it has had since (sha256), so that no further edit goes unnoticed.
EDITED_BEFORE_THE_CHECK = {
    "0005_registrations.py": "97574244ac5427fee21e3dd2d490549dd47fd3911b4d60a19cd5bad99bc5974a",
    "0007_improvement_stories.py": "947bcab80a44d4ccab9ee0d31d136247755046269fe24c181b2a1636558470ec",
}


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def first_version(path: Path) -> bytes | None:
    """The file as the commit that added it held it; None if it was never committed."""
    relative = path.relative_to(ROOT).as_posix()
    added = git("log", "--diff-filter=A", "--format=%H", "--", relative).split()
    if not added:
        return None
    shown = subprocess.run(
        ["git", "show", f"{added[-1]}:{relative}"], cwd=ROOT, check=True, capture_output=True
    )
    return shown.stdout


def problems() -> list[str]:
    found = []
    for path in sorted(VERSIONS.glob("*.py")):
        current = path.read_bytes()
        pinned = EDITED_BEFORE_THE_CHECK.get(path.name)
        if pinned is not None:
            if hashlib.sha256(current).hexdigest() != pinned:
                found.append(f"{path.name} changed again after it landed")
            continue
        original = first_version(path)
        if original is not None and original != current:
            found.append(f"{path.name} differs from the version first committed")
    return found


def main() -> int:
    try:
        if git("rev-parse", "--is-shallow-repository").strip() == "true":
            print("The migration check needs the full history: git fetch --unshallow")
            return 1
        found = problems()
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"The migration check needs git and the repository's history: {exc}")
        return 1
    for problem in found:
        print(f"{problem}: write a new revision instead (flask --app app db revision)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
