"""Where the time goes: py-spy samples of the service under the command mix
and of a rebuild of the heaviest view, summarised by layer and by function.

py-spy samples from outside the process (no instrumentation, so the code
runs at its normal speed) and, with ``--gil``, only the thread holding the
GIL: what the samples add up to is the Python CPU time of the process, which
is what bounds a Python server once the database is no longer the limit.
Each sample is charged to its innermost frame (self time); the frame's file
says which layer it belongs to.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.processes import BIN

RATE = 100  # samples per second
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::\d+)?\)$")

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("our domain (appeals/domain)", ("appeals/domain/",)),
    ("our HTTP layer (appeals/http)", ("appeals/http/",)),
    ("our projections (appeals/projections)", ("appeals/projections/",)),
    ("our application service and infra", ("appeals/",)),
    ("eventsourcing (store, mapper, repository)", ("eventsourcing/",)),
    ("psycopg (driver, pool)", ("psycopg",)),
    (
        "uvicorn, starlette, anyio, asyncio",
        ("uvicorn/", "starlette/", "anyio/", "asyncio/"),
    ),
)
STDLIB = "standard library (threads, json, copy, logging, dataclasses, ...)"
OTHER = "native code outside Python frames"


def py_spy() -> str | None:
    """The py-spy executable, if installed (it is a dev dependency)."""
    found = BIN / "py-spy"
    return str(found) if found.exists() else shutil.which("py-spy")


def _record(output: Path, *options: str) -> list[str]:
    """``py-spy record`` of the GIL holder's stacks into ``output``."""
    spy = py_spy()
    if spy is None:
        raise FileNotFoundError("py-spy is not installed (pip install py-spy)")
    return [spy, "record", "--gil", "--rate", str(RATE), "--format", "raw",
            "--output", str(output), *options]  # fmt: skip


def record_pid(
    pid: int, seconds: float, output: Path, log: Path
) -> subprocess.Popen[bytes]:
    """Starts sampling ``pid`` and its children for ``seconds``."""
    argv = _record(output, "--pid", str(pid), "--subprocesses", "--nonblocking",
                   "--duration", str(max(1, round(seconds))))  # fmt: skip
    with log.open("ab") as sink:
        return subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT)


def record_command(
    argv: Sequence[str], output: Path, log: Path, timeout: float
) -> None:
    """Runs ``argv`` under py-spy until it exits."""
    command = _record(output, "--", *argv)
    with log.open("ab") as sink:
        subprocess.run(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=True,
        )


def layer_of(file: str) -> str:
    """py-spy names files by their path below site-packages or the standard
    library (``psycopg/cursor.py``, ``threading.py``)."""
    for label, prefixes in LAYERS:
        if file.startswith(prefixes):
            return label
    return STDLIB if file.endswith(".py") or file.startswith("<") else OTHER


def summarise(raw: Path, top: int = 12) -> dict[str, Any]:
    """Shares of samples by layer and the functions with most self time."""
    layers: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        leaf = stack.split(";")[-1]
        match = FRAME.match(leaf)
        if match is None:
            layers[OTHER] += samples
            continue
        file = match["file"]
        layers[layer_of(file)] += samples
        functions[f"{match['function']} ({file})"] += samples
    if total == 0:
        return {"samples": 0, "layers": {}, "functions": {}}
    return {
        "samples": total,
        "layers": {name: n / total for name, n in layers.most_common()},
        "functions": {name: n / total for name, n in functions.most_common(top)},
    }
