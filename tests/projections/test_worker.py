"""The live worker: woken by the store on PostgreSQL, and a failed projection
does not hold up the others."""

from __future__ import annotations

import dataclasses
import gc
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from appeals.application.audit import checkpoint_chore, verify_log
from appeals.application.service import AppealLedger
from appeals.bootstrap import events_of
from appeals.domain import commands as cmd
from appeals.infra.checkpoints import Checkpoint, CheckpointStore
from appeals.infra.settings import ProjectionSettings
from appeals.projections import appeal_list, category_month
from appeals.projections.runtime.rebuild import rebuild
from appeals.projections.runtime.storage import LIVE
from appeals.projections.runtime.tracking import Tracking
from appeals.projections.runtime.worker import Wakeup, Worker
from tests.builders import MARKET_UNIT, receive
from tests.domain.lifecycle_fixtures import DISPATCHER
from tests.support.ledger import five_events
from tests.support.views import (
    PROJECTIONS,
    events,
    failing_on_unit,
    folded,
    notifications,
    stored,
)


def test_on_postgresql_a_commit_wakes_the_waiting_worker(
    ledger: AppealLedger,
) -> None:
    wakeup = Wakeup(events_of(ledger), threading.Event())
    wakeup.listen()  # before anything is read, so no commit can slip by
    try:
        receive(ledger)
        on_postgres = ledger.database.engine == "postgres"
        # SQLite has no notifications: the worker polls.
        assert wakeup.wait(timeout=60.0 if on_postgres else 0.01) is on_postgres
    finally:
        wakeup.close()


def test_a_failed_projection_does_not_hold_up_the_others(
    ledger: AppealLedger,
) -> None:
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=MARKET_UNIT), DISPATCHER)
    receive(ledger)
    broken = failing_on_unit(MARKET_UNIT)
    worker = Worker(
        events_of(ledger),
        [broken, category_month.PROJECTION],
        ProjectionSettings(batch_size=2),
    )
    for runner in worker.runners:
        runner.prepare()
    while worker.tick():
        pass
    tracking = Tracking(ledger.database)
    head = ledger.recorder.max_notification_id()
    assert tracking.position("category_month", LIVE) == head
    stopped = tracking.read("appeal_list", LIVE)
    assert stopped is not None
    assert stopped.failure is not None
    assert stopped.position < stopped.failure.position <= head
    assert worker.tick() == 0  # left alone until its retry interval has passed


@contextmanager
def _running(worker: Worker) -> Iterator[Worker]:
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def test_the_worker_warms_its_views_up_before_the_first_event_and_then_says_ready(
    ledger: AppealLedger,
) -> None:
    receive(ledger)
    warmed: list[str] = []
    applied_warm: list[bool] = []

    def apply(event: Any, state: Any) -> Any:
        applied_warm.append(warmed == ["warm"])
        return appeal_list.apply(event, state)

    view = dataclasses.replace(
        appeal_list.PROJECTION, apply=apply, warm=lambda: warmed.append("warm")
    )
    worker = Worker(events_of(ledger), [view], ProjectionSettings(poll_interval=0.01))
    with _running(worker):
        assert worker.ready.wait(60.0)
        head = ledger.recorder.max_notification_id()
        assert Tracking(ledger.database).position("appeal_list", LIVE) == head
    assert warmed == ["warm"]  # once
    assert applied_warm
    assert all(applied_warm)  # every event came after it


def test_a_worker_of_its_own_freezes_the_heap_once_warm_and_a_thread_does_not(
    ledger: AppealLedger,
) -> None:
    receive(ledger)
    gc.unfreeze()
    try:
        for freeze, frozen in ((False, False), (True, True)):
            worker = Worker(
                events_of(ledger),
                [appeal_list.PROJECTION],
                ProjectionSettings(poll_interval=0.01),
                freeze_heap=freeze,
            )
            with _running(worker):
                assert worker.ready.wait(60.0)
                assert (gc.get_freeze_count() > 0) is frozen
    finally:
        gc.unfreeze()  # back to the collector: this is a test process


def test_a_view_stopped_by_a_failure_keeps_the_worker_from_saying_ready(
    ledger: AppealLedger,
) -> None:
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=MARKET_UNIT), DISPATCHER)
    tracking = Tracking(ledger.database)
    worker = Worker(
        events_of(ledger),
        [failing_on_unit(MARKET_UNIT)],
        ProjectionSettings(poll_interval=0.01, retry_interval=600.0),
    )
    with _running(worker):
        for _ in range(600):  # at most 60 s
            stopped = tracking.read("appeal_list", LIVE)
            if stopped is not None and stopped.failure is not None:
                break
            threading.Event().wait(0.1)
        else:
            raise AssertionError("the failure was never recorded")
        # Many idle ticks later it still has not said ready.
        assert not worker.ready.wait(0.5)


