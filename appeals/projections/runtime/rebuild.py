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

A view whose rows all belong to one appeal (``Projection.by_appeal``), or
whose other rows are counters kept per part (``Projection.summed_by_part``),
can also be rebuilt in parts (:class:`~appeals.projections.runtime.storage.Partition`):
part K of N takes only the appeals whose id leaves K divided by N, into the
same copy, with its own tracking row. Parts run one after another here
(:func:`rebuild_partitioned`) or in processes side by side
(appeals.projections.runtime.parallel); :func:`finish_partitioned` then swaps
the view in once every part has caught up, all parts in one transaction
(:func:`swap_partitions`). A rebuild is never resumed under another split:
one begun whole, or in another number of parts, is discarded first.
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from appeals.infra.clock import Clock, SystemClock
from appeals.infra.event_source import EventSource
from appeals.infra.heap import batch_collection
from appeals.projections.lifecycle import stored_instant
from appeals.projections.runtime.model import Projection
from appeals.projections.runtime.runner import DecodedOnce, ProjectionFailed, Runner
from appeals.projections.runtime.storage import (
    CARRIED_ROWS,
    LIVE,
    REBUILD,
    Copy,
    Partition,
    transaction,
)
from appeals.projections.runtime.tracking import Tracking

log = logging.getLogger(__name__)

REBUILD_BATCH_SIZE = 2_000
"""Events per transaction in a rebuild: larger than the live worker's, since
nobody waits on a rebuild's next batch, and a row changed by several events
of one batch is written once. With ``CARRIED_ROWS_TOGETHER`` it bounds a
rebuild's memory: measured on a 370,000-event history, 2,000 events and
40,000 rows peaked at 287 MiB where 5,000 and 100,000 peaked at 341 MiB, for
about 15% less CPU speed; with the catalogue's word list held beside them a
whole rebuild on one core reached 303 MiB (318 MB), hence its pass of its
own (docs/projections.md)."""

CARRIED_ROWS_TOGETHER = 80_000
"""Rows kept in memory between batches by all the views of a one-pass
rebuild together. 80,000 since a fold's cycles are carried as their JSON
rather than their state (a fold row 3.7 KB, was 9.4): on 284,854 events at
the ten-million city's density, one process, 1,496 events/s at 263 MiB
against 1,152 at 225 MiB with 40,000 (docs/projections.md)."""

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


def carried_share(views: int) -> int:
    """The rows each of ``views`` views rebuilt in one process carries
    between batches: its share of ``CARRIED_ROWS_TOGETHER``, and no more
    than ``CARRIED_ROWS``, what a view rebuilt alone carries (a view's
    fold rows are several kilobytes each: a view alone given every row a
    pass carries passed 520 MiB, ``storage.CARRIED_ROWS``)."""
    return min(CARRIED_ROWS, CARRIED_ROWS_TOGETHER // max(1, views))


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
    partition: Partition | None = None,
    partitioned: Sequence[Projection] = (),
) -> list[Outcome]:
    """Rebuilds ``projections`` in one pass over the log (a view with
    ``release`` first, in a pass of its own: below), each swapped in as
    it catches up; a view an event stops leaves the others going. Outcomes
    in the order given. Each view carries at most ``carried_rows`` rows
    between batches (by default its share of ``CARRIED_ROWS_TOGETHER``).

    In the same pass, ``partitioned`` views (prepared with
    :func:`prepare_partitions`) take only their part ``partition`` and are
    not swapped: their outcomes (after the others') say where that part
    got to; :func:`finish_partitioned` swaps them once every part has.

    A view that loads something large to fold (``Projection.release``: the
    catalogue's tokenizer) goes first, in a pass of its own, and lets go of
    it once swapped in: the pass of all the others, which carries their
    rows, then never holds both (a whole rebuild on one core peaked at 303
    MiB with the tokenizer held; its own pass reads the log once more, but
    decodes only its few topics)."""
    views = len(projections) + len(partitioned)
    if carried_rows is None:
        carried_rows = carried_share(views)
    first = [p for p in projections if p.release is not None] if views > 1 else []
    done: dict[str, Rebuilt] = {}
    failed: dict[str, ProjectionFailed] = {}
    for group, parts in (
        (first, ()),
        ([p for p in projections if p not in first], partitioned),
    ):
        if not group and not parts:
            continue
        reached, stopped = _rebuild(
            source,
            group,
            batch_size=batch_size,
            restart=restart,
            update=update,
            clock=clock,
            carried_rows=carried_rows,
            partition=partition,
            partitioned=parts,
        )
        done.update(reached)
        failed.update(stopped)
        for projection in group:
            if projection.release is not None:
                projection.release()
    return _outcomes([*projections, *partitioned], done, failed)


