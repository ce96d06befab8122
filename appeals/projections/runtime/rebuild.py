"""Rebuilding a projection from all history while its live copy keeps serving.

The fresh copy (``rebuild_`` tables, without secondary indexes until swapped
in) is filled by an ordinary :class:`~appeals.projections.runtime.runner.Runner`
with its own tracking row, so an interrupted rebuild resumes where its last
batch committed. When it has caught up, one transaction locks both tracking
rows (a live batch in flight finishes first), applies the last few events
(read just before), drops the live tables, renames the copy into their
place, creates the indexes and hands the copy's position to the live
tracking row. Readers see either the old view or the new one, never a
mixture; DDL is transactional on PostgreSQL and on SQLite alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from appeals.infra.clock import Clock, SystemClock
from appeals.infra.event_source import EventSource
from appeals.projections.lifecycle import stored_instant
from appeals.projections.runtime.model import Projection
from appeals.projections.runtime.runner import DEFAULT_BATCH_SIZE, Runner
from appeals.projections.runtime.storage import (
    CARRIED_ROWS,
    LIVE,
    REBUILD,
    Copy,
    transaction,
)
from appeals.projections.runtime.tracking import Tracking

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


def rebuild(
    source: EventSource,
    projection: Projection,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    restart: bool = False,
    progress: Progress | None = None,
    clock: Clock | None = None,
    carried_rows: int = CARRIED_ROWS,
) -> Rebuilt:
    """Replays all history into a fresh copy and swaps it in atomically.
    Resumes an interrupted rebuild unless ``restart``. At most
    ``carried_rows`` shared rows are kept in memory between batches."""
    clock = clock or SystemClock()
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
    resumed_from = fresh.position()
    started = time.monotonic()

    def report(position: int) -> None:
        if progress is not None:
            head = source.head()
            progress(position, max(head, position))

    while True:
        fresh.catch_up(report)
        position = swap(fresh, live)
        if position is not None:
            break
    return Rebuilt(projection.name, resumed_from, position, time.monotonic() - started)


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
