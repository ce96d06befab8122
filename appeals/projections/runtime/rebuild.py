"""Rebuilding projections from all history while their live copies keep serving.

Each view's fresh copy (``rebuild_`` tables, without secondary indexes until
swapped in) is filled by an ordinary :class:`~appeals.projections.runtime.runner.Runner`
with its own tracking row, so an interrupted rebuild resumes where its last
batch committed. Several views are rebuilt in ONE pass over the log
(:func:`rebuild_together`): each batch is read once and each event decoded
once, then handed to every view that reads its topic, each view committing
its own batch with its own position. When a copy has caught up, one
transaction locks both tracking rows (a live batch in flight finishes
first), applies the last few events (read just before), drops the live
tables, renames the copy into their place, creates the indexes and hands the
copy's position to the live tracking row. Readers see either the old view or
the new one, never a mixture; DDL is transactional on PostgreSQL and on
SQLite alike.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from appeals.infra.clock import Clock, SystemClock
from appeals.infra.event_source import EventSource
from appeals.projections.lifecycle import stored_instant
from appeals.projections.runtime.model import Projection
from appeals.projections.runtime.runner import DecodedOnce, ProjectionFailed, Runner
from appeals.projections.runtime.storage import (
    CARRIED_ROWS,
    LIVE,
    REBUILD,
    Copy,
    transaction,
)
from appeals.projections.runtime.tracking import Tracking

REBUILD_BATCH_SIZE = 5_000
"""Events per transaction in a rebuild: larger than the live worker's, since
nobody waits on a rebuild's next batch, and a row changed by several events
of one batch is written once."""

CARRIED_ROWS_TOGETHER = 100_000
"""Rows kept in memory between batches by all the views of a one-pass
rebuild together."""

Progress = Callable[[int, int], None]
"""Called with (position, head) after each batch."""


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild did: the notifications it took in and how long it took."""

    projection: str
    resumed_from: int
    position: int
    seconds: float

    @property
    def events(self) -> int:
        return self.position - self.resumed_from

    @property
    def rate(self) -> float:
        """Notifications per second (ignored ones included: they are read too)."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Outcome:
    """How one view's rebuild ended: done, or stopped at an event."""

    name: str
    rebuilt: Rebuilt | None
    failure: str | None = None


Update = Callable[[str, int, int], None]
"""Called with (projection, position, head) after each of its batches."""


def rebuild(
    source: EventSource,
    projection: Projection,
    *,
    batch_size: int = REBUILD_BATCH_SIZE,
    restart: bool = False,
    progress: Progress | None = None,
    clock: Clock | None = None,
    carried_rows: int = CARRIED_ROWS,
) -> Rebuilt:
    """Replays all history into a fresh copy of one view and swaps it in
    atomically; :class:`ProjectionFailed` if an event stops it. Resumes an
    interrupted rebuild unless ``restart``. At most ``carried_rows`` rows are
    kept in memory between batches."""
    done, failed = _rebuild(
        source,
        [projection],
        batch_size=batch_size,
        restart=restart,
        update=None if progress is None else (lambda _, p, h: progress(p, h)),
        clock=clock,
        carried_rows=carried_rows,
    )
    if failed:
        raise failed[projection.name]
    return done[projection.name]


def rebuild_together(
    source: EventSource,
    projections: Sequence[Projection],
    *,
    batch_size: int = REBUILD_BATCH_SIZE,
    restart: bool = False,
    update: Update | None = None,
    clock: Clock | None = None,
    carried_rows: int | None = None,
) -> list[Outcome]:
    """Rebuilds ``projections`` in one pass over the log, each swapped in as
    it catches up; a view an event stops leaves the others going. Outcomes
    in the order given. Each view carries at most ``carried_rows`` rows
    between batches (by default its share of ``CARRIED_ROWS_TOGETHER``)."""
    if carried_rows is None:
        carried_rows = CARRIED_ROWS_TOGETHER // max(1, len(projections))
    done, failed = _rebuild(
        source,
        projections,
        batch_size=batch_size,
        restart=restart,
        update=update,
        clock=clock,
        carried_rows=carried_rows,
    )
    return [
        Outcome(p.name, done[p.name])
        if p.name in done
        else Outcome(p.name, None, str(failed[p.name]))
        for p in projections
    ]


