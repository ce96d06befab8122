"""Reading the whole history: the projections' rebuild and its ceilings.

``python -m bench.replay WHAT DATABASE_URL RESULT.json [options]``, one
measurement per process so that its peak memory is its own:

- ``scan``: raw psycopg, a server-side cursor over the events table in log
  order, rows fetched 10,000 at a time and touched (the ceiling for any
  reader of the log);
- ``decode``: the library's ``select_notifications`` in batches of 1,000 and
  its mapper turning each into a domain event with the library's own
  JSONTranscoder (the baseline: the ceiling for any reader that needs
  events, as every projection does);
- ``decode-ours``: the same with the ledger's transcoder
  (appeals.infra.transcoder, orjson; the same stored bytes);
- ``rebuild``: each projection in the registry alone, in turn (``--only
  NAME`` for one), into a fresh rebuild copy over the first ``--limit``
  events, then discarded: each view's own rate;
- ``rebuild-together``: every view in one pass over the log in one process
  (``appeals projections rebuild all --jobs 1``), timed to the last swap;
- ``rebuild-parallel``: every view, in ``--jobs`` processes each taking a
  group of views in one pass, no view split (as ``appeals projections
  rebuild all`` did before views were split by appeal), timed from start
  to the last swap;
- ``rebuild-partitioned``: every view as ``appeals projections rebuild all
  --jobs N`` does it now: with ``--jobs 1`` one pass in one process, with
  more, each process a group of the views not split plus part K of N of
  every view kept per appeal, the parent swapping those in; timed from
  start to the last swap;
- ``es-runner``: eventsourcing's own ``ProjectionRunner`` with a trivial
  projection (a counter and the tracking row, one transaction per event)
  over the first ``--limit`` events, or ``--seconds``, whichever comes first.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from psycopg.sql import SQL, Identifier

# Every module that defines stored events, so that decoding the whole log meets
# no unknown topic (a view reads only its own topics; ``decode`` reads them all).
import appeals.domain.catalogue
import appeals.domain.meetings
import appeals.domain.organisation
import appeals.domain.published_assessment
import appeals.domain.published_notice
import appeals.domain.service_links
import appeals.domain.task_forces  # noqa: F401
from appeals.application.service import AppealLedger
from appeals.bootstrap import create_storage, open_ledger
from appeals.cli.environment import PROGRESS_SECONDS, progress_line
from appeals.infra.event_source import open_event_source
from appeals.infra.settings import Settings, parse_database_url
from appeals.infra.store import connect, eventsourcing_env
from appeals.infra.timekeeping import load_timekeeping
from appeals.projections.registry import projections
from appeals.projections.runtime.parallel import rebuild_in_processes
from appeals.projections.runtime.rebuild import (
    REBUILD_BATCH_SIZE,
    Outcome,
    discard,
    rebuild_together,
)
from appeals.projections.runtime.runner import Runner
from appeals.projections.runtime.storage import REBUILD

SCAN_FETCH = 10_000
DECODE_BATCH = 1_000


def _settings(url: str) -> Settings:
    return Settings.from_env({**os.environ, "APPEALS_DATABASE_URL": url})


def _ledger(url: str, transcoder: str = "orjson") -> AppealLedger:
    return open_ledger(
        Settings.from_env(
            {"APPEALS_DATABASE_URL": url, "APPEALS_TRANSCODER": transcoder}
        )
    )


def _events_table(ledger: AppealLedger) -> str:
    name: str = getattr(ledger.recorder, "events_table_name")  # noqa: B009
    return name


def scan(url: str) -> dict[str, Any]:
    """Every row of the log through a server-side cursor; rows/s."""
    db = parse_database_url(url)
    with _ledger(url) as ledger:
        table = _events_table(ledger)
    query = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state"
        " FROM {}.{} ORDER BY notification_id"
    ).format(Identifier(db.pg_schema), Identifier(table))
    rows = size = 0
    started = time.monotonic()
    with (
        connect(db) as connection,
        connection.cursor(name="bench_scan") as cursor,
    ):
        cursor.itersize = SCAN_FETCH
        cursor.execute(query)
        for row in cursor:
            rows += 1
            size += len(row[4])
    seconds = time.monotonic() - started
    return {"events": rows, "bytes": size, "seconds": seconds}


def decode(url: str, limit: int, transcoder: str = "library") -> dict[str, Any]:
    """The first ``limit`` notifications decoded into domain events by the
    library's mapper with ``transcoder`` (the rate does not change along the
    log)."""
    with _ledger(url, transcoder) as ledger:
        recorder, mapper = ledger.recorder, ledger.mapper
        events = 0
        position = 0
        started = time.monotonic()
        while events < limit:
            batch = recorder.select_notifications(
                start=position + 1, limit=min(DECODE_BATCH, limit - events)
            )
            if not batch:
                break
            for notification in batch:
                mapper.to_domain_event(notification)
            events += len(batch)
            position = batch[-1].id
        seconds = time.monotonic() - started
    return {"events": events, "seconds": seconds}


def rebuild_all(url: str, only: str | None, limit: int) -> dict[str, Any]:
    """Each projection alone, one after the other, into a fresh rebuild copy
    over the first ``limit`` events (the rate is about flat along the log),
    then the copy discarded: each view's own rate."""
    results = {}
    settings = _settings(url)
    create_storage(settings)
    with open_event_source(settings) as source:
        known = projections(load_timekeeping(settings, source.database))
        chosen = [p for p in known if only is None or p.name == only]
        if not chosen:
            raise SystemExit(f"no projection called {only!r}")
        head = min(source.head(), limit)
        for projection in chosen:
            discard(source, projection)
            runner = Runner(
                source, projection, target=REBUILD, batch_size=REBUILD_BATCH_SIZE
            )
            runner.prepare()
            started = time.monotonic()
            position = 0
            while position < head:
                runner.step()
                position = runner.position()
            seconds = time.monotonic() - started
            discard(source, projection)
            results[projection.name] = {"events": position, "seconds": seconds}
    total = sum(r["seconds"] for r in results.values())
    events = min(r["events"] for r in results.values())
    return {"head": head, "projections": results, "seconds": total, "events": events}


