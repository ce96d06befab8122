"""A run's ``results.json`` and what every run records as it ends."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson

from bench import machine
from bench.cluster import Cluster

ROOT = Path(__file__).resolve().parent.parent
"""The checkout measured."""


def begin(results: dict[str, Any], cluster: Cluster) -> None:
    """The machine, the code measured and the cluster's settings, as the
    run starts."""
    results["machine"] = machine.describe(cluster.version, ROOT)
    results["code_tree"] = machine.code_tree(ROOT)
    results["postgres_settings"] = cluster.settings


def save(work: Path, results: dict[str, Any]) -> None:
    """Writes ``work/results.json`` (again), indented."""
    (work / "results.json").write_bytes(
        orjson.dumps(results, option=orjson.OPT_INDENT_2)
    )


def finish(results: dict[str, Any], started: float, work: Path) -> None:
    """The run's length and the code at its end, then ``results.json``."""
    results["seconds"] = time.monotonic() - started
    results["code_at_end"] = machine.code_version(ROOT)
    results["code_tree_at_end"] = machine.code_tree(ROOT)
    save(work, results)
