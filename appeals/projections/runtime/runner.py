"""The projection runtime: applies the event log to a projection's tables.

A :class:`Runner` reads the log in batches (``select_notifications``, at most
``batch_size`` at a time, so memory stays bounded however long the history)
and applies each batch in ONE transaction together with the copy's tracking
position. A crash anywhere rolls the whole batch back, and the next run
starts from the last committed position: nothing is skipped, nothing applied
twice. Notifications the projection does not read (other topics, index and
request-record events) are not even decoded, but the position moves past
them in the same transaction.

If a batch fails, its events are retried one transaction each, so that every
event before the faulty one is applied; the faulty one is recorded in the
tracking row (position, event, topic, error) and :class:`ProjectionFailed` is
raised. The copy never moves past an event it could not apply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import anyio
import anyio.to_thread
import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    Notification,
    OperationalError,
    ProgrammingError,
)

from appeals.infra.availability import is_outage
from appeals.infra.clock import Clock, SystemClock
from appeals.infra.database import Sql
from appeals.infra.event_source import EventSource
from appeals.projections.lifecycle import stored_instant
from appeals.projections.runtime.model import Projection, id_text
from appeals.projections.runtime.storage import (
    CARRIED_ROWS,
    LIVE,
    NO_INDEX_CHANGES,
    REBUILD,
    Arrival,
    CarriedRows,
    Copy,
    IndexChanges,
    Partition,
    SqlState,
    existing_indexes,
    existing_tables,
    transaction,
)
from appeals.projections.runtime.tracking import TABLE as TRACKING_TABLE
from appeals.projections.runtime.tracking import Failure, Tracked, Tracking

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 1000
DROP_LOCK_WAIT = 2
"""Seconds a retired index's drop waits for its table's readers (PostgreSQL)."""
LEFT_FOR_LATER = (psycopg.errors.InsufficientPrivilege, psycopg.errors.LockNotAvailable)
"""Why an index change may wait for the next start (:meth:`Runner._upgrade`)."""
ERROR_TEXT_LIMIT = 2000

COUNT_AFTER = "SELECT COUNT(*) FROM {events} WHERE {id} > ?"

Decode = Callable[[Notification], Any]


class DecodedOnce:
    """Decodes a batch's notifications, each once however many views ask:
    they all get the same (immutable) event object."""

    def __init__(self, source: EventSource) -> None:
        self.source = source
        self.events: dict[int, Any] = {}

    def __call__(self, notification: Notification) -> Any:
        event = self.events.get(notification.id)
        if event is None:
            event = self.events[notification.id] = self.source.decode(notification)
        return event


@dataclass
class Batch:
    """A batch of one view sent (:meth:`Runner.send`): its position moved,
    the reads of its rows on their way."""

    runner: Runner
    state: SqlState
    wanted: list[Notification]  # the notifications the view reads
    arrivals: list[Arrival]
    stamp: str  # the tracking row's ``updated_at``

    def apply(self, decode: Decode | None = None) -> SqlState:
        """Takes in the rows read, applies the events and writes the rows
        changed; returns the batch's rows."""
        for arrival in self.arrivals:
            arrival()
        state = self.state
        projection = self.runner.projection
        decode = decode or self.runner.source.decode
        for notification in self.wanted:
            event = decode(notification)
            for change in projection.apply(event, state):
                state.write(change)
        state.flush()
        return state


class ProjectionFailed(Exception):
    """A projection could not apply an event; it stays just before it."""

    def __init__(self, projection: str, failure: Failure) -> None:
        self.projection = projection
        self.failure = failure
        super().__init__(
            f"projection {projection} stopped at position {failure.position} "
            f"({failure.topic} {failure.event}): {failure.error}"
        )


