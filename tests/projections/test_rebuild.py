"""Rebuilding from all history while the live view keeps serving, on SQLite
and PostgreSQL: the same rows as the view kept live, resumable, swapped in
atomically (again and again) while the worker and writers carry on."""

from __future__ import annotations

import dataclasses
import gc
import os
import threading
from typing import Any
from uuid import uuid4

import pytest

from appeals.application.service import AppealLedger
from appeals.bootstrap import events_of, open_ledger
from appeals.demo.planner import generate_demo
from appeals.infra.clock import FixedClock
from appeals.infra.database import Sql
from appeals.infra.heap import BATCH_YOUNG_THRESHOLD
from appeals.infra.settings import ProjectionSettings, Settings
from appeals.projections import appeal_list, assessment, enterprise_ledger, timeliness
from appeals.projections.registry import projections
from appeals.projections.runtime import storage
from appeals.projections.runtime.model import Projection, Put, Table
from appeals.projections.runtime.parallel import groups, rebuild_in_processes
from appeals.projections.runtime.rebuild import (
    CARRIED_ROWS_TOGETHER,
    rebuild,
    rebuild_partitioned,
    rebuild_together,
)
from appeals.projections.runtime.runner import Runner, prepare, status
from appeals.projections.runtime.storage import (
    LIVE,
    REBUILD,
    CarriedRows,
    Dropped,
    transaction,
)
from appeals.projections.runtime.tracking import Tracking
from appeals.projections.runtime.worker import Worker
from devtools.pgcluster import PostgresServer
from tests.builders import receive
from tests.support.views import (
    PROJECTIONS,
    caught_up,
    decodes_counted,
    demo,
    events,
    folded,
    notifications,
    stored,
)

LIVE_SETTINGS = ProjectionSettings(batch_size=200, poll_interval=0.02)


class Interrupted(Exception):
    """Stands for Ctrl-C during a rebuild."""


KEPT_LIVE_APPEALS = 240
"""Enough history for the worker to take it in many batches while it is
written (thousands of events: every batch size below is crossed several
times) over three months of working days, escalations and month boundaries
included; 1000 appeals over six months asserted the same in four times the
time (~57 s per store, 45% of the suite)."""


