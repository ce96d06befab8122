"""Projection lag: from a command's answer to its change being in each view.

The probe (``python -m bench.lag DATABASE_URL RESULT.json --seconds S``) is
its own process: it reads every live copy's position from the tracking
table every few milliseconds and keeps each change with its
``time.monotonic()``. The load generator keeps, for each command, when its
answer arrived and the log position the answer carried. A command's change
is visible in a view from the first probe reading at or past its position;
the lag is that instant minus the answer's. The probe's interval bounds the
error (a reading is a query, well under a millisecond on loopback); a view
that had already passed the position when the answer arrived counts as 0.
"""

from __future__ import annotations

import argparse
import bisect
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import psycopg

from appeals.infra.settings import parse_database_url
from appeals.infra.store import connect
from appeals.projections.runtime.tracking import TABLE

POLL_INTERVAL = 0.005


def probe(
    url: str, seconds: float, interval: float, stop_file: Path | None = None
) -> dict[str, Any]:
    """Positions of every live copy over ``seconds`` (or until ``stop_file``
    appears): name -> [(t, pos)]."""
    db = parse_database_url(url)
    query = (
        f'SELECT projection, position FROM "{db.pg_schema}".{TABLE} '
        "WHERE target = 'live'"
    )
    seen: dict[str, list[tuple[float, int]]] = {}
    polls = 0
    with connect(db, autocommit=True) as connection:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if stop_file is not None and polls % 20 == 0 and stop_file.exists():
                break
            try:
                rows = connection.execute(query).fetchall()
            except psycopg.errors.UndefinedTable:
                rows = []  # the worker has not prepared its tables yet
            now = time.monotonic()
            polls += 1
            for name, position in rows:
                history = seen.setdefault(str(name), [])
                if not history or history[-1][1] != position:
                    history.append((now, int(position)))
            time.sleep(interval)
    return {"positions": seen, "polls": polls, "interval": interval}


def lags(
    answers: list[tuple[float, int]], readings: list[tuple[float, int]]
) -> tuple[list[float], int]:
    """Lag in ms of each answered command in one view, and how many never
    became visible while the probe watched."""
    times = [t for t, _ in readings]
    positions = [p for _, p in readings]
    # Positions only grow, so the first reading at or past a position is
    # found by bisection on the running maximum.
    running: list[int] = []
    top = 0
    for position in positions:
        top = max(top, position)
        running.append(top)
    found: list[float] = []
    missing = 0
    for answered, position in answers:
        index = bisect.bisect_left(running, position)
        if index == len(running):
            missing += 1
            continue
        found.append(max(0.0, (times[index] - answered) * 1000.0))
    return found, missing


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lag")
    parser.add_argument("url")
    parser.add_argument("result")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--interval", type=float, default=POLL_INTERVAL)
    parser.add_argument("--stop-file", type=Path, default=None)
    args = parser.parse_args(argv)
    result = probe(args.url, args.seconds, args.interval, args.stop_file)
    Path(args.result).write_bytes(orjson.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