def test_the_worker_extends_the_audit_checkpoints_when_idle(
    ledger: AppealLedger,
) -> None:
    five_events(ledger)
    worker = Worker(
        events_of(ledger),
        [],
        ProjectionSettings(),
        chores=[(60.0, checkpoint_chore(ledger.event_log, ledger.clock))],
    )
    worker.do_chores()
    checkpoints = CheckpointStore(ledger.database).all()
    assert checkpoints[-1].position == ledger.event_log.head()
    assert verify_log(ledger.event_log, checkpoints).clean
    five_events(ledger)
    worker.do_chores()  # not due again for a minute
    assert CheckpointStore(ledger.database).all() == checkpoints


def test_a_checkpoint_backlog_is_chained_a_step_at_a_time(
    ledger: AppealLedger,
) -> None:
    """A log far ahead of its checkpoints (restored, imported) is chained one
    bounded step per chore run, due again at once, so that the views' batches
    come between the steps instead of waiting for the whole backlog."""
    for _ in range(3):
        five_events(ledger)
    positions = [record.position for record in ledger.event_log.stream()]
    worker = Worker(
        events_of(ledger),
        [],
        ProjectionSettings(),
        chores=[(60.0, checkpoint_chore(ledger.event_log, ledger.clock, step=4))],
    )
    store = CheckpointStore(ledger.database)
    reached = []
    while True:
        more = worker.do_chores()
        last = store.last()
        assert last is not None
        reached.append(last.position)
        if not more:
            break
    assert reached == positions[3::4] + ([positions[-1]] if len(positions) % 4 else [])
    assert verify_log(ledger.event_log, store.all()).clean
    five_events(ledger)
    assert worker.do_chores() is False  # caught up: not due again for a minute
    assert store.last() == Checkpoint(reached[-1], store.all()[-1].digest)


def _counting(worker: Worker) -> dict[str, Any]:
    """Counts the worker's reads of the log, its decodes (by position) and
    its write transactions."""
    source = worker.source
    counts: dict[str, Any] = {"reads": 0, "decoded": Counter(), "writes": 0}
    read, decode, begin = source.read, source.decode, source.database.transaction

    def counted_read(start: int, limit: int) -> Any:
        counts["reads"] += 1
        return read(start, limit)

    def counted_decode(notification: Any) -> Any:
        counts["decoded"][notification.id] += 1
        return decode(notification)

    def counted_transaction(**options: Any) -> Any:
        counts["writes"] += 1
        return begin(**options)

    source.read = counted_read  # type: ignore[method-assign]
    source.decode = counted_decode  # type: ignore[method-assign]
    source.database.transaction = counted_transaction  # type: ignore[method-assign]
    return counts


def test_one_read_one_decode_and_one_commit_serve_every_view(
    ledger: AppealLedger,
) -> None:
    for _ in range(3):
        five_events(ledger)
    views = list(PROJECTIONS)
    source = events_of(ledger)
    worker = Worker(source, views, ProjectionSettings(batch_size=1000))
    for runner in worker.runners:
        runner.prepare()
    counts = _counting(worker)
    head = ledger.recorder.max_notification_id()
    logged = len(list(notifications(ledger)))
    assert worker.tick() == logged * len(views)
    assert counts["reads"] == 1
    assert counts["writes"] == 1  # every view's batch in one commit
    assert set(counts["decoded"].values()) == {1}  # each event decoded once
    tracking = Tracking(ledger.database)
    assert {tracking.position(v.name, LIVE) for v in views} == {head}
    for view in views:
        assert stored(ledger, view) == folded(view, events(ledger))
    assert worker.tick() == 0


def test_a_view_far_behind_does_not_hold_back_the_others(
    ledger: AppealLedger,
) -> None:
    five_events(ledger)
    source = events_of(ledger)
    settings = ProjectionSettings(batch_size=2)
    ahead = Worker(source, [category_month.PROJECTION], settings)
    ahead.runners[0].prepare()
    while ahead.tick():
        pass
    five_events(ledger)  # new events for the view at the head
    worker = Worker(
        source, [category_month.PROJECTION, appeal_list.PROJECTION], settings
    )
    for runner in worker.runners:
        runner.prepare()
    tracking = Tracking(ledger.database)
    before = tracking.position("category_month", LIVE)
    assert tracking.position("appeal_list", LIVE) == 0
    assert worker.tick() == 4  # one batch of 2 for each view
    assert tracking.position("appeal_list", LIVE) == 2
    assert tracking.position("category_month", LIVE) == before + 2
    while worker.tick():
        pass
    head = ledger.recorder.max_notification_id()
    for view in (category_month.PROJECTION, appeal_list.PROJECTION):
        assert tracking.position(view.name, LIVE) == head
        assert stored(ledger, view) == folded(view, events(ledger))


