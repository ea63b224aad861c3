"""The architecture, checked from the source: one-way layers, no import cycles, the log's SQL
only in the store, and long modules that say why they are long.

Imports are read with ``ast`` from every module of ``events``, ``projections`` and
``tracker``, including imports inside functions (a lazy import is still a dependency).
``from package import name`` counts as an import of ``package.name`` when that is a module,
else of ``package``; importing a submodule is not counted as importing its parent packages.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("events", "projections", "tracker")
LAYER = {"events": 0, "projections": 1, "tracker": 2}
"""tracker -> projections -> events: a module may import only its own layer or lower ones."""
STORE = "tracker.store"
LONG = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _targets(name: str, node: ast.Import | ast.ImportFrom, path: Path) -> list[str]:
    known = modules()
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    out = []
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        out.append(candidate if candidate in known else base)
    return out


@cache
def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(name, node, path):
                    if target in known and target != name:
                        edges[name].add(target)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_modules_import_each_other_without_a_cycle() -> None:
    assert _cycles(graph()) == []


def test_imports_point_one_way_tracker_projections_events() -> None:
    against = sorted(
        f"{source} imports {target}"
        for source, targets in graph().items()
        for target in targets
        if LAYER[target.split(".")[0]] > LAYER[source.split(".")[0]]
    )
    assert against == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    # the checks above pass on an empty answer: make sure the finder can fail
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_importers_and_the_store_never_import_the_facade() -> None:
    offenders = sorted(
        name
        for name, targets in graph().items()
        if name.startswith(("tracker.importers", STORE)) and "tracker.api" in targets
    )
    assert offenders == []


_EVENTS_SQL = re.compile(
    r"\b(FROM|INTO|UPDATE|JOIN|TABLE(?: IF NOT EXISTS)?|ON)\s+events\b", re.IGNORECASE
)


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_only_the_store_names_the_events_table_in_sql() -> None:
    offenders = sorted(
        name
        for name, path in modules().items()
        if not (name == STORE or name.startswith(STORE + "."))
        and any(_EVENTS_SQL.search(text) for text in _string_constants(path))
    )
    assert offenders == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("SELECT seq FROM events WHERE seq > ?", True),
        ("INSERT INTO events (seq) VALUES (?)", True),
        ("CREATE TRIGGER t BEFORE UPDATE ON events", True),
        ("select 1 from events", True),
        ("the events of a dyad, from the log", False),
        ("SELECT day FROM checkpoints", False),
    ],
)
def test_the_sql_detector_tells_sql_on_events_from_prose(text: str, found: bool) -> None:
    assert bool(_EVENTS_SQL.search(text)) is found


def test_a_module_over_400_lines_says_in_its_docstring_why() -> None:
    unexplained = []
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= LONG:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if not re.search(r"\b(over|more than) 400 lines\b", doc):
            unexplained.append(f"{name} ({text.count(chr(10))} lines)")
    assert unexplained == []


def test_python_dash_m_tracker_runs_the_command_line() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "tracker", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tracker, version ")


def test_no_property_test_is_timed() -> None:
    """Speed is the benchmarks' business: the suite's hypothesis profile sets no deadline, so a
    loaded machine cannot fail a property (tests/conftest.py)."""
    from hypothesis import settings

    assert settings.default.deadline is None