class Runner:
    """Keeps one copy (live or rebuild) of one projection up to date.

    With a ``partition`` (a rebuild's only) it applies only the events of the
    appeals in that part, to the ordinary rebuild copy, and keeps its own
    tracking row (``rebuild:K/N``): every part writes its own rows of the
    same tables."""

    def __init__(
        self,
        source: EventSource,
        projection: Projection,
        *,
        target: str = LIVE,
        batch_size: int = DEFAULT_BATCH_SIZE,
        clock: Clock | None = None,
        carried_rows: int = CARRIED_ROWS,
        partition: Partition | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if partition is not None and not (target == REBUILD and projection.splits):
            raise ValueError(f"{projection.name}: only a by-appeal rebuild is split")
        self.source = source
        self.projection = projection
        self.target = target
        self.partition = partition
        # The tracking row's target: the copy's, or the part's own.
        self.tracked_as = target if partition is None else partition.target
        self.batch_size = batch_size
        self.clock: Clock = clock or SystemClock()
        self.database = source.database
        self.copy = Copy(self.database, projection, target)
        self.tracking = Tracking(self.database)
        # A rebuild's copy has one writer, this runner: its shared rows can be
        # carried from batch to batch. A live copy may have several workers.
        self.carried = CarriedRows(carried_rows) if target == REBUILD else None
        self._carried_at: int | None = None  # the position the carried rows match

    @property
    def name(self) -> str:
        return self.projection.name

    def prepare(self) -> None:
        """Creates the copy's tables and tracking row if they are missing, and
        brings a live copy's indexes up to this release (:meth:`_upgrade`).

        Looks before it leaps: on PostgreSQL even ``CREATE INDEX IF NOT
        EXISTS`` locks the table, and a worker starting while another writes
        must not queue behind it (or deadlock with it)."""
        wanted = {TRACKING_TABLE, *(self.copy.bare(t) for t in self.projection.tables)}
        with transaction(self.database, write=False) as sql:
            tables = existing_tables(sql)
            changes = (
                self.copy.index_changes(tables, existing_indexes(sql))
                if self.target == LIVE
                else NO_INDEX_CHANGES
            )
        if wanted - tables:
            self._create()
        if changes:
            self._upgrade(changes)
        if self.tracking.read(self.name, self.tracked_as) is None:
            with transaction(self.database, write=True) as sql:
                self.tracking.ensure(sql, self.name, self.tracked_as)

    def _create(self) -> None:
        for attempt in (1, 2):
            try:
                with transaction(self.database, write=True) as sql:
                    self.tracking.create(sql)
                    self.copy.create(sql, indexes=self.target == LIVE)
                return
            except IntegrityError:
                # CREATE ... IF NOT EXISTS can still collide on PostgreSQL when
                # processes start together; the second try finds it done.
                if attempt == 2:
                    raise

    def _upgrade(self, changes: IndexChanges) -> None:
        """A live copy made by an earlier release: creates the indexes its
        view now declares, then, in a transaction of its own, drops the ones
        it retired. On PostgreSQL an index being built holds up writes to its
        table, not reads; a drop waits for the table's readers, at most
        ``DROP_LOCK_WAIT``, so a long report holds up no one behind it. What
        this process may not do (a service's role that may create nothing:
        ``appeals init`` as the owner does it) or a drop that did not get its
        lock in time is left, with a warning, for the next start: the view
        answers as before meanwhile."""
        waits = self.database.engine == "postgres"
        for done, statements, lock_wait in (
            ("made", changes.create, None),
            ("dropped", changes.drop, DROP_LOCK_WAIT if waits else None),
        ):
            if not statements:
                continue
            try:
                with transaction(self.database, write=True) as sql:
                    if lock_wait is not None:
                        sql.execute(f"SET LOCAL lock_timeout = '{lock_wait}s'")
                    for statement in statements:
                        sql.execute(statement)
            except IntegrityError:
                continue  # another process starting beside this one did it
            except (ProgrammingError, OperationalError) as error:
                if not isinstance(error.__cause__, LEFT_FOR_LATER):
                    raise
                log.warning(
                    "%s: %d index(es) of this release not %s, left for the next "
                    "start (appeals init as the tables' owner does it): %s",
                    self.name,
                    len(statements),
                    done,
                    error,
                )
                continue
            log.info(
                "%s: %d index(es) %s for this release", self.name, len(statements), done
            )

    def position(self) -> int:
        return self.tracking.position(self.name, self.tracked_as)

    def step(self) -> int:
        """Applies at most one batch; returns how many notifications it took
        (0 when caught up, or when another worker moved the copy first)."""
        start = self.position()
        notifications = self.source.read(start + 1, self.batch_size)
        if not notifications:
            return 0
        return self.consume(start, notifications)

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Applies batches until the copy reaches the log's head as it was when
        called; ``progress(position)`` after each batch. Returns the position."""
        head = self.source.head()
        position = self.position()
        while position < head:
            self.step()
            position = self.position()
            if progress is not None:
                progress(position)
        return position

    def apply(
        self,
        sql: Sql,
        start: int,
        notifications: Sequence[Notification],
        decode: Decode | None = None,
    ) -> SqlState | None:
        """Applies ``notifications`` (read after ``start``) to the copy and
        moves its position, inside the caller's transaction; returns the
        batch's rows. None, with nothing written, if the copy is no longer at
        ``start``. ``decode`` turns a notification into its event (the
        source's by default; a rebuild of several views shares one)."""
        batch = self.send(sql, start, notifications)
        return None if batch is None else batch.apply(decode)

    def send(
        self,
        sql: Sql,
        start: int,
        notifications: Sequence[Notification],
        *,
        locked: bool = False,
    ) -> Batch | None:
        """:meth:`apply`'s first half: moves the copy's position and sends
        the reads of the rows the batch will need (``SqlState.send_preload``),
        to be applied by :meth:`Batch.apply`. A worker applying one batch of
        the log to several views sends every view's reads before applying
        any, so that in a pipeline they all cost one round trip. ``locked``:
        the caller holds the copy's tracking row (``Tracking.lock_many``) and
        found it at ``start``, so the move is sent without waiting for its
        answer; otherwise it is a compare-and-set, and None, with nothing
        written, if the copy is no longer at ``start``."""
        now = stored_instant(self.clock.now())
        end = notifications[-1].id
        if locked:
            self.tracking.move(sql, self.name, self.tracked_as, start, end, now)
        elif not self.tracking.advance(
            sql, self.name, self.tracked_as, start, end, now
        ):
            return None
        if self.carried is not None and self._carried_at != start:
            self.forget()  # the copy moved without us: carried rows may be stale
            # A rebuild's copy at position 0 is empty (rows and position move
            # together): from here on, a row not carried is a row not there.
            self.carried.complete = start == 0
        part = 0 if self.partition is None else self.partition.index
        state = SqlState(sql, self.copy, self.carried, part)
        topics = self.projection.topics
        wanted = [n for n in notifications if n.topic in topics]
        if self.partition is not None:
            # Another part's appeals: not even decoded.
            holds = self.partition.holds
            wanted = [n for n in wanted if holds(n.originator_id)]
        arrivals = []
        appeals = None
        for table in self.projection.tables:
            if table.per_appeal or table.read_by_appeal:
                if appeals is None:
                    appeals = [id_text(n.originator_id) for n in wanted]
                if table.per_appeal:
                    keys = [(appeal,) for appeal in appeals]
                    arrivals += state.send_preload(table, keys)
                else:
                    arrivals += state.send_preload_appeals(table, appeals)
        return Batch(self, state, wanted, arrivals, now)

    def consume(
        self,
        start: int,
        notifications: Sequence[Notification],
        decode: Decode | None = None,
    ) -> int:
        """Applies notifications read after ``start`` in one transaction (one
        at a time to find a faulty one, which raises :class:`ProjectionFailed`);
        returns how many it applied, 0 if another runner moved the copy."""
        try:
            with transaction(self.database, write=True) as sql:
                state = self.apply(sql, start, notifications, decode)
                if state is None:
                    self.forget()
                    return 0
        except Exception as error:
            self.forget()
            if is_outage(error):
                # The database went away, no event is at fault: nothing is
                # recorded against the view; the worker tries again shortly.
                raise
            if len(notifications) > 1:
                return self._one_by_one(start, notifications, decode)
            self._fail(start, notifications[0], error)
        self.committed(state, notifications[-1].id)
        return len(notifications)

    def committed(self, state: SqlState, end: int) -> None:
        """Called once the batch that left ``state`` at ``end`` has
        committed: its rows are what the copy now holds, carried to the next
        batch if this runner carries rows."""
        if self.carried is not None:
            self.carried.keep(state.rows)
            self._carried_at = end

    def forget(self) -> None:
        """Drops the carried rows: someone else may have written the copy."""
        if self.carried is not None:
            self.carried.clear()
        self._carried_at = None

    def _one_by_one(
        self,
        start: int,
        notifications: Sequence[Notification],
        decode: Decode | None,
    ) -> int:
        # Finds the faulty event and keeps everything before it.
        done = 0
        for notification in notifications:
            if self.consume(start, [notification], decode) == 0:
                break
            start = notification.id
            done += 1
        return done

    def _fail(
        self, start: int, notification: Notification, error: Exception
    ) -> NoReturn:
        failure = Failure(
            position=notification.id,
            event=f"{notification.originator_id}@{notification.originator_version}",
            topic=notification.topic,
            error=f"{type(error).__name__}: {error}"[:ERROR_TEXT_LIMIT],
            at=stored_instant(self.clock.now()),
        )
        self.tracking.record_failure(self.name, self.tracked_as, start, failure)
        raise ProjectionFailed(self.name, failure) from error


def prepare(source: EventSource, projections: Sequence[Projection]) -> None:
    """Creates every projection's live tables and tracking rows if missing."""
    for projection in projections:
        Runner(source, projection).prepare()


@dataclass(frozen=True)
class ProjectionStatus:
    """How far one copy of a projection is behind the log."""

    tracked: Tracked
    head: int
    lag_events: int
    lag_seconds: float | None

    @property
    def name(self) -> str:
        return self.tracked.projection


def status(source: EventSource) -> list[ProjectionStatus]:
    """Every tracked copy (live ones and rebuilds under way) with its lag: in
    events, and in seconds between when the head event and the copy's last
    event were recorded (business time for events stored before the database
    stamped recorded times)."""
    database = source.database
    head = source.head()
    events = database.table(source.events_table)
    column = "rowid" if database.engine == "sqlite" else "notification_id"
    found = []
    for tracked in Tracking(database).all():
        with transaction(database, write=False) as sql:
            row = sql.execute(
                COUNT_AFTER.format(events=events, id=column), (tracked.position,)
            ).one()
        behind = int(row[0]) if row else 0
        seconds: float | None = 0.0
        if behind:
            times = _event_times(source, [max(tracked.position, 1), head])
            seconds = None if len(times) < 2 else max(0.0, times[1] - times[0])
        found.append(ProjectionStatus(tracked, head, behind, seconds))
    return found


def _event_times(source: EventSource, positions: list[int]) -> list[float]:
    """When the events at ``positions`` were recorded (POSIX seconds); those
    with no stamp or no event are left out."""
    stamped = source.log.recorded.at_positions(positions)
    times = []
    for position in positions:
        if position in stamped:
            times.append(stamped[position].timestamp())
            continue
        found = source.read(position, 1)
        try:
            event = source.decode(found[0]) if found else None
        except Exception:  # an undecodable event has no time to report
            event = None
        timestamp = getattr(event, "timestamp", None)
        if timestamp is not None:
            times.append(float(timestamp.timestamp()))
    return times


async def wait_for(
    tracking: Tracking, projection: str, position: int, timeout: float
) -> int:
    """Waits (up to ``timeout`` seconds) until the live copy of ``projection``
    has taken the log up to ``position`` into account; returns the copy's
    position then, which is below ``position`` if time ran out."""
    deadline = time.monotonic() + timeout
    pause = 0.01
    while True:
        current = await anyio.to_thread.run_sync(tracking.position, projection, LIVE)
        if current >= position or time.monotonic() >= deadline:
            return current
        # Back off gently: most waits end within one worker batch.
        await anyio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, 0.1)
