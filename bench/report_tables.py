"""Markdown tables, and the one-line verdict on what bounded a measurement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Row = tuple[str, ...]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def cores_text(cores: Mapping[str, float], skip: Sequence[str] = ("machine",)) -> str:
    parts = [
        f"{name} {value:.2f}"
        for name, value in sorted(cores.items(), key=lambda item: -item[1])
        if name not in skip and value >= 0.005
    ]
    return ", ".join(parts) or "n/a"


def bound(cores: Mapping[str, float], available: int) -> str:
    """What kept the figure from being higher, as far as CPU tells."""
    busy = cores.get("machine", 0.0)
    parts = {k: v for k, v in cores.items() if k != "machine"}
    if not parts:
        return "n/a"
    top, _ = max(parts.items(), key=lambda item: item[1])
    if busy >= 0.9 * available:
        return f"CPU: {busy:.1f}/{available} cores busy, most in {top}"
    processes = {k: v for k, v in parts.items() if k != "other"}
    name, used = max(processes.items(), key=lambda item: item[1], default=("", 0.0))
    if used >= 0.9:
        return f"{name} at {used:.2f} cores (a Python process holds one core)"
    return (
        f"waiting, not CPU ({busy:.1f}/{available} cores busy): "
        "locks, commits (fsync) or round trips"
    )
