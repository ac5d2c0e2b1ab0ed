"""The portal's packages depend downward only, with no cycles and no imports hidden in functions.

Read from the source (no imports run): every `import portal…` and `from portal… import …` outside
an `if TYPE_CHECKING:` block is an edge from the module that holds it to the module it names.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PORTAL = Path(__file__).resolve().parent.parent / "portal"

#: From the bottom up: a package may import its own modules and those of the packages before it.
LAYERS = [
    # Infrastructure: the extensions, settings, text rules and database helpers.
    ("extensions", "config", "text", "database"),
    # Shared request helpers: htmx, errors, security headers, forms, dates. They know no feature.
    ("web",),
    # Below every feature, knowing none: the audit log and the e-mail outbox.
    ("audit",),
    ("mail",),
    # Reference data, then the people who work in it.
    ("regions",),
    ("auth",),
    # The features, each above the ones it builds on.
    ("events",),
    ("registrations",),
    # Each trust's monthly counts and their charts, with the events its staff attended.
    ("measures",),
    # Where each trust's caesareans come from (Robson groups), charted as the measures are.
    ("robson",),
    # The toolkit's framework (its pathways, which stories are tagged with) and, in time, the
    # trusts' self-assessments against it.
    ("assessments",),
    ("feeds",),
    ("stories",),
    # Pages that show several features together, the programme team's tools, the demo data.
    ("admin", "pages"),
    ("demo",),
    # The app factory (portal/__init__.py), which puts everything together.
    ("",),
]

#: Modules that may import inside a function, and why.
INLINE_IMPORTS_ALLOWED = {
    "portal": "create_app imports each feature as the app is made, so that importing one "
    "feature's models does not import the whole portal",
}


def _rank(package: str) -> int:
    for rank, packages in enumerate(LAYERS):
        if package in packages:
            return rank
    raise AssertionError(f"portal.{package} is in no layer: add it to LAYERS")


def _package(module: str) -> str:
    """The first part after `portal`: its feature or helper package ("" for portal itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PORTAL.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _exists(module: str) -> bool:
    path = PORTAL.parent / module.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    line: int
    in_function: bool

    def __str__(self) -> str:
        return f"{self.importer} (line {self.line}) imports {self.imported}"


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(tree):
        if _type_checking_only(child):
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function
        inside = in_function or isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
        )
        yield from _imports(child, inside)


def edges() -> list[Edge]:
    found = []
    for path in sorted(PORTAL.rglob("*.py")):
        importer = _module_name(path)
        for node, in_function in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif node.module and node.level == 0:
                # `from portal.events import calendar` names a module; `… import bp`, a value.
                targets = [
                    f"{node.module}.{alias.name}"
                    if _exists(f"{node.module}.{alias.name}")
                    else node.module
                    for alias in node.names
                ]
            for target in targets:
                if target == "portal" or target.startswith("portal."):
                    found.append(Edge(importer, target, node.lineno, in_function))
    return found


def test_the_graph_is_read_from_the_source() -> None:
    found = edges()
    assert len({edge.importer for edge in found}) > 50
    assert any(e.importer == "portal.pages.events" and e.imported == "portal.events" for e in found)


def test_every_package_imports_only_its_own_modules_and_lower_layers() -> None:
    upward = [
        str(edge)
        for edge in edges()
        if _rank(_package(edge.imported)) > _rank(_package(edge.importer))
    ]
    assert upward == []


def test_no_module_imports_inside_a_function_unless_allowed() -> None:
    hidden = [
        str(edge)
        for edge in edges()
        if edge.in_function and edge.importer not in INLINE_IMPORTS_ALLOWED
    ]
    assert hidden == []


def test_modules_do_not_import_each_other_in_a_circle() -> None:
    graph: dict[str, set[str]] = {}
    for edge in edges():
        if edge.importer != edge.imported:
            graph.setdefault(edge.importer, set()).add(edge.imported)
    cycles = _cycles(graph)
    assert cycles == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