def rebuild_one_pass(url: str, batch_size: int) -> dict[str, Any]:
    """Every projection rebuilt in one pass over the log, in this process
    (``appeals projections rebuild all --jobs 1``)."""
    settings = _settings(url)
    create_storage(settings)
    with open_event_source(settings) as source:
        chosen = projections(load_timekeeping(settings, source.database))
        head = source.head()
        started = time.monotonic()
        outcomes = rebuild_together(
            source,
            chosen,
            restart=True,
            batch_size=batch_size,
            update=RebuildProgress(),
        )
        seconds = time.monotonic() - started
    parts = _parts(outcomes)
    return {"head": head, "events": head, "seconds": seconds, "projections": parts}


class RebuildProgress:
    """A rebuild's ``update``: at most every ``every`` seconds, a
    :func:`progress_line` for the view furthest behind, printed to this
    child's log (the harness relays the newest: bench.processes.relay_log)."""

    def __init__(
        self,
        say: Callable[[str], None] | None = None,
        every: float = PROGRESS_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.say = say or _say
        self.every = every
        self.clock = clock
        self.started = self.said = clock()
        self.positions: dict[str, int] = {}

    def __call__(self, name: str, position: int, head: int) -> None:
        self.positions[name] = position
        now = self.clock()
        if now - self.said < self.every:
            return
        self.said = now
        slowest = min(self.positions.values())
        self.say(progress_line("rebuild", slowest, head, now - self.started))


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _parts(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """Each view's events and seconds; a view that failed ends the run."""
    parts = {}
    for outcome in outcomes:
        if outcome.rebuilt is None:
            raise SystemExit(f"{outcome.name}: {outcome.failure}")
        parts[outcome.name] = {
            "events": outcome.rebuilt.events,
            "seconds": outcome.rebuilt.seconds,
        }
    return parts


def rebuild_parallel(url: str, jobs: int, batch_size: int) -> dict[str, Any]:
    """Every projection rebuilt in ``jobs`` processes, each taking a group of
    views in one pass, no view split (``rebuild_in_processes(partition=False)``)."""
    result = _in_processes(url, jobs, batch_size, partition=False)
    del result["split"]  # nothing is
    return {**result, "jobs": jobs}


def rebuild_partitioned(url: str, jobs: int, batch_size: int) -> dict[str, Any]:
    """Every projection rebuilt as ``appeals projections rebuild all --jobs
    N`` does: one pass in this process for 1; else N processes, the views
    kept per appeal split by appeal over all of them. Each view's part says
    whether it was split (``split``: 1.0)."""
    if jobs == 1:
        result, split = rebuild_one_pass(url, batch_size), set()
    else:
        result = _in_processes(url, jobs, batch_size, partition=True)
        split = set(result.pop("split"))
    for name, part in result["projections"].items():
        part["split"] = 1.0 if name in split else 0.0
    return {**result, "jobs": jobs}


def _in_processes(
    url: str, jobs: int, batch_size: int, *, partition: bool
) -> dict[str, Any]:
    """Every projection rebuilt by ``rebuild_in_processes``; with the views
    it split (``split``) and the largest of the children's peak RSS (each
    rebuild ran in one of them)."""
    settings = _settings(url)
    create_storage(settings)  # every table, before the children start
    with open_event_source(settings) as source:
        chosen = projections(load_timekeeping(settings, source.database))
        head = source.head()
    started = time.monotonic()
    outcomes = rebuild_in_processes(
        chosen,
        settings,
        jobs=jobs,
        batch_size=batch_size,
        restart=True,
        update=RebuildProgress(),
        partition=partition,
    )
    seconds = time.monotonic() - started
    children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "head": head,
        "events": head,
        "seconds": seconds,
        "projections": _parts(outcomes),
        "children_peak_rss_mib": children_kib / 1024,
        "split": [p.name for p in chosen if partition and p.splits],
    }


class EventCounter(PostgresTrackingRecorder):
    """A trivial view: one counter row, moved with the tracking row."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counter_table = f"{self.tracking_table_name}_count"
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} (id int PRIMARY KEY, n bigint)"
            ).format(Identifier(self.datastore.schema), Identifier(self.counter_table))
        )
        self.increment = SQL(
            "INSERT INTO {}.{} VALUES (1, 1) ON CONFLICT (id) DO UPDATE "
            "SET n = {}.{}.n + 1"
        ).format(
            Identifier(self.datastore.schema),
            Identifier(self.counter_table),
            Identifier(self.datastore.schema),
            Identifier(self.counter_table),
        )

    def count(self, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(self.increment)
            self._insert_tracking(cursor, tracking)


class CountEvents(Projection[EventCounter]):
    """Counts every event (all topics): the least a projection can do."""

    name = "bench_count"

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.count(tracking)


def es_runner(url: str, limit: int, seconds: float) -> dict[str, Any]:
    """eventsourcing's ProjectionRunner over the start of the history."""
    env = eventsourcing_env(Settings.from_env({"APPEALS_DATABASE_URL": url}))
    env["CREATE_TABLE"] = "y"
    runner: ProjectionRunner[AppealLedger, EventCounter] = ProjectionRunner(
        application_class=AppealLedger,
        projection_class=CountEvents,
        view_class=EventCounter,
        env=env,
    )
    deadline = time.monotonic() + seconds
    first: tuple[float, int] | None = None  # the rate starts at the first event
    last = (time.monotonic(), 0)
    with runner:
        while time.monotonic() < deadline and last[1] < limit:
            time.sleep(0.05)
            last = (time.monotonic(), runner.view.max_tracking_id(runner.app_name) or 0)
            if first is None and last[1] > 0:
                first = last
    if first is None or last[1] <= first[1]:
        return {"events": 0, "seconds": 0.0, "limit": limit}
    return {"events": last[1] - first[1], "seconds": last[0] - first[0], "limit": limit}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replay")
    parser.add_argument(
        "what",
        choices=[
            "scan",
            "decode",
            "decode-ours",
            "rebuild",
            "rebuild-together",
            "rebuild-parallel",
            "rebuild-partitioned",
            "es-runner",
        ],
    )
    parser.add_argument("url")
    parser.add_argument("result")
    parser.add_argument("--only", default=None, help="rebuild: one projection")
    parser.add_argument(
        "--limit", type=int, default=10_000, help="decode, es-runner, rebuild: events"
    )
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--batch-size", type=int, default=REBUILD_BATCH_SIZE, help="rebuilds"
    )
    args = parser.parse_args(argv)
    if args.what == "scan":
        result = scan(args.url)
    elif args.what == "decode":
        result = decode(args.url, args.limit, "library")
    elif args.what == "decode-ours":
        result = decode(args.url, args.limit, "orjson")
    elif args.what == "rebuild":
        result = rebuild_all(args.url, args.only, args.limit)
    elif args.what == "rebuild-together":
        result = rebuild_one_pass(args.url, args.batch_size)
    elif args.what == "rebuild-parallel":
        result = rebuild_parallel(args.url, args.jobs, args.batch_size)
    elif args.what == "rebuild-partitioned":
        result = rebuild_partitioned(args.url, args.jobs, args.batch_size)
    else:
        result = es_runner(args.url, args.limit, args.seconds)
    Path(args.result).write_bytes(orjson.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