def _selects_from(worker: Worker, table: str) -> list[str]:
    """Records the SELECTs from ``table`` made in the worker's write
    transactions from now on."""
    database = worker.source.database
    begin = database.transaction
    seen: list[str] = []

    @contextmanager
    def watched(**options: Any) -> Iterator[Any]:
        with begin(**options) as sql:
            execute = sql.execute

            def counted(statement: str, params: Any = ()) -> Any:
                if statement.lstrip().startswith("SELECT") and table in statement:
                    seen.append(statement)
                return execute(statement, params)

            sql.execute = counted  # type: ignore[method-assign]
            yield sql

    database.transaction = watched  # type: ignore[method-assign]
    return seen


def test_the_live_worker_carries_its_rows_from_batch_to_batch(
    ledger: AppealLedger,
) -> None:
    receive(ledger)
    worker = Worker(
        events_of(ledger), [category_month.PROJECTION], ProjectionSettings()
    )
    worker.runners[0].prepare()
    assert worker.tick() > 0
    receive(ledger)
    selects = _selects_from(worker, "category_month")
    assert worker.tick() > 0
    assert selects == []  # the month's counter came from memory
    view = category_month.PROJECTION
    assert stored(ledger, view) == folded(view, events(ledger))


def test_a_copy_swapped_in_meanwhile_is_read_not_the_rows_carried(
    ledger: AppealLedger,
) -> None:
    skipped = receive(ledger).appeal_id
    receive(ledger)
    source = events_of(ledger)
    worker = Worker(source, [category_month.PROJECTION], ProjectionSettings())
    worker.runners[0].prepare()
    assert worker.tick() > 0  # carries the month's counter: 2 appeals
    # A rebuild swapped in at the same position, by a view that leaves the
    # first appeal out: the copy now says 1, unlike what the worker carries.
    leaves_one_out = dataclasses.replace(
        category_month.PROJECTION,
        apply=lambda event, state: (
            [] if event.originator_id == skipped else category_month.apply(event, state)
        ),
    )
    rebuild(source, leaves_one_out)
    receive(ledger)
    assert worker.tick() > 0
    # Built on the copy swapped in (1 + 1), not on the rows carried (2 + 1).
    assert stored(ledger, category_month.PROJECTION) == folded(
        leaves_one_out, events(ledger)
    )


def test_every_views_reads_are_sent_before_any_view_applies_its_batch(
    ledger: AppealLedger,
) -> None:
    """In a pipeline, reads sent one after another wait for one answer: the
    step's reads of every view are all sent before the first is applied."""
    five_events(ledger)
    views = list(PROJECTIONS)
    worker = Worker(events_of(ledger), views, ProjectionSettings())
    for runner in worker.runners:
        runner.prepare()
    seen: list[str] = []
    database = worker.source.database
    begin = database.transaction

    @contextmanager
    def watched(**options: Any) -> Iterator[Any]:
        with begin(**options) as sql:
            send = sql.send

            def sent(statement: str, params: Any = ()) -> Any:
                seen.append("read")
                return send(statement, params)

            sql.send = sent
            yield sql

    database.transaction = watched  # type: ignore[method-assign]
    for view in views:
        runner = next(r for r in worker.runners if r.projection is view)
        runner.projection = dataclasses.replace(
            view,
            apply=lambda event, state, apply=view.apply: (
                seen.append("apply") or apply(event, state)
            ),
        )
    assert worker.tick() > 0
    assert "read" in seen
    assert "apply" in seen
    assert seen.index("apply") > max(i for i, s in enumerate(seen) if s == "read")
    for view in views:
        assert stored(ledger, view) == folded(view, events(ledger))


def test_the_worker_reads_positions_once_and_meets_a_copy_moved_meanwhile(
    ledger: AppealLedger,
) -> None:
    receive(ledger)
    source = events_of(ledger)
    view = category_month.PROJECTION
    worker = Worker(source, [view], ProjectionSettings())
    worker.runners[0].prepare()
    asked = []
    positions = worker.tracking.positions

    def counted(target: str) -> dict[str, int]:
        asked.append(target)
        return positions(target)

    worker.tracking.positions = counted  # type: ignore[method-assign]
    assert worker.tick() > 0
    receive(ledger)
    assert worker.tick() > 0
    assert asked == [LIVE]  # then known from its own commit
    # Someone else (another worker, before the leases settle) moves the copy
    # past the next events: the worker must not apply them a second time.
    receive(ledger)
    other = Worker(source, [view], ProjectionSettings())
    assert other.tick() > 0
    receive(ledger)
    for _ in range(3):
        worker.tick()
    head = ledger.recorder.max_notification_id()
    assert Tracking(ledger.database).position(view.name, LIVE) == head
    assert stored(ledger, view) == folded(view, events(ledger))
