"""The live worker: keeps every projection's live copy current.

While there is work, each tick reads one batch of the log ONCE, decodes each
event once, and applies it to every view it runs, each from its own position,
in ONE transaction (one commit for all the views). A view far behind (just
added, or back from a failure) is served from a read of its own, so a long
catch-up of one view never holds back the others. If anything in the shared
transaction fails, it all rolls back and each view is tried alone, so a
faulty event stops only the view it breaks. When all are caught up it
sleeps until woken: on PostgreSQL by the NOTIFY the event store sends on its
channel with every insert (eventsourcing 9.5 does so on its default insert
path, inside the inserting transaction, so it arrives on commit); with the
poll interval as a fallback, and as the only wake-up on SQLite. A projection
that fails is left alone for ``retry_interval`` and then tried again (a fix
deployed meanwhile, or a passing database error); the others carry on.

Runs in the foreground (``appeals projections run``) or as a thread inside
``appeals serve`` (APPEALS_RUN_PROJECTIONS). On PostgreSQL several workers
divide the views between them (docs/scaling.md): each runs only the views
whose lease it holds (a session advisory lock, appeals.infra.lease.Shares),
looks every ``LEASE_INTERVAL`` for its fair share, and takes over the views
of a worker that died (its session, and so its locks, ended with it) within
about that long. The periodic chores go with a lease of their own, so one
worker does them. Leases only spare the work: two workers on one view stay
safe, as the tracking compare-and-set lets one batch win and the other roll
back. On SQLite, with its single writer, one worker runs every view.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresDatastore

from appeals.infra.availability import is_outage
from appeals.infra.event_source import EventSource
from appeals.infra.heap import freeze_startup_heap
from appeals.infra.lease import Shares, holders
from appeals.infra.settings import ProjectionSettings
from appeals.projections.runtime.model import Projection
from appeals.projections.runtime.runner import DecodedOnce, ProjectionFailed, Runner
from appeals.projections.runtime.storage import (
    LIVE,
    CarriedRows,
    SqlState,
    transaction,
)
from appeals.projections.runtime.tracking import Tracking

log = logging.getLogger(__name__)

INFRASTRUCTURE_BACKOFF = 1.0
"""Seconds to wait after a database error that is no projection's fault."""

LEASE_INTERVAL = 1.0
"""Seconds between two looks at the view leases (PostgreSQL): how soon a
worker takes its share, and a dead worker's views are taken over."""

LIVE_CARRIED_ROWS = 2_000
"""Rows each view keeps in memory between its live batches."""

CHORES = "(chores)"
"""The lease name the periodic chores go with."""


class Wakeup:
    """Sleeps until there may be new events: a NOTIFY on PostgreSQL, or
    ``timeout`` (the poll interval) passing, or the worker stopping."""

    def __init__(self, source: EventSource, stopping: threading.Event) -> None:
        self.stopping = stopping
        datastore = source.database.datastore
        self._pool: Any = (
            datastore.pool if isinstance(datastore, PostgresDatastore) else None
        )
        self._channel = source.channel
        self._connection: psycopg.Connection[Any] | None = None

    def listen(self) -> None:
        """Starts listening (before the first read, so no commit is missed)."""
        if self._pool is None or self._channel is None or self._connection:
            return
        try:
            # Its own connection, outside the pool the requests share.
            connection = psycopg.connect(
                self._pool.conninfo, autocommit=True, **self._pool.kwargs
            )
            connection.execute(
                psycopg.sql.SQL("LISTEN {}").format(
                    psycopg.sql.Identifier(self._channel)
                )
            )
        except psycopg.Error as error:
            log.warning("projections: cannot LISTEN, polling instead: %s", error)
            return
        self._connection = connection

    def wait(self, timeout: float) -> bool:
        """True if woken by a notification (rather than by time or stopping)."""
        if self._connection is None:
            self.stopping.wait(timeout)
            self.listen()
            return False
        try:
            notified = list(self._connection.notifies(timeout=timeout, stop_after=1))
        except psycopg.Error as error:
            log.warning("projections: lost the LISTEN connection: %s", error)
            self.close()
            return False
        return bool(notified)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def lease_group(schema: str) -> str:
    """The name the view leases of one store (database and schema) share."""
    return f"projections:{schema}"