def _rebuild(
    source: EventSource,
    projections: Sequence[Projection],
    *,
    batch_size: int,
    restart: bool,
    update: Update | None,
    clock: Clock | None,
    carried_rows: int,
) -> tuple[dict[str, Rebuilt], dict[str, ProjectionFailed]]:
    clock = clock or SystemClock()
    pending: dict[str, tuple[Runner, Runner]] = {}
    resumed_from: dict[str, int] = {}
    for projection in projections:
        live = Runner(source, projection, target=LIVE, clock=clock)
        fresh = Runner(
            source,
            projection,
            target=REBUILD,
            batch_size=batch_size,
            clock=clock,
            carried_rows=carried_rows,
        )
        live.prepare()
        if restart:
            discard(source, projection)
        fresh.prepare()
        resumed_from[projection.name] = fresh.position()
        pending[projection.name] = (fresh, live)
    started = time.monotonic()
    done: dict[str, Rebuilt] = {}
    failed: dict[str, ProjectionFailed] = {}
    while pending:
        stopped = catch_up_together([fresh for fresh, _ in pending.values()], update)
        for name, failure in stopped.items():
            failed[name] = failure
            del pending[name]
        for name, (fresh, live) in list(pending.items()):
            position = swap(fresh, live)
            if position is not None:
                seconds = time.monotonic() - started
                done[name] = Rebuilt(name, resumed_from[name], position, seconds)
                del pending[name]
    return done, failed


def catch_up_together(
    runners: Sequence[Runner], update: Update | None = None
) -> dict[str, ProjectionFailed]:
    """Brings every runner's copy to the log's head as it was when called,
    reading each batch once and decoding each event once for all of them;
    returns the views an event stopped (the others carry on)."""
    if not runners:
        return {}
    source = runners[0].source
    batch_size = max(r.batch_size for r in runners)
    head = source.head()
    positions = {r.name: r.position() for r in runners}
    stopped: dict[str, ProjectionFailed] = {}
    active = [r for r in runners if positions[r.name] < head]
    while active:
        start = min(positions[r.name] for r in active)
        notifications = source.read(start + 1, batch_size)
        if not notifications:
            break
        ids = [n.id for n in notifications]
        decode = DecodedOnce(source)

        for runner in active:
            at = positions[runner.name]
            part = notifications[bisect_right(ids, at) :]
            if not part:
                continue
            try:
                taken = runner.consume(at, part, decode)
            except ProjectionFailed as failure:
                stopped[runner.name] = failure
                continue
            at = part[-1].id if taken == len(part) else runner.position()
            positions[runner.name] = at
            if update is not None:
                update(runner.name, at, max(head, at))
        active = [
            r for r in active if r.name not in stopped and positions[r.name] < head
        ]
    return stopped


def swap(fresh: Runner, live: Runner) -> int | None:
    """Puts the fresh copy in the live copy's place in one transaction;
    returns the live position, or None if the copy is more than a batch
    behind (catch up again first)."""
    name = fresh.name
    tracking = fresh.tracking
    source = fresh.source
    position = fresh.position()
    if source.head() - position > fresh.batch_size:
        return None
    # Read before the transaction: asking the pool for a second connection
    # while holding the writer can deadlock with a writer queued behind it.
    last = source.read(position + 1, fresh.batch_size)
    try:
        with transaction(fresh.database, write=True) as sql:
            tracking.lock(sql, name, LIVE)
            if tracking.lock(sql, name, REBUILD) != position:
                raise _NotYet  # another rebuild of the same view moved it
            if last:
                try:
                    fresh.apply(sql, position, last)
                except Exception as error:
                    # Let the next catch-up meet it and record it properly.
                    raise _NotYet from error
                position = last[-1].id
            live.copy.drop(sql)
            fresh.copy.rename_to(sql, live.copy)
            for table in live.projection.tables:
                live.copy.create_indexes(sql, table)
            now = stored_instant(fresh.clock.now())
            tracking.set_position(sql, name, LIVE, position, now)
            tracking.delete(sql, name, REBUILD)
    except _NotYet:
        return None
    return position


class _NotYet(Exception):
    """The swap must wait: the copy is not caught up (rolls the swap back)."""


def discard(source: EventSource, projection: Projection) -> None:
    """Drops an unfinished rebuild's copy and its tracking row."""
    copy = Copy(source.database, projection, REBUILD)
    tracking = Tracking(source.database)
    with transaction(source.database, write=True) as sql:
        tracking.create(sql)
        copy.drop(sql)
        tracking.delete(sql, projection.name, REBUILD)
