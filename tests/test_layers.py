"""Floors point down (ARCHITECTURE.md) and no module imports itself in a
cycle: the projections never reach the write service or the composition root,
the domain imports nothing but itself, the standard library and
eventsourcing's domain and utils. Every import is counted, those inside
functions and ``TYPE_CHECKING`` blocks included (cycles count only imports run
at import time)."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import appeals

PACKAGE = Path(appeals.__file__).parent


def imports(folder: str) -> Iterator[tuple[str, str]]:
    """(module file, imported module) for every import under ``folder``."""
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        package = parts if path.name == "__init__.py" else parts[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = str(path.relative_to(PACKAGE.parent))
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield name, alias.name
            elif isinstance(node, ast.ImportFrom):
                base = list(package[: len(package) - node.level + 1])
                if node.level == 0:
                    base = []
                module = ".".join([*base, *([node.module] if node.module else [])])
                yield name, module


def under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in prefixes)


def test_projections_import_nothing_from_the_application_or_bootstrap() -> None:
    upward = [
        (source, module)
        for source, module in imports("projections")
        if under(module, "appeals.application", "appeals.bootstrap")
    ]
    assert upward == []


def test_the_domain_imports_only_itself_eventsourcing_domain_and_utils() -> None:
    allowed = ("appeals.domain", "eventsourcing.domain", "eventsourcing.utils")
    outside = [
        (source, module)
        for source, module in imports("domain")
        if not under(module, *allowed)
        and module.split(".")[0] not in sys.stdlib_module_names
        and module != "__future__"
    ]
    assert outside == []


FLOORS = ["domain", "infra", "projections", "application", "http", "cli", "demo"]
"""From the ground up; a floor may import its own and those below it (http,
cli and demo stand side by side on top, and any of them may use bootstrap)."""


def floor_of(module: str) -> int | None:
    for number, floor in enumerate(FLOORS):
        if under(module, f"appeals.{floor}"):
            return min(number, FLOORS.index("http"))
    return None


def test_floors_point_down() -> None:
    upward = []
    for floor in FLOORS:
        own = floor_of(f"appeals.{floor}")
        assert own is not None
        for source, module in imports(floor):
            target = floor_of(module)
            below_top = own < FLOORS.index("http")
            if (target is not None and target > own) or (
                below_top and under(module, "appeals.bootstrap")
            ):
                upward.append((source, module))
    assert upward == []


def module_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports when it is imported (imports
    inside functions and ``TYPE_CHECKING`` blocks are not edges: they run later
    or never)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if path.name == "__init__.py" else parts)
        package = parts[:-1] if path.name != "__init__.py" else parts
        edges = graph.setdefault(module, set())
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module:
                base = ".".join(package[: len(package) - node.level + 1])
                target = node.module if node.level == 0 else f"{base}.{node.module}"
                for alias in node.names:
                    edges.add(f"{target}.{alias.name}")
                edges.add(target)
            elif isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
    return {m: {e for e in es if e in graph and e != m} for m, es in graph.items()}


def test_no_import_cycles() -> None:
    graph = module_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    # a package importing its own submodules is no cycle
    real = [c for c in cycles if not all(m.startswith(c[0]) for m in c)]
    assert real == []