def lease_holders(source: EventSource, names: Sequence[str]) -> dict[str, str]:
    """Which worker holds each of the views ``names`` (PostgreSQL), as
    ``appeals-projections HOST:PID (pid BACKEND)``; empty on SQLite, where
    the one worker runs them all."""
    datastore = source.database.datastore
    if not isinstance(datastore, PostgresDatastore):
        return {}
    with datastore.get_connection() as connection:
        return holders(connection, lease_group(datastore.schema), names)


class Worker:
    """Applies new events to every projection's live copy until stopped."""

    def __init__(
        self,
        source: EventSource,
        projections: Sequence[Projection],
        settings: ProjectionSettings,
        chores: Sequence[tuple[float, Callable[[], object]]] = (),
        *,
        freeze_heap: bool = False,
    ) -> None:
        self.source = source
        # A worker that is its own process (``appeals projections run``)
        # freezes the heap once warmed up; a thread inside a server leaves
        # the process's heap to the server.
        self.freeze_heap = freeze_heap
        self.settings = settings
        # (every seconds, task): periodic work done between batches when the
        # views are caught up, such as extending the audit checkpoints. A
        # task that returns True has more to do (a backlog, done a bounded
        # step at a time): it is due again straight after the next batch.
        self.chores = list(chores)
        self._chore_due = [0.0] * len(self.chores)
        self.batch_size = settings.batch_size
        self.runners = [
            Runner(source, projection, batch_size=settings.batch_size)
            for projection in projections
        ]
        for runner in self.runners:
            # Rows carried between batches: the views' hot rows (today's
            # counters, the appeals being worked) are not read again.
            runner.carried = CarriedRows(LIVE_CARRIED_ROWS)
        self.tracking = Tracking(source.database)
        # Each copy's tracking row (position, updated_at) as this worker's
        # last commit left it: carried rows are used only while it still is.
        self._committed: dict[str, tuple[int, str | None]] = {}
        self.stopping = threading.Event()
        # Set once the views are prepared, warmed up (Projection.warm) and
        # caught up with the log for the first time.
        self.ready = threading.Event()
        self._resume_at: dict[str, float] = {}
        self._thread: threading.Thread | None = None
        # What this worker runs: everything, unless leases divide the views.
        self.active = list(self.runners)
        self.chores_held = True
        self.shares = self._shares()
        self._leases_due = 0.0

    def _shares(self) -> Shares | None:
        """The view leases on PostgreSQL (None on SQLite)."""
        datastore = self.source.database.datastore
        if not isinstance(datastore, PostgresDatastore):
            return None
        pool: Any = datastore.pool
        label = f"appeals-projections {socket.gethostname()}:{os.getpid()}"

        def connect() -> psycopg.Connection[Any]:
            return psycopg.connect(
                pool.conninfo,
                autocommit=True,
                **{**pool.kwargs, "application_name": label[:63], "connect_timeout": 5},
            )

        # Heaviest first, so that the heavy views are spread over workers.
        heaviest = sorted(self.runners, key=lambda runner: -runner.projection.cost)
        names = [runner.name for runner in heaviest]
        if self.chores:
            names.append(CHORES)
        return Shares(connect, lease_group(datastore.schema), names)

    def take_leases(self) -> None:
        """Takes or gives back views towards this worker's fair share
        (PostgreSQL; on SQLite it runs them all)."""
        if self.shares is None:
            return
        before = self.shares.held
        held = self.shares.refresh()
        if held != before:
            log.info(
                "projections: running %s (of %d, %d workers)",
                ", ".join(sorted(held)) or "nothing",
                len(self.shares.names),
                self.shares.peers,
            )
        self.active = [runner for runner in self.runners if runner.name in held]
        self.chores_held = CHORES in held

    def tick(self) -> int:
        """One batch for each projection that is due, read once and decoded
        once for all of them; how many events moved (summed over views)."""
        now = time.monotonic()
        due = [r for r in self.active if self._resume_at.get(r.name, 0.0) <= now]
        if not due or self.stopping.is_set():
            return 0
        try:
            positions = self._positions(due)
        except Exception:
            log.exception("projections: could not read the views' positions")
            for runner in due:
                self._pause(runner, INFRASTRUCTURE_BACKOFF)
            return 0
        # Lowest first: a view far behind (just added, or resumed after a
        # failure) gets its batch without holding back the others, which are
        # read from their own position in a second read.
        waiting = sorted(due, key=lambda r: positions.get(r.name, 0))
        moved = 0
        while waiting and not self.stopping.is_set():
            start = positions.get(waiting[0].name, 0)
            try:
                notifications = self.source.read(start + 1, self.batch_size)
            except Exception:
                log.exception("projections: could not read the event log")
                for runner in waiting:
                    self._pause(runner, INFRASTRUCTURE_BACKOFF)
                break
            if not notifications:
                break
            last = notifications[-1].id
            served = [r for r in waiting if positions.get(r.name, 0) < last]
            waiting = [r for r in waiting if positions.get(r.name, 0) >= last]
            moved += self._apply_together(served, positions, notifications)
            if len(notifications) < self.batch_size:
                break  # the head was reached: the rest are at it
        return moved

    def _positions(self, due: Sequence[Runner]) -> dict[str, int]:
        """Where the copies of ``due`` are: as this worker's last commit left
        them, if it knows them all (a copy moved by someone else since is
        found so when its batch locks it, and read from where it is at the
        next tick); else as the tracking table says, in one query."""
        committed = self._committed
        if all(runner.name in committed for runner in due):
            return {runner.name: committed[runner.name][0] for runner in due}
        return self.tracking.positions(LIVE)

    def _apply_together(
        self,
        runners: Sequence[Runner],
        positions: dict[str, int],
        notifications: Sequence[Notification],
    ) -> int:
        """Applies the batch to every runner, each from its own position, in
        ONE transaction (one commit for all the views); if anything in it
        fails, it all rolls back and each view is tried on its own, so a
        faulty event stops only the view it breaks."""
        decode = DecodedOnce(self.source)
        ids = [n.id for n in notifications]
        parts = [
            (runner, at, notifications[bisect_right(ids, at) :])
            for runner in runners
            for at in (positions.get(runner.name, 0),)
        ]
        names = [runner.name for runner, _, _ in parts]
        done: list[tuple[Runner, SqlState, int, int]] = []
        left: dict[str, tuple[int, str | None]] = {}
        try:
            # Pipelined: the views' rows are sent without waiting for each
            # statement's answer, and every view's reads are sent before any
            # is applied (Runner.send), so that they wait for one answer.
            with transaction(self.source.database, write=True, pipelined=True) as sql:
                # Locked until the commit: nobody else can write these copies
                # meanwhile. A copy not where this worker last found it was
                # moved by someone else (another worker, a rebuild swapped
                # in): it is left for the next tick, from where it is now.
                # One whose row is not as this worker left it was written by
                # someone else: the rows carried for it are dropped.
                found = self.tracking.lock_many(sql, names, LIVE)
                batches = []
                for runner, at, part in parts:
                    row = found.get(runner.name)
                    if row != self._committed.get(runner.name):
                        runner.forget()
                    if row is None:
                        self._committed.pop(runner.name, None)
                        continue
                    if row[0] != at:
                        left[runner.name] = row  # where the next tick reads from
                        continue
                    batch = runner.send(sql, at, part, locked=True)
                    assert batch is not None  # locked: the move is not refused
                    batches.append((batch, part))
                for batch, part in batches:
                    state = batch.apply(decode)
                    runner = batch.runner
                    done.append((runner, state, part[-1].id, len(part)))
                    left[runner.name] = (part[-1].id, batch.stamp)
        except Exception as error:
            self._committed.clear()
            for runner, _, _ in parts:
                runner.forget()
            if is_outage(error):
                log.warning("projections: the database is unavailable: %s", error)
                for runner, _, _ in parts:
                    self._pause(runner, INFRASTRUCTURE_BACKOFF)
                return 0
            return sum(
                self._apply_alone(runner, at, part, decode)
                for runner, at, part in parts
            )
        self._committed.update(left)
        moved = 0
        for runner, state, end, taken in done:
            runner.committed(state, end)
            moved += taken
        for runner, _, _ in parts:
            self._resume_at.pop(runner.name, None)
        return moved

    def _apply_alone(
        self,
        runner: Runner,
        at: int,
        part: Sequence[Notification],
        decode: DecodedOnce,
    ) -> int:
        """One view's part in its own transaction(s): a faulty event is
        found and recorded, and the view paused before retrying."""
        try:
            moved = runner.consume(at, part, decode)
        except ProjectionFailed as failed:
            log.error(
                "projections: %s; retrying in %.0fs",
                failed,
                self.settings.retry_interval,
            )
            self._pause(runner, self.settings.retry_interval)
            return 0
        except Exception:
            log.exception("projections: %s could not read or write", runner.name)
            self._pause(runner, INFRASTRUCTURE_BACKOFF)
            return 0
        self._resume_at.pop(runner.name, None)
        return moved

    def do_chores(self) -> bool:
        """Runs each periodic chore that is due; a failing one is logged.
        True if one has more to do at once (its next step is due now)."""
        if not self.chores_held:
            return False
        now = time.monotonic()
        more = False
        for index, (every, chore) in enumerate(self.chores):
            if self._chore_due[index] > now:
                continue
            self._chore_due[index] = now + every
            try:
                unfinished = chore()
            except Exception:
                log.exception("projections: a periodic chore failed")
                continue
            if unfinished is True:
                self._chore_due[index] = now
                more = True
        return more

    def _pause(self, runner: Runner, seconds: float) -> None:
        self._resume_at[runner.name] = time.monotonic() + seconds

    def run(self) -> None:
        """Runs until :meth:`stop` (or Ctrl-C in the foreground)."""
        wakeup = Wakeup(self.source, self.stopping)
        wakeup.listen()
        try:
            began = time.monotonic()
            for runner in self.runners:
                runner.prepare()
            self.warm_up()
            while not self.stopping.is_set():
                self._lease_if_due()
                if self.tick() == 0:
                    if not self.ready.is_set() and not self._resume_at:
                        self._say_ready(time.monotonic() - began)
                    if not self.do_chores():
                        wakeup.wait(min(self.settings.poll_interval, LEASE_INTERVAL))
        finally:
            wakeup.close()
            if self.shares is not None:
                self.shares.close()

    def warm_up(self) -> None:
        """Makes what each view's first event would otherwise wait for
        (:attr:`Projection.warm`), before any batch; a failure is logged and
        left to the first event, which meets it again. Then, if
        :attr:`freeze_heap`, freezes the heap as it stands (``gc.freeze``)."""
        for runner in self.runners:
            warm = runner.projection.warm
            if warm is None or self.stopping.is_set():
                continue
            began = time.monotonic()
            try:
                warm()
            except Exception:
                log.exception("projections: could not warm up %s", runner.name)
                continue
            log.info(
                "projections: %s warmed up in %.1fs",
                runner.name,
                time.monotonic() - began,
            )
        if self.freeze_heap:
            freeze_startup_heap()

    def _say_ready(self, seconds: float) -> None:
        """The first time every view is caught up (none paused by a
        failure): logged (what a supervisor or a benchmark waits for) and
        :attr:`ready` set."""
        self.ready.set()
        log.info(
            "projections: ready in %.1fs, %d views caught up with the log",
            seconds,
            len(self.active),
        )

    def _lease_if_due(self) -> None:
        if self.shares is None or time.monotonic() < self._leases_due:
            return
        self._leases_due = time.monotonic() + LEASE_INTERVAL
        try:
            self.take_leases()
        except Exception:
            log.exception("projections: could not look at the view leases")

    def start(self) -> None:
        """Runs in a background thread (inside ``appeals serve``)."""
        self._thread = threading.Thread(
            target=self._run_logged, name="appeals-projections", daemon=True
        )
        self._thread.start()

    def _run_logged(self) -> None:
        try:
            self.run()
        except Exception:
            log.exception("projections: the worker stopped")

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