@pytest.mark.slow
def test_a_view_kept_live_while_history_was_written_equals_a_rebuilt_one(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    worker = Worker(events_of(ledger), PROJECTIONS, LIVE_SETTINGS)
    worker.start()
    try:
        generate_demo(ledger, clock, appeals=KEPT_LIVE_APPEALS, months=3)
    finally:
        worker.stop()
    kept_live = {}
    for projection in PROJECTIONS:
        caught_up(ledger, projection)  # the few events after the worker stopped
        kept_live[projection.name] = stored(ledger, projection)
    assert len(kept_live["appeal_list"]["appeal_list"]) == KEPT_LIVE_APPEALS

    for projection in PROJECTIONS:
        rebuilt = rebuild(events_of(ledger), projection, batch_size=500, restart=True)
        assert rebuilt.position == ledger.recorder.max_notification_id()
        assert stored(ledger, projection) == kept_live[projection.name]

    # Every view in one pass over the log, rows carried in memory and evicted.
    outcomes = rebuild_together(
        events_of(ledger), PROJECTIONS, batch_size=500, restart=True, carried_rows=300
    )
    assert all(o.rebuilt is not None for o in outcomes), outcomes
    for projection in PROJECTIONS:
        assert stored(ledger, projection) == kept_live[projection.name]


def test_an_interrupted_rebuild_resumes_while_the_live_view_serves(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    demo(ledger, clock)
    projection = enterprise_ledger.PROJECTION
    live = caught_up(ledger, projection)
    serving = stored(ledger, projection)

    def interrupt(position: int, head: int) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        rebuild(events_of(ledger), projection, batch_size=100, progress=interrupt)

    assert stored(ledger, projection) == serving
    partial = Tracking(ledger.database).position(projection.name, REBUILD)
    head = ledger.recorder.max_notification_id()
    assert 0 < partial < head
    (under_way,) = [s for s in status(events_of(ledger)) if s.tracked.target == REBUILD]
    assert under_way.lag_events == head - partial

    receive(ledger)  # history goes on meanwhile
    live.catch_up()
    done = rebuild(events_of(ledger), projection, batch_size=100)
    assert done.resumed_from == partial
    assert done.position == ledger.recorder.max_notification_id()
    assert stored(ledger, projection) == folded(projection, events(ledger))
    assert Tracking(ledger.database).read(projection.name, REBUILD) is None


def test_a_view_can_be_rebuilt_again_and_keeps_its_indexes(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    demo(ledger, clock, appeals=20)
    projection = appeal_list.PROJECTION
    caught_up(ledger, projection)
    for _ in range(2):
        rebuild(events_of(ledger), projection)
    receive(ledger)  # the live copy takes new events after the swaps
    caught_up(ledger, projection)
    assert stored(ledger, projection) == folded(projection, events(ledger))
    assert {
        "view_appeal_list_by_receipt",
        "view_appeal_list_by_status",
        "view_appeal_list_by_unit",
        "view_appeal_list_by_uscc",
    } <= index_names(ledger, "view_appeal_list")


def test_a_rebuild_swaps_in_while_the_worker_and_writers_carry_on(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    demo(ledger, clock, appeals=30)
    worker = Worker(events_of(ledger), PROJECTIONS, LIVE_SETTINGS)
    worker.start()
    writer = threading.Thread(target=lambda: [receive(ledger) for _ in range(60)])
    try:
        writer.start()
        for projection in PROJECTIONS:
            rebuild(events_of(ledger), projection, batch_size=50)
        writer.join()
    finally:
        worker.stop()
    for projection in PROJECTIONS:
        caught_up(ledger, projection)
        assert stored(ledger, projection) == folded(projection, events(ledger))


def index_names(ledger: AppealLedger, table: str) -> set[str]:
    if ledger.database.engine == "sqlite":
        statement = (
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
        )
        params: tuple[str, ...] = (table,)
    else:
        schema = getattr(ledger.database.datastore, "schema")  # noqa: B009
        statement = (
            "SELECT indexname FROM pg_indexes WHERE schemaname = ? AND tablename = ?"
        )
        params = (schema, table)
    with transaction(ledger.database, write=False) as sql:
        return {str(row[0]) for row in sql.execute(statement, params).all()}


def test_status_shows_how_far_each_live_copy_is_behind(
    ledger: AppealLedger,
) -> None:
    for _ in range(3):
        receive(ledger)
    head = ledger.recorder.max_notification_id()
    caught_up(ledger, appeal_list.PROJECTION)
    receive(ledger)
    (shown,) = [
        s
        for s in status(events_of(ledger))
        if (s.name, s.tracked.target) == ("appeal_list", LIVE)
    ]
    assert shown.tracked.position == head
    assert shown.lag_events == ledger.recorder.max_notification_id() - head
    assert shown.lag_seconds is not None


@pytest.mark.parametrize("carried_rows", [0, 7, 50_000])
def test_rows_carried_between_batches_leave_the_rebuilt_view_unchanged(
    ledger: AppealLedger, clock: FixedClock, carried_rows: int
) -> None:
    """However few shared rows fit in memory (evicted ones are read again,
    new ones known absent only while nothing was dropped under their key's
    first column), the rebuilt view is the fold of the history."""
    demo(ledger, clock, appeals=60)
    history = events(ledger)
    for projection in PROJECTIONS:
        rebuild(
            events_of(ledger),
            projection,
            batch_size=40,
            restart=True,
            carried_rows=carried_rows,
        )
        assert stored(ledger, projection) == folded(projection, history)


@pytest.mark.parametrize("carried_rows", [0, 7, 50_000])
def test_every_view_rebuilt_in_one_pass_is_the_fold_of_history(
    ledger: AppealLedger,
    clock: FixedClock,
    carried_rows: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One pass over the log: each event decoded once for every view, the
    fold an event produced shared by the four views that keep one, rows and
    folds carried between batches (evicted and read back when few fit)."""
    demo(ledger, clock, appeals=60)
    history = events(ledger)
    source = events_of(ledger)
    decoded = decodes_counted(monkeypatch, source)
    hits = timeliness.SHARED.hits
    outcomes = rebuild_together(
        source, PROJECTIONS, batch_size=40, restart=True, carried_rows=carried_rows
    )
    head = ledger.recorder.max_notification_id()
    assert [(o.name, o.failure) for o in outcomes] == [
        (p.name, None) for p in PROJECTIONS
    ]
    assert all(o.rebuilt is not None and o.rebuilt.position == head for o in outcomes)
    assert len(decoded) == len(set(decoded))  # never twice
    assert timeliness.SHARED.hits > hits
    for projection in PROJECTIONS:
        assert stored(ledger, projection) == folded(projection, history)


def test_rows_written_in_bulk_are_the_same_rows(
    ledger: AppealLedger, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL every table's rows go by COPY and an upsert from the
    staged rows (twice per table: rows new and rows changed); the live
    copies and a rebuild both equal the fold."""
    monkeypatch.setattr(storage, "COPY_FROM", 1)
    demo(ledger, clock, appeals=30)
    history = events(ledger)
    for projection in PROJECTIONS:
        caught_up(ledger, projection, batch_size=50)
        assert stored(ledger, projection) == folded(projection, history)
    outcomes = rebuild_together(
        events_of(ledger), PROJECTIONS, batch_size=50, restart=True
    )
    assert all(o.failure is None for o in outcomes)
    for projection in PROJECTIONS:
        assert stored(ledger, projection) == folded(projection, history)


def test_a_view_an_event_stops_leaves_the_others_rebuilt_in_the_same_pass(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    demo(ledger, clock, appeals=20)
    history = events(ledger)
    good = appeal_list.PROJECTION
    seen = 0

    def apply(event: Any, state: Any) -> list[Any]:
        nonlocal seen
        seen += 1
        if seen >= 50:
            raise RuntimeError("a bug meets its event")
        return []

    broken = Projection(
        name="broken_list",
        tables=(),
        topics=good.topics,
        apply=apply,
    )
    outcomes = rebuild_together(
        events_of(ledger), [broken, good], batch_size=30, restart=True
    )
    assert outcomes[0].rebuilt is None
    assert "a bug meets its event" in str(outcomes[0].failure)
    assert outcomes[1].rebuilt is not None
    assert stored(ledger, good) == folded(good, history)
    stopped = Tracking(ledger.database).read("broken_list", REBUILD)
    assert stopped is not None
    assert stopped.failure is not None


CREATE_WRITTEN = """
CREATE TABLE IF NOT EXISTS {table} (
    event TEXT NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL
)
"""


def test_rows_that_cannot_be_written_stop_their_view_at_their_event_alone(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """A row the database refuses fails when the batch is written, after
    every event of it was applied: the batch is rolled back and retried one
    event a transaction, so the view keeps every event before the faulty one
    and stops at it, and the views beside it in the pass are rebuilt whole."""
    demo(ledger, clock, appeals=20)
    history = events(ledger)
    log = list(notifications(ledger))
    good = appeal_list.PROJECTION
    folds = next(p for p in PROJECTIONS if p.name == timeliness.NAME)
    target = [n for n in log if n.topic in good.topics][60]
    table = Table(
        name="written",
        columns=("event", "version"),
        key=("event",),
        create=CREATE_WRITTEN,
    )

    def apply(event: Any, state: Any) -> list[Any]:
        faulty = (event.originator_id, event.originator_version) == (
            target.originator_id,
            target.originator_version,
        )
        version = None if faulty else event.originator_version  # NOT NULL
        name = f"{event.originator_id}@{event.originator_version}"
        return [Put(table, {"event": name, "version": version})]

    refusing = Projection(
        name="refusing", tables=(table,), topics=good.topics, apply=apply
    )
    outcomes = rebuild_together(
        events_of(ledger), [refusing, good, folds], batch_size=40, restart=True
    )
    assert [o.rebuilt is None for o in outcomes] == [True, False, False]
    stopped = Tracking(ledger.database).read("refusing", REBUILD)
    assert stopped is not None
    assert stopped.failure is not None
    assert stopped.failure.position == target.id
    assert stopped.position == max(
        n.id for n in log if n.id < target.id
    )  # every event before it kept
    before = [
        f"{n.originator_id}@{n.originator_version}"
        for n in log
        if n.topic in good.topics and n.id < target.id
    ]
    rows = stored(ledger, refusing, target=REBUILD)["written"]
    assert sorted(row["event"] for row in rows) == sorted(before)
    for projection in (good, folds):
        assert stored(ledger, projection) == folded(projection, history)


def test_a_view_that_loads_much_to_fold_goes_first_alone_and_lets_go(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """``Projection.release`` (the catalogue's tokenizer): that view is
    rebuilt in a pass of its own before the others and released once
    swapped in, so the others' pass never holds it; every view equals its
    fold."""
    demo(ledger, clock, appeals=10)
    history = events(ledger)
    applied: list[str] = []
    released: list[int] = []

    def spying(view: Projection, release: Any = None) -> Projection:
        def apply(event: Any, state: Any) -> list[Any]:
            applied.append(view.name)
            return view.apply(event, state)

        return dataclasses.replace(view, apply=apply, release=release)

    heavy = spying(
        enterprise_ledger.PROJECTION, release=lambda: released.append(len(applied))
    )
    light = spying(appeal_list.PROJECTION)
    outcomes = rebuild_together(
        events_of(ledger), [light, heavy], batch_size=30, restart=True
    )
    assert [(o.name, o.failure) for o in outcomes] == [
        (light.name, None),
        (heavy.name, None),
    ]
    others_from = applied.index(light.name)
    assert others_from > 0
    assert set(applied[:others_from]) == {heavy.name}
    assert heavy.name not in applied[others_from:]
    assert released == [others_from]  # after its own pass, before the others'
    for view in (light, heavy):
        assert stored(ledger, view) == folded(view, history)


def test_a_rebuild_collects_the_young_generation_seldom_and_puts_it_back(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """While a rebuild folds, the youngest generation is collected every
    ``BATCH_YOUNG_THRESHOLD`` allocations (appeals.infra.heap); the
    process's thresholds are as they were once it returns."""
    demo(ledger, clock, appeals=3)
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    def apply(event: Any, state: Any) -> list[Any]:
        seen.append(gc.get_threshold())
        return appeal_list.PROJECTION.apply(event, state)

    view = dataclasses.replace(appeal_list.PROJECTION, apply=apply)
    rebuild(events_of(ledger), view, batch_size=30, restart=True)
    assert seen
    assert {t[0] for t in seen} == {max(BATCH_YOUNG_THRESHOLD, before[0])}
    assert {t[1:] for t in seen} == {before[1:]}
    assert gc.get_threshold() == before


def test_views_are_split_into_groups_of_about_equal_work() -> None:
    split = groups(PROJECTIONS, 2)
    assert sorted(p.name for g in split for p in g) == sorted(
        p.name for p in PROJECTIONS
    )
    costs = [sum(p.cost for p in g) for g in split]
    assert max(costs) - min(costs) <= max(p.cost for p in PROJECTIONS)
    assert len(groups(PROJECTIONS[:1], 4)) == 1


def test_a_dropped_prefix_is_never_forgotten() -> None:
    dropped = Dropped(bits=1 << 12)  # small: many false alarms, no misses
    kept = [("view", f"appeal-{n}") for n in range(2000)]
    for prefix in kept:
        dropped.add(prefix)
    assert all(prefix in dropped for prefix in kept)
    roomy = Dropped()
    for prefix in kept:
        roomy.add(prefix)
    others = [("view", f"other-{n}") for n in range(2000)]
    assert sum(prefix in roomy for prefix in others) < 20


def test_absent_rows_take_no_place_among_the_carried_while_their_absence_is_known() -> (
    None
):
    """Rows of a complete copy: an absent one goes without saying (it is not
    carried and its dropping marks nothing), so the rows that are there keep
    their places; under a prefix once dropped an absence is carried, since
    only the carried row can say it without a query."""
    carried = CarriedRows(limit=2)
    carried.complete = True
    there = {"appeal": "a1"}
    carried.keep({("folds", ("a1",)): there, ("exclusions", ("a1",)): None})
    assert len(carried) == 1
    assert carried.lookup(("exclusions", ("a1",))) == (True, None)
    carried.keep({("folds", ("a2",)): {"appeal": "a2"}})
    carried.keep({("exclusions", ("a2",)): None, ("exclusions", ("a3",)): None})
    assert carried.lookup(("folds", ("a1",))) == (True, there)  # not crowded out
    carried.keep({("folds", ("a3",)): {"appeal": "a3"}})  # drops a2's fold
    assert carried.lookup(("folds", ("a2",))) == (False, None)  # read it again
    assert carried.lookup(("exclusions", ("a2",))) == (True, None)
    carried.keep({("folds", ("a2",)): None})  # deleted, under a dropped prefix
    assert carried.lookup(("folds", ("a2",))) == (True, None)
    incomplete = CarriedRows(limit=2)  # the copy had rows before: ask
    incomplete.keep({("exclusions", ("a1",)): None})
    assert incomplete.lookup(("exclusions", ("a1",))) == (True, None)
    assert incomplete.lookup(("exclusions", ("a9",))) == (False, None)


def test_a_rebuild_carries_the_rows_its_view_reads_back_not_those_it_only_writes(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """The timeliness view reads each appeal's fold (and its days' counts of
    changes) and only writes its cycles: the folds and counts are carried
    from batch to batch, the cycles are not (they would crowd the folds out
    and have them read again)."""
    demo(ledger, clock, appeals=40)
    view = next(p for p in PROJECTIONS if p.name == timeliness.NAME)
    runner = Runner(events_of(ledger), view, target=REBUILD, batch_size=30)
    runner.prepare()
    carried: set[str] = set()
    while runner.step():
        assert runner.carried is not None
        carried |= runner.carried.tables
    assert carried == {timeliness.FOLDS.name, timeliness.DAYS.name}
    assert timeliness.CYCLES.written_only
    assert stored(ledger, runner.projection, REBUILD) == folded(
        runner.projection, events(ledger)
    )


def test_a_batch_reads_its_appeals_assessed_cycles_at_once_and_carries_none(
    ledger: AppealLedger, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The assessment view reads back the cycles an event changes (the
    verdicts recorded on them): a batch reads them with its appeals' other
    cycles, one query per batch and not one per cycle, live and rebuilding,
    and a rebuild does not carry them (they crowded the folds out)."""
    demo(ledger, clock, appeals=40)
    view = next(p for p in PROJECTIONS if p.name == assessment.NAME)
    assert assessment.CYCLES.read_by_appeal
    executed: list[str] = []
    execute = Sql.execute

    def counted(sql: Sql, statement: str, params: Any = ()) -> Sql:
        executed.append(statement)
        return execute(sql, statement, params)

    monkeypatch.setattr(Sql, "execute", counted)
    for target in (LIVE, REBUILD):
        runner = Runner(events_of(ledger), view, target=target, batch_size=30)
        statements = runner.copy.statements(assessment.CYCLES)
        runner.prepare()
        executed.clear()
        batches = 0
        carried: set[str] = set()
        while runner.step():
            batches += 1
            if runner.carried is not None:
                carried |= runner.carried.tables
        assert statements.select not in executed, target
        reads = sum(s.startswith(statements.select_many) for s in executed)
        assert 0 < reads <= batches, target
        if target == REBUILD:
            assert assessment.FOLDS.name in carried
            assert assessment.CYCLES.name not in carried
    assert (
        stored(ledger, view, REBUILD)
        == stored(ledger, view)
        == folded(view, events(ledger))
    )


def test_carried_rows_are_dropped_when_another_runner_moves_the_copy(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """Two rebuilds of one view taking turns (two processes, say): each finds
    the copy moved by the other and reads its rows afresh."""
    demo(ledger, clock, appeals=40)
    projection = next(p for p in PROJECTIONS if p.name == "accountability")
    first = Runner(events_of(ledger), projection, target=REBUILD, batch_size=30)
    second = Runner(events_of(ledger), projection, target=REBUILD, batch_size=30)
    first.prepare()
    for _ in range(20):  # past the organisation's records, which it ignores
        assert first.step() == 30
        if first.carried is not None and len(first.carried):
            break
    assert first.carried is not None
    carried = len(first.carried)
    assert carried > 0
    assert first.carried.complete
    assert second.step() == 30  # moves the copy under first's carried rows
    assert first.step() == 30
    assert first.carried.complete is False  # it saw the copy moved
    while second.step() + first.step():
        pass  # taking turns to the end
    assert first.position() == ledger.recorder.max_notification_id()
    assert stored(ledger, projection, REBUILD) == folded(projection, events(ledger))


def test_views_rebuilt_in_parallel_processes_equal_the_fold_of_history(
    postgres_server: PostgresServer, clock: FixedClock
) -> None:
    schema = f"p_{uuid4().hex[:12]}"
    url = postgres_server.url()
    url = f"{url}{'&' if '?' in url else '?'}schema={schema}"
    settings = Settings.from_env({**os.environ, "APPEALS_DATABASE_URL": url})
    ledger = open_ledger(settings, clock=clock)
    try:
        demo(ledger, clock, appeals=30)
        history = events(ledger)
        chosen = projections(ledger.rules.timekeeping)
        prepare(events_of(ledger), chosen)
        seen: dict[str, int] = {}

        def update(name: str, position: int, head: int) -> None:
            seen[name] = max(seen.get(name, 0), position)

        outcomes = rebuild_in_processes(
            chosen, settings, jobs=2, batch_size=100, update=update
        )
        head = ledger.recorder.max_notification_id()
        assert [o.name for o in outcomes] == [p.name for p in chosen]
        for outcome in outcomes:
            assert outcome.failure is None
            assert outcome.rebuilt is not None
            assert outcome.rebuilt.position == head
        assert seen == {p.name: head for p in chosen}  # progress came back
        for projection in chosen:
            assert stored(ledger, projection) == folded(projection, history)
    finally:
        ledger.close()
        with postgres_server.connect() as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def maintained(ledger: AppealLedger, table: str) -> tuple[int, int]:
    """How often ``table`` was vacuumed and analysed by hand (autovacuum's
    runs are counted apart)."""
    statement = (
        "SELECT vacuum_count, analyze_count FROM pg_stat_user_tables "
        "WHERE schemaname = ? AND relname = ?"
    )
    schema = getattr(ledger.database.datastore, "schema")  # noqa: B009
    with transaction(ledger.database, write=False) as sql:
        found = sql.execute(statement, (schema, table)).one()
    assert found is not None
    return int(found[0]), int(found[1])


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
@pytest.mark.parametrize("parts", [1, 2])
def test_a_view_swapped_in_is_vacuumed_and_analysed(
    ledger: AppealLedger, clock: FixedClock, parts: int
) -> None:
    """The overdue counts read a fresh timeliness table through its indexes
    alone only once VACUUM has marked its pages all-visible (and the planner
    knows its size only once analysed): the rebuild does both when it swaps
    the view in, not autovacuum some time later."""
    demo(ledger, clock, appeals=20)
    source = events_of(ledger)
    (projection,) = (p for p in PROJECTIONS if p.name == timeliness.NAME)
    if parts == 1:
        rebuild(source, projection)
    else:
        rebuild_partitioned(source, [projection], parts=parts)
    for table in projection.tables:
        assert maintained(ledger, "view_" + table.name) == (1, 1), table.name


def test_a_view_rebuilt_alone_carries_no_more_rows_than_its_own_bound(
    ledger: AppealLedger, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass of every view shares ``CARRIED_ROWS_TOGETHER`` among them; a
    view alone (``rebuild timeliness``, and each part of it when split) is
    given no more than ``CARRIED_ROWS``, not the whole: a fold row is
    several kilobytes, and one view given every row of a pass peaked at
    520 MiB and more."""
    limits: list[int] = []
    keep = CarriedRows.__init__

    def counted(self: CarriedRows, limit: int = storage.CARRIED_ROWS) -> None:
        limits.append(limit)
        keep(self, limit)

    monkeypatch.setattr(CarriedRows, "__init__", counted)
    demo(ledger, clock, appeals=10)
    source = events_of(ledger)
    alone = [timeliness.projection(ledger.rules.timekeeping)]
    for rebuilt in (
        lambda: rebuild_together(source, alone, restart=True),
        lambda: rebuild_partitioned(source, alone, parts=2, restart=True),
    ):
        limits.clear()
        outcomes = rebuilt()
        assert [o.failure for o in outcomes] == [None]
        assert limits, "a rebuild runner carries rows"
        assert max(limits) == storage.CARRIED_ROWS < CARRIED_ROWS_TOGETHER
    limits.clear()
    rebuild_together(source, PROJECTIONS, restart=True)
    shares = set(limits)
    assert shares == {CARRIED_ROWS_TOGETHER // len(PROJECTIONS)}, shares
