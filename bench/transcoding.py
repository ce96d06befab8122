"""The stored events' JSON alone: eventsourcing's JSONTranscoder against the
ledger's orjson one (appeals.infra.transcoder), on the same stored rows.

``python -m bench.transcoding DATABASE_URL [--limit 40000] [--rounds 3]``
reads up to ``--limit`` rows of the events table, then times each
transcoder decoding every row and encoding every decoded event, ``--rounds``
times, and prints events/s and the ratio (the median round). The mapper's own
work (``bench.replay decode`` and ``decode-ours``) is not in these figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoder,
    UUIDAsHex,
)

from appeals.bootstrap import open_ledger
from appeals.infra.settings import Settings
from appeals.infra.transcoder import OrjsonTranscoder


def registered(transcoder: JSONTranscoder | OrjsonTranscoder) -> Transcoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


def stored_rows(url: str, limit: int) -> list[bytes]:
    with open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": url})) as ledger:
        table = ledger.database.table(ledger.recorder.events_table_name)
        with ledger.database.reading() as sql:
            rows = sql.execute(f"SELECT state FROM {table} LIMIT ?", [limit]).all()
    return [bytes(row[0]) for row in rows]


def rate(work: Callable[[], Any], count: int, rounds: int) -> float:
    """Events per second, the median of ``rounds``."""
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        rates.append(count / (time.perf_counter() - started))
    return statistics.median(rates)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.transcoding")
    parser.add_argument("url")
    parser.add_argument("--limit", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rows = stored_rows(args.url, args.limit)
    library, ours = registered(JSONTranscoder()), registered(OrjsonTranscoder())
    events = [library.decode(row) for row in rows]
    print(f"{len(rows):,} stored events")
    for name, base, mine in (
        ("decode", lambda: [library.decode(r) for r in rows],
         lambda: [ours.decode(r) for r in rows]),
        ("encode", lambda: [library.encode(e) for e in events],
         lambda: [ours.encode(e) for e in events]),
    ):  # fmt: skip
        theirs_rate = rate(base, len(rows), args.rounds)
        ours_rate = rate(mine, len(rows), args.rounds)
        print(
            f"{name}: library {theirs_rate:,.0f}/s, orjson {ours_rate:,.0f}/s, "
            f"{ours_rate / theirs_rate:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
