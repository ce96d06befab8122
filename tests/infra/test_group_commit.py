"""Group commit on PostgreSQL (appeals/infra/group_commit.py) keeps every
guarantee of the library's insert: a follower of the log misses nothing,
each save commits whole or not at all, and only the conflicting save of a
batch fails."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from appeals.application.service import AppealLedger
from appeals.bootstrap import open_ledger
from appeals.domain import commands as cmd
from appeals.infra.clock import FixedClock
from appeals.infra.group_commit import GroupCommitRecorder
from appeals.infra.settings import Settings
from devtools.pgcluster import PostgresServer
from tests.builders import receive
from tests.domain.lifecycle_fixtures import DISPATCHER, HANDLER, UNIT
from tests.support.organisation import register_test_organisation
from tests.support.stored_events import probe_event as event


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    schema = f"g_{uuid4().hex[:16]}"
    url = postgres_server.url()
    yield f"{url}{'&' if '?' in url else '?'}schema={schema}"
    with postgres_server.connect() as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def open_pg(url: str, clock: FixedClock, **env: str) -> AppealLedger:
    return open_ledger(
        Settings.from_env({"APPEALS_DATABASE_URL": url, **env}), clock=clock
    )


def recorder_of(ledger: AppealLedger) -> GroupCommitRecorder:
    recorder = ledger.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    return recorder


def test_group_commit_is_the_default_and_can_be_turned_off(
    pg_url: str, clock: FixedClock
) -> None:
    on = open_pg(pg_url, clock)
    off = open_pg(pg_url, clock, APPEALS_GROUP_COMMIT="0")
    try:
        assert isinstance(on.recorder, GroupCommitRecorder)
        assert not isinstance(off.recorder, GroupCommitRecorder)
        # Both write the same log: an appeal saved by one is read by the other.
        first = receive(on).appeal_id
        second = receive(off).appeal_id
        assert off.get(first).version == 1
        assert on.get(second).version == 1
    finally:
        on.close()
        off.close()


class TableLock:
    """Holds the events table's lock from another connection, so the next
    insert blocks and the saves after it queue up behind it."""

    def __init__(self, server: PostgresServer, recorder: GroupCommitRecorder) -> None:
        self.server = server
        self.table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold)
        self.locked = threading.Event()

    def _hold(self) -> None:
        with self.server.connect() as conn, conn.transaction():
            conn.execute(f"LOCK TABLE {self.table} IN EXCLUSIVE MODE")
            self.locked.set()
            self.release.wait(30)

    def __enter__(self) -> TableLock:
        self.thread.start()
        assert self.locked.wait(30)
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self.thread.join(30)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def queue_behind_the_first(
    recorder: GroupCommitRecorder, threads: list[threading.Thread]
) -> None:
    """Starts the first save (it leads, and blocks on the held lock), then the
    rest, and waits until they all queue behind it."""
    threads[0].start()
    wait_until(lambda: recorder._leading)
    for thread in threads[1:]:
        thread.start()
    wait_until(lambda: len(recorder._queue) == len(threads) - 1)


def test_saves_queued_behind_an_insert_commit_together_and_only_the_conflict_fails(
    pg_url: str, clock: FixedClock, postgres_server: PostgresServer
) -> None:
    ledger = open_pg(pg_url, clock)
    try:
        recorder = recorder_of(ledger)
        taken = uuid4()
        recorder.insert_events([event(taken, 1)])
        originators = [uuid4() for _ in range(5)]
        outcomes: dict[int, object] = {}

        def save(n: int) -> None:
            # Saves 1..4 queue behind save 0; save 3 collides with `taken`.
            events = (
                [event(taken, 1)]
                if n == 3
                else [event(originators[n], 1), event(originators[n], 2)]
            )
            try:
                outcomes[n] = recorder.insert_events(events)
            except IntegrityError as error:
                outcomes[n] = error

        threads = [threading.Thread(target=save, args=(n,)) for n in range(5)]
        with TableLock(postgres_server, recorder):
            queue_behind_the_first(recorder, threads)
            assert recorder.batches == 0
        for thread in threads:
            thread.join(30)

        assert recorder.batches == 1  # saves 1..4 went in one call, which failed
        assert isinstance(outcomes[3], IntegrityError)
        for n in (0, 1, 2, 4):
            ids = outcomes[n]
            assert isinstance(ids, list)
            assert len(ids) == 2
            assert ids[1] == ids[0] + 1  # a save's events are contiguous
            stored = recorder.select_events(originators[n])
            assert [e.originator_version for e in stored] == [1, 2]
        # The conflicting save wrote nothing; the taken one is untouched.
        assert len(recorder.select_events(taken)) == 1
        positions = [n.id for n in recorder.select_notifications(1, 100)]
        assert positions == sorted(positions)
        assert len(positions) == 1 + 4 * 2
    finally:
        ledger.close()


def test_a_batch_without_conflict_commits_in_one_call_with_ids_in_order(
    pg_url: str, clock: FixedClock, postgres_server: PostgresServer
) -> None:
    ledger = open_pg(pg_url, clock)
    try:
        recorder = recorder_of(ledger)
        recorder.insert_events([event(uuid4(), 1)])
        results: dict[int, list[int]] = {}

        def save(n: int) -> None:
            results[n] = list(recorder.insert_events([event(uuid4(), 1)]) or [])

        threads = [threading.Thread(target=save, args=(n,)) for n in range(6)]
        with TableLock(postgres_server, recorder):
            queue_behind_the_first(recorder, threads)
        for thread in threads:
            thread.join(30)
        assert recorder.batches == 1
        ids = sorted(i for r in results.values() for i in r)
        assert ids == list(range(ids[0], ids[0] + 6))
    finally:
        ledger.close()


def test_two_writing_apps_and_a_tailing_reader_miss_nothing(
    pg_url: str, clock: FixedClock
) -> None:
    """Two applications (as two server processes would be), eight threads
    each, receiving and noting; a reader follows the log by position only, as
    the projection worker does, while they write. Every event committed must
    reach the reader, none twice."""
    writers = [open_pg(pg_url, clock), open_pg(pg_url, clock)]
    register_test_organisation(writers[0])
    reader = open_pg(pg_url, clock)
    stop = threading.Event()
    seen: list[tuple[str, int]] = []

    def follow() -> None:
        position = 0
        while True:
            done = stop.is_set()
            batch = reader.event_log.after(position, 500)
            for record in batch:
                seen.append((str(record.originator_id), record.version))
                position = record.position
            if done and not batch:
                return

    def write(ledger: AppealLedger) -> None:
        for _ in range(15):
            appeal_id = receive(ledger).appeal_id
            ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
            ledger.execute(appeal_id, cmd.Accept(), HANDLER)
            ledger.execute(appeal_id, cmd.NoteProgress(note="已联系银行"), HANDLER)

    follower = threading.Thread(target=follow)
    follower.start()
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(write, [w for w in writers for _ in range(8)]))
    finally:
        stop.set()
        follower.join(60)
    try:
        every = [(str(r.originator_id), r.version) for r in reader.event_log.stream()]
        assert len(seen) == len(set(seen))
        assert sorted(seen) == sorted(every)
        assert len(every) >= 16 * 15 * 4  # four events per appeal, and claims
    finally:
        for ledger in (*writers, reader):
            ledger.close()
