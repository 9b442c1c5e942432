"""Code shape: one explore registry, no import cycles, no function-local imports."""

from __future__ import annotations

import ast
from pathlib import Path

from looker_simulator.dataset import EXPLORES
from looker_simulator.explore import Explore

PACKAGE = Path(__file__).resolve().parents[1] / "looker_simulator"


def _imports(path: Path) -> tuple[set[str], list[int]]:
    """Sibling modules imported at run time, and lines of imports inside functions."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    local: list[int] = []
    type_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            local += [
                n.lineno for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)
            ]
        if isinstance(node, ast.ImportFrom) and node.level == 1 and id(node) not in type_only:
            found.add(node.module or "")
    return found, local


def test_no_import_cycles_and_no_function_local_imports() -> None:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        deps, local = _imports(path)
        assert not local, f"{path.name}: function-local import on line(s) {local}"
        graph[path.stem] = deps - {"__init__"}

    def visit(name: str, trail: list[str]) -> None:
        assert name not in trail, " -> ".join([*trail, name])
        for dep in sorted(graph.get(name, ())):
            visit(dep, [*trail, name])

    for module in graph:
        visit(module, [])


def test_one_registry_for_every_explore() -> None:
    assert next(iter(EXPLORES)) == "content_usage"
    for name, kind in EXPLORES.items():
        assert issubclass(kind, Explore)
        assert kind.name == name
        assert all(dep in EXPLORES for dep in kind.requires)
