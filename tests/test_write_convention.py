"""One write convention: every change goes through a service function that owns its
transaction; modules that answer requests never commit or roll back themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parent.parent / "portal"


def _route_modules() -> list[Path]:
    """Every module that attaches a view to a blueprint (`@bp.get`, `@bp.route`, …)."""
    found = []
    for path in sorted(PORTAL.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == "bp"
                    ):
                        found.append(path)
                        break
                else:
                    continue
                break
    return found


def _transaction_calls(path: Path) -> list[str]:
    calls = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"commit", "rollback"}
        ):
            calls.append(f"{path.relative_to(PORTAL.parent)}:{node.lineno} .{node.func.attr}()")
    return calls


def test_the_route_modules_are_found() -> None:
    names = {path.relative_to(PORTAL).as_posix() for path in _route_modules()}
    assert {"auth/routes.py", "auth/people_routes.py", "admin/directory.py"} <= names
    assert "feeds/routes.py" in names and "registrations/routes.py" in names


@pytest.mark.parametrize("path", _route_modules(), ids=lambda p: p.relative_to(PORTAL).as_posix())
def test_no_route_module_commits_or_rolls_back(path: Path) -> None:
    assert _transaction_calls(path) == []
