"""The demo's toolkit framework: a short INVENTED placeholder (two characteristics per pathway,
four positions each), never the NHS Institute's text, loaded from `demo_framework.csv` through
the same checks and loading as any file, and marked as a placeholder wherever it is shown."""

from __future__ import annotations

from pathlib import Path

from portal.assessments.service import apply_import, current_version, plan_import

DEMO_FILE = Path(__file__).with_name("demo_framework.csv")
DEMO_NOTE = "Placeholder framework for demonstration — not the NHS Institute's toolkit text"


def load_demo_toolkit() -> None:
    """Load the placeholder framework, unless a framework has been loaded already."""
    if current_version() is not None:
        return
    plan = plan_import(DEMO_FILE.read_bytes())
    if not plan.can_apply:  # the file ships with the code: a problem in it is a bug
        raise RuntimeError(f"{DEMO_FILE.name}: {plan.problem or plan.rejected}")
    apply_import(plan, None, DEMO_FILE.name, note=DEMO_NOTE, is_demo=True)
