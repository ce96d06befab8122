"""What the figures were measured on: hardware, kernel, versions."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path

LIBRARIES = (
    "eventsourcing",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "anyio",
    "psycopg",
    "psycopg-binary",
    "psycopg-pool",
    "orjson",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                kib = int(line.split()[1])
                return f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError):
        pass
    return "unknown"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git(root: Path, *args: str) -> str:
    """What a git command prints in ``root`` (raises if it cannot run)."""
    return subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout.strip()


def code_version(root: Path) -> str:
    """The commit measured, and how many files differ from it."""
    try:
        commit = _git(root, "log", "-1", "--format=%h %s")
        changed = _git(root, "status", "--porcelain", "--", "appeals").splitlines()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    dirty = f", {len(changed)} files under appeals/ changed" if changed else ""
    return f"{commit[:72]}{dirty}"


def code_tree(root: Path) -> str:
    """The git tree of ``appeals/`` measured (changes only if the service's
    code does), with ``+dirty`` if the working tree differs from it."""
    try:
        tree = _git(root, "rev-parse", "HEAD:appeals")
        dirty = _git(root, "status", "--porcelain", "--", "appeals")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{tree[:12]}{'+dirty' if dirty else ''}"


def cpu_check_ms(rounds: int = 3) -> float:
    """Milliseconds a fixed pure-Python loop takes (best of ``rounds``): on a
    shared virtual machine the same core is not always equally fast, and this
    shows it between rounds and between runs."""
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        total = 0
        for value in range(2_000_000):
            total += value & 7
        best = min(best, time.perf_counter() - began)
    return best * 1000


def describe(postgres_version: str, root: Path) -> dict[str, str]:
    """Name -> value, in the order the report prints them."""
    return {
        "code": code_version(root),
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": _memory(),
        "kernel": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "PostgreSQL": postgres_version,
        **{name: _version(name) for name in LIBRARIES},
    }
