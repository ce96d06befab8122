"""Floors point down (ARCHITECTURE.md): the projections never reach the write
service or the composition root, and the domain imports nothing but itself,
the standard library and eventsourcing's domain and utils. Every import is
counted, those inside functions and ``TYPE_CHECKING`` blocks included."""

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