def _outcomes(
    projections: Sequence[Projection],
    done: dict[str, Rebuilt],
    failed: dict[str, ProjectionFailed],
) -> list[Outcome]:
    return [
        Outcome(p.name, done[p.name])
        if p.name in done
        else Outcome(p.name, None, str(failed[p.name]))
        for p in projections
    ]


@batch_collection()
def _rebuild(
    source: EventSource,
    projections: Sequence[Projection],
    *,
    batch_size: int,
    restart: bool,
    update: Update | None,
    clock: Clock | None,
    carried_rows: int,
    partition: Partition | None = None,
    partitioned: Sequence[Projection] = (),
) -> tuple[dict[str, Rebuilt], dict[str, ProjectionFailed]]:
    clock = clock or SystemClock()
    pending: dict[str, tuple[Runner, Runner]] = {}
    resumed_from: dict[str, int] = {}

    def rebuilding(projection: Projection, part: Partition | None = None) -> Runner:
        """A runner of the rebuild copy (of one part of it, if ``part``)."""
        return Runner(
            source,
            projection,
            target=REBUILD,
            batch_size=batch_size,
            clock=clock,
            carried_rows=carried_rows,
            partition=part,
        )

    for projection in projections:
        live = Runner(source, projection, target=LIVE, clock=clock)
        fresh = rebuilding(projection)
        _ready(source, projection, 1, restart=restart)
        fresh.prepare()
        resumed_from[projection.name] = fresh.position()
        pending[projection.name] = (fresh, live)
    parts: list[Runner] = []
    if partitioned:
        if partition is None:
            raise ValueError("partitioned views need the partition to rebuild")
        for projection in partitioned:
            part = rebuilding(projection, partition)
            part.prepare()
            resumed_from[projection.name] = part.position()
            parts.append(part)
    started = time.monotonic()
    done: dict[str, Rebuilt] = {}
    failed: dict[str, ProjectionFailed] = {}
    while pending or parts:
        stopped = catch_up_together(
            [*(fresh for fresh, _ in pending.values()), *parts], update
        )
        for name, failure in stopped.items():
            failed[name] = failure
            pending.pop(name, None)
        for part in parts:  # caught up: the caller swaps them, all parts at once
            if part.name not in stopped:
                seconds = time.monotonic() - started
                done[part.name] = Rebuilt(
                    part.name, resumed_from[part.name], part.position(), seconds
                )
        parts = []
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
    returns the views an event stopped (the others carry on). Several
    runners may keep parts of one view: an event stopping one part stops
    the view, and ``update`` is given the view's slowest part."""
    if not runners:
        return {}
    source = runners[0].source
    batch_size = max(r.batch_size for r in runners)
    head = source.head()
    positions = [r.position() for r in runners]
    of_view: dict[str, list[int]] = {}
    for index, runner in enumerate(runners):
        of_view.setdefault(runner.name, []).append(index)
    stopped: dict[str, ProjectionFailed] = {}
    active = [i for i, _ in enumerate(runners) if positions[i] < head]
    while active:
        start = min(positions[i] for i in active)
        notifications = source.read(start + 1, batch_size)
        if not notifications:
            break
        ids = [n.id for n in notifications]
        decode = DecodedOnce(source)
        moved: dict[str, None] = {}
        for index in active:
            runner = runners[index]
            if runner.name in stopped:
                continue
            at = positions[index]
            part = notifications[bisect_right(ids, at) :]
            if not part:
                continue
            try:
                taken = runner.consume(at, part, decode)
            except ProjectionFailed as failure:
                stopped[runner.name] = failure
                continue
            positions[index] = part[-1].id if taken == len(part) else runner.position()
            moved[runner.name] = None
        if update is not None:
            for name in moved:
                if name not in stopped:
                    at = min(positions[i] for i in of_view[name])
                    update(name, at, max(head, at))
        active = [
            i for i in active if runners[i].name not in stopped and positions[i] < head
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
    vacuum(live)
    return position


def swap_partitions(parts: Sequence[Runner], live: Runner) -> int | None:
    """Puts a view rebuilt in parts in the live copy's place in one
    transaction: locks the live row and every part's (each must be where it
    was read), brings each part from its own position to one common end,
    sums the parts' counter rows into part 0 (``Copy.merge_parts``: the
    copy is then what a whole rebuild writes), then swaps as :func:`swap`
    does and deletes the parts' rows. Returns the
    live position, or None if a part is more than a batch behind."""
    first = parts[0]
    name, tracking, source = first.name, first.tracking, first.source
    positions = [part.position() for part in parts]
    low = min(positions)
    if source.head() - low > first.batch_size:
        return None
    # Read before the transaction (see swap): at most a batch after the
    # slowest part reaches the head every part was within a batch of.
    last = source.read(low + 1, first.batch_size)
    end = last[-1].id if last else low
    decode = DecodedOnce(source)
    try:
        with transaction(first.database, write=True) as sql:
            tracking.lock(sql, name, LIVE)
            for part, at in zip(parts, positions, strict=True):
                if tracking.lock(sql, name, part.tracked_as) != at:
                    raise _NotYet  # moved meanwhile: catch up again first
            for part, at in zip(parts, positions, strict=True):
                after = last[bisect_right([n.id for n in last], at) :]
                if not after:
                    continue
                try:
                    part.apply(sql, at, after, decode)
                except Exception as error:
                    raise _NotYet from error  # the next catch-up records it
            first.copy.merge_parts(sql)  # counters: summed into part 0
            live.copy.drop(sql)
            first.copy.rename_to(sql, live.copy)
            for table in live.projection.tables:
                live.copy.create_indexes(sql, table)
            now = stored_instant(first.clock.now())
            tracking.set_position(sql, name, LIVE, end, now)
            tracking.delete_rebuilds(sql, name)
    except _NotYet:
        return None
    vacuum(live)
    return end


def vacuum(live: Runner) -> None:
    """Vacuums and analyses a view's tables just swapped in (PostgreSQL,
    :meth:`Database.vacuum`), so its first readers get index-only scans and
    plans for its real size. The swap stands if this fails: autovacuum does
    the same later, and the failure is logged."""
    started = time.monotonic()
    try:
        live.database.vacuum(
            [live.copy.qualified(table) for table in live.projection.tables]
        )
    except Exception as error:  # logged; the view is swapped in all the same
        log.warning("projections: %s swapped in, VACUUM failed: %s", live.name, error)
        return
    log.info("projections: %s vacuumed in %.1fs", live.name, time.monotonic() - started)


class _NotYet(Exception):
    """The swap must wait: the copy is not caught up (rolls the swap back)."""


def discard(source: EventSource, projection: Projection) -> None:
    """Drops an unfinished rebuild's copy and its tracking rows (the whole
    rebuild's, or every part's)."""
    copy = Copy(source.database, projection, REBUILD)
    tracking = Tracking(source.database)
    with transaction(source.database, write=True) as sql:
        tracking.create(sql)
        copy.drop(sql)
        tracking.delete_rebuilds(sql, projection.name)


def split_of(source: EventSource, projection: Projection) -> int | None:
    """How the unfinished rebuild of ``projection`` is split: 1 if whole,
    N if in N parts, None if there is none."""
    counts = set()
    for target in Tracking(source.database).targets(projection.name):
        if target == REBUILD:
            counts.add(1)
        elif (part := Partition.of_target(target)) is not None:
            counts.add(part.count)
    return max(counts) if counts else None


def _ready(
    source: EventSource, projection: Projection, parts: int, *, restart: bool
) -> None:
    """The live copy prepared and the rebuild's copy ready to resume in
    ``parts`` parts (1: whole): discarded if asked, or if it was begun split
    otherwise (the copy's rows of a part may not match another split's)."""
    Runner(source, projection, target=LIVE).prepare()
    begun = None if restart else split_of(source, projection)
    if begun is not None and begun != parts:
        log.warning(
            "%s: a rebuild begun in %d part(s) is discarded, to start over in %d",
            projection.name,
            begun,
            parts,
        )
    if restart or (begun is not None and begun != parts):
        discard(source, projection)


def prepare_partitions(
    source: EventSource, projection: Projection, parts: int, *, restart: bool = False
) -> list[Partition]:
    """Readies a rebuild of a by-appeal view in ``parts`` parts (creates the
    copy and every part's tracking row): resumed if it was begun so,
    started over if begun otherwise or if ``restart``. Done once, before
    the parts run (in processes, by the parent before the children)."""
    partitions = [Partition(index, parts) for index in range(parts)]
    _ready(source, projection, parts, restart=restart)
    for partition in partitions:
        Runner(source, projection, target=REBUILD, partition=partition).prepare()
    return partitions


def finish_partitioned(
    source: EventSource,
    projections: Sequence[Projection],
    *,
    parts: int,
    batch_size: int = REBUILD_BATCH_SIZE,
    update: Update | None = None,
    clock: Clock | None = None,
) -> tuple[dict[str, int], dict[str, ProjectionFailed]]:
    """Catches every part of each view up to the head (one pass for all)
    and swaps each view in once all its parts have: returns the views
    swapped in, with their live positions, and those an event stopped."""
    clock = clock or SystemClock()
    carried = carried_share(parts * len(projections))
    pending = {
        p.name: [
            Runner(
                source,
                p,
                target=REBUILD,
                batch_size=batch_size,
                clock=clock,
                carried_rows=carried,
                partition=Partition(index, parts),
            )
            for index in range(parts)
        ]
        for p in projections
    }
    lives = {p.name: Runner(source, p, target=LIVE, clock=clock) for p in projections}
    done: dict[str, int] = {}
    failed: dict[str, ProjectionFailed] = {}
    while pending:
        stopped = catch_up_together(
            [part for view in pending.values() for part in view], update
        )
        for name, failure in stopped.items():
            failed[name] = failure
            del pending[name]
        for name, view in list(pending.items()):
            position = swap_partitions(view, lives[name])
            if position is not None:
                done[name] = position
                del pending[name]
    return done, failed


def rebuild_partitioned(
    source: EventSource,
    projections: Sequence[Projection],
    *,
    parts: int,
    batch_size: int = REBUILD_BATCH_SIZE,
    restart: bool = False,
    update: Update | None = None,
    clock: Clock | None = None,
) -> list[Outcome]:
    """Rebuilds by-appeal views in ``parts`` parts, one part after another
    in this process (each one pass over the log for all the views), then
    swaps each in: what ``--jobs N`` does in N processes side by side, here
    in turn. Outcomes in the order given."""
    started = time.monotonic()
    resumed: dict[str, int] = {}
    for projection in projections:
        prepare_partitions(source, projection, parts, restart=restart)
    failed: dict[str, ProjectionFailed] = {}
    for partition in (Partition(index, parts) for index in range(parts)):
        going = [p for p in projections if p.name not in failed]
        reached, stopped = _rebuild(
            source,
            [],
            batch_size=batch_size,
            restart=False,
            update=update,
            clock=clock,
            carried_rows=carried_share(len(going)),
            partition=partition,
            partitioned=going,
        )
        failed.update(stopped)
        for name, rebuilt in reached.items():
            resumed[name] = min(
                resumed.get(name, rebuilt.resumed_from), rebuilt.resumed_from
            )
    going = [p for p in projections if p.name not in failed]
    swapped, stopped = finish_partitioned(
        source, going, parts=parts, batch_size=batch_size, update=update, clock=clock
    )
    failed.update(stopped)
    seconds = time.monotonic() - started
    done = {
        name: Rebuilt(name, resumed.get(name, 0), position, seconds)
        for name, position in swapped.items()
    }
    return _outcomes(projections, done, failed)
