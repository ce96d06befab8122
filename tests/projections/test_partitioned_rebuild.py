"""Rebuilding the views kept per appeal in parts (appeals split by id), on
SQLite and PostgreSQL: which views may be split, the parts' rows together
equal to the fold of history, resumed, started over under another split,
stopped part by part, and swapped in from processes side by side."""

from __future__ import annotations

import os
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import resolve_topic

from appeals.application.service import AppealLedger
from appeals.bootstrap import events_of, open_ledger
from appeals.domain.appeal import Appeal
from appeals.domain.identities import enterprise_id
from appeals.domain.organisation import Enterprise
from appeals.infra.clock import FixedClock
from appeals.infra.settings import Settings
from appeals.projections import accountability, appeal_list, enterprise_ledger
from appeals.projections.registry import projections
from appeals.projections.runtime.model import (
    PART,
    Change,
    InMemoryView,
    Key,
    Projection,
    Put,
    Row,
    Table,
    fold,
)
from appeals.projections.runtime.parallel import rebuild_in_processes
from appeals.projections.runtime.rebuild import (
    prepare_partitions,
    rebuild,
    rebuild_partitioned,
    rebuild_together,
    split_of,
    swap_partitions,
)
from appeals.projections.runtime.runner import Runner, prepare
from appeals.projections.runtime.storage import (
    LIVE,
    REBUILD,
    Copy,
    Partition,
    transaction,
)
from appeals.projections.runtime.tracking import Tracking
from devtools.pgcluster import PostgresServer
from tests.builders import receive
from tests.support.views import (
    PROJECTIONS,
    caught_up,
    decodes_counted,
    demo,
    events,
    folded,
    stored,
)

SPLIT = [p for p in PROJECTIONS if p.by_appeal]
TIMELINESS = next(p for p in PROJECTIONS if p.name == "timeliness")
ACCOUNTABILITY = next(p for p in PROJECTIONS if p.name == accountability.NAME)


class Interrupted(Exception):
    """Stands for Ctrl-C during a rebuild."""


def keeps_appeals_apart(projection: Projection) -> bool:
    """What ``by_appeal`` claims, read from the declaration: every topic an
    appeal's event, every table's key led by the appeal's id."""
    topics = all(issubclass(resolve_topic(t), Appeal.Event) for t in projection.topics)
    keys = all(table.key[0] == "appeal_id" for table in projection.tables)
    return topics and keys


def keeps_counters_by_part(projection: Projection) -> bool:
    """What ``summed_by_part`` claims, read from the declaration: every topic
    an appeal's event (or an enterprise's), every table's key led by the
    appeal's id, or the credit code alone (the enterprise's own rows: the fold
    checks below that only its events write them), or, for a table of
    counters shared by appeals, ending with ``part`` (its other columns
    integers summed by the readers, or their greatest kept)."""
    topics = all(
        issubclass(resolve_topic(t), Appeal.Event | Enterprise.Event)
        for t in projection.topics
    )
    keys = all(
        table.key[0] == "appeal_id"
        or table.key == ("uscc",)
        or (table.key[-1] == PART and not table.codecs)
        for table in projection.tables
    )
    counted = any(table.key[-1] == PART for table in projection.tables)
    return topics and keys and counted


def test_the_views_split_by_appeal_are_those_whose_rows_never_meet() -> None:
    assert {p.name for p in SPLIT} == {
        "appeal_list",
        "callbacks",
        "open311_requests",
        "supervision",
    }
    for projection in PROJECTIONS:
        assert projection.by_appeal == keeps_appeals_apart(projection), projection.name


def test_the_views_split_with_counters_per_part_keep_their_shared_rows_so() -> None:
    summed = [p for p in PROJECTIONS if p.summed_by_part]
    assert sorted(p.name for p in summed) == [
        "accountability",
        "assessment",
        "enterprise_ledger",
        "timeliness",
    ]
    for projection in PROJECTIONS:
        claimed = projection.summed_by_part
        assert claimed == keeps_counters_by_part(projection), projection.name
        assert not (claimed and projection.by_appeal), projection.name
        assert projection.splits == (projection.by_appeal or claimed)


class OwnRowsOnly(InMemoryView):
    """The pure fold, checking that an event reads and writes only the rows
    of its own appeal."""

    event: Any = None

    def get(self, table: Table, key: Key) -> Row | None:
        assert key[0] == str(self.event.originator_id), (table.name, key)
        return super().get(table, key)

    def write(self, change: Change) -> None:
        key = change.table.key_of(change.row) if isinstance(change, Put) else change.key
        assert key[0] == str(self.event.originator_id), (change.table.name, key)
        super().write(change)

    def handle(self, event: Any) -> None:
        self.event = event
        super().handle(event)


class OwnRowsOrOwnPart(InMemoryView):
    """The pure fold as part ``part``: an event reads and writes only its
    own appeal's rows, or counter rows of this part; an enterprise's event
    only the rows keyed by its credit code (the part that holds the
    enterprise's id writes them)."""

    event: Any = None

    def _check(self, table: Table, key: Key) -> None:
        if isinstance(self.event, Enterprise.Event):
            assert self.event.originator_id == enterprise_id(self.event.uscc)
            assert table.key == ("uscc",), table.name
            assert key == (self.event.uscc,), (table.name, key)
        elif table.key[-1] == PART:
            assert key[-1] == self.part, (table.name, key)
        else:
            assert key[0] == str(self.event.originator_id), (table.name, key)

    def get(self, table: Table, key: Key) -> Row | None:
        self._check(table, key)
        return super().get(table, key)

    def write(self, change: Change) -> None:
        key = change.table.key_of(change.row) if isinstance(change, Put) else change.key
        self._check(change.table, key)
        super().write(change)

    def handle(self, event: Any) -> None:
        self.event = event
        super().handle(event)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("name", "counters"),
    [
        ("accountability", "accountability_daily"),
        ("assessment", "assessment_days"),
        ("enterprise_ledger", "ledger_enterprises"),
        ("timeliness", "timeliness_days"),
    ],
)
def test_a_view_summed_by_part_shares_only_its_parts_counter_rows(
    ledger: AppealLedger, clock: FixedClock, name: str, counters: str
) -> None:
    demo(ledger, clock, appeals=40)
    history = events(ledger)
    projection = next(p for p in PROJECTIONS if p.name == name)
    whole = fold(projection, history).rows(counters)
    assert whole
    assert {row[PART] for row in whole} == {0}
    view = OwnRowsOrOwnPart(projection, part=2)
    for event in history:
        view.handle(event)
    counted = view.rows(counters)
    assert {row[PART] for row in counted} == {2}
    assert [{**row, PART: 0} for row in counted] == whole


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_split_view_reads_and_writes_only_its_events_appeal(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    demo(ledger, clock, appeals=40)
    history = events(ledger)
    for projection in SPLIT:
        view = OwnRowsOnly(projection)
        for event in history:
            view.handle(event)
        assert view.tables, projection.name  # it did fold something


def test_parts_share_the_appeals_out_by_id() -> None:
    ids = [uuid4() for _ in range(300)]
    for count in (2, 3):
        parts = [Partition(index, count) for index in range(count)]
        for appeal in ids:
            assert sum(part.holds(appeal) for part in parts) == 1
            assert parts[appeal.int % count].holds(str(appeal))
        assert all(sum(part.holds(a) for a in ids) > 50 for part in parts)
        assert [Partition.of_target(p.target) for p in parts] == parts
    assert Partition.of_target(REBUILD) is None
    assert Partition.of_target(LIVE) is None
    with pytest.raises(ValueError, match="no part 2 of 2"):
        Partition(2, 2)


def rebuild_rows(ledger: AppealLedger, name: str) -> list[str]:
    """The tracking rows of the rebuilds of ``name`` under way."""
    return [t for t in Tracking(ledger.database).targets(name) if t != LIVE]


@pytest.mark.parametrize("parts", [2, 3])
def test_views_rebuilt_in_parts_equal_the_fold_of_history_and_the_live_view(
    ledger: AppealLedger,
    clock: FixedClock,
    parts: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo(ledger, clock, appeals=40)
    history = events(ledger)
    kept_live = {}
    for projection in SPLIT:
        caught_up(ledger, projection)
        kept_live[projection.name] = stored(ledger, projection)
    source = events_of(ledger)
    decoded = decodes_counted(monkeypatch, source)
    outcomes = rebuild_partitioned(
        source, SPLIT, parts=parts, batch_size=40, restart=True
    )
    head = ledger.recorder.max_notification_id()
    assert [(o.name, o.failure) for o in outcomes] == [(p.name, None) for p in SPLIT]
    assert all(o.rebuilt is not None and o.rebuilt.position == head for o in outcomes)
    # Each part decodes only its own appeals' events: each event once in all.
    assert len(decoded) == len(set(decoded))
    for projection in SPLIT:
        assert stored(ledger, projection) == folded(projection, history)
        assert stored(ledger, projection) == kept_live[projection.name]
        assert rebuild_rows(ledger, projection.name) == []
        assert Tracking(ledger.database).position(projection.name, LIVE) == head
    receive(ledger)  # the live copies carry on from the swap
    for projection in SPLIT:
        caught_up(ledger, projection)
        assert stored(ledger, projection) == folded(projection, events(ledger))


def interrupt_the_second_part() -> Any:
    """An ``update`` that stops the rebuild after the second part's first
    batch (it reports a position below the first part's last)."""
    reached = 0

    def update(name: str, position: int, head: int) -> None:
        nonlocal reached
        if position < reached:
            raise Interrupted
        reached = position

    return update


def interrupted_in_two(source: Any) -> None:
    """Timeliness rebuilt in two parts, stopped after the second part's
    first batch."""
    with pytest.raises(Interrupted):
        rebuild_partitioned(
            source,
            [TIMELINESS],
            parts=2,
            batch_size=40,
            update=interrupt_the_second_part(),
        )


def summed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Counter rows summed over ``part`` (into part 0), in key order."""
    totals: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[c] for c in accountability.KEY if c != PART)
        if key not in totals:
            totals[key] = {**row, PART: 0}
        else:
            for name in accountability.COUNTERS:
                totals[key][name] += row[name]
    return [totals[key] for key in sorted(totals)]


def reports(ledger: AppealLedger) -> list[Any]:
    """What the accountability readers answer from the live copy."""
    first, last = date(2000, 1, 1), date(2100, 1, 1)
    return [
        accountability.report(ledger.database, group, period, first, last, None)[1]
        for group in accountability.GROUPS
        for period in accountability.PERIODS
    ] + [accountability.activity(ledger.database, first, last)[1]]


def days(ledger: AppealLedger, target: str) -> list[dict[str, Any]]:
    """``select_days`` over a copy's counter table, per unit and day."""
    copy = Copy(ledger.database, ACCOUNTABILITY, target)
    with transaction(ledger.database, write=False) as sql:
        found = accountability.select_days(
            sql,
            copy.qualified(accountability.DAILY),
            "unit",
            "2000-01-01",
            "2100-01-01",
        )
    return sorted(found, key=lambda row: (row["group"], row["day"]))


def parts_caught_up(source: Any, projection: Projection, parts: int) -> list[Runner]:
    """A rebuild of ``projection`` in ``parts``, started over, each part run
    to the head one after another (not swapped in)."""
    runners = [
        Runner(source, projection, target=REBUILD, batch_size=40, partition=p)
        for p in prepare_partitions(source, projection, parts, restart=True)
    ]
    for runner in runners:
        runner.catch_up()
    return runners


@pytest.mark.parametrize("parts", [2, 3])
def test_accountability_rebuilt_in_parts_reports_as_the_live_view_and_the_fold(
    ledger: AppealLedger, clock: FixedClock, parts: int
) -> None:
    """Each part counts its own appeals' events under its own part number;
    the readers sum over parts, and the swap sums the parts into part 0, so
    the copy swapped in is row for row the fold of history."""
    demo(ledger, clock, appeals=40)
    history = events(ledger)
    caught_up(ledger, ACCOUNTABILITY)
    live_rows = stored(ledger, ACCOUNTABILITY)
    live_reports = reports(ledger)
    live_days = days(ledger, LIVE)
    assert live_rows == folded(ACCOUNTABILITY, history)
    assert any(row["resolved"] for row in live_days)
    source = events_of(ledger)
    runners = parts_caught_up(source, ACCOUNTABILITY, parts)
    # Before the swap: rows differ from the whole view's only by part.
    split = stored(ledger, ACCOUNTABILITY, REBUILD)
    daily = split["accountability_daily"]
    assert {row[PART] for row in daily} == set(range(parts))
    # At least as many rows: a (day, unit, cadre, category) whose appeals
    # fell in several parts has a row in each (how many do depends on the
    # random appeal ids, so no more is asserted).
    assert len(daily) >= len(live_rows["accountability_daily"])
    assert summed(daily) == live_rows["accountability_daily"]
    assert split["accountability_folds"] == live_rows["accountability_folds"]
    assert days(ledger, REBUILD) == live_days  # the readers sum over parts
    live = Runner(source, ACCOUNTABILITY)
    head = source.head()
    assert swap_partitions(runners, live) == head
    assert stored(ledger, ACCOUNTABILITY) == live_rows  # summed into part 0
    assert reports(ledger) == live_reports
    assert rebuild_rows(ledger, ACCOUNTABILITY.name) == []
    receive(ledger)  # the live copy carries on, in part 0
    caught_up(ledger, ACCOUNTABILITY)
    assert stored(ledger, ACCOUNTABILITY) == folded(ACCOUNTABILITY, events(ledger))


def ledgers(ledger: AppealLedger, usccs: list[str]) -> list[Any]:
    """What the enterprise-ledger reader answers for each of ``usccs``."""
    now = ledger.clock.now()
    return [
        enterprise_ledger.read_ledger(ledger.database, uscc, None, 500, now)[1:]
        for uscc in usccs
    ]


@pytest.mark.parametrize("parts", [2, 3])
def test_the_enterprise_ledger_rebuilt_in_parts_reads_as_the_live_view(
    ledger: AppealLedger, clock: FixedClock, parts: int
) -> None:
    """Each part counts its own appeals under its own part number, the
    enterprises' names in the part holding each enterprise; the swap sums the
    counters into part 0 and keeps the latest activity, so the copy swapped
    in is row for row the fold of history and the reader answers as before."""
    projection = enterprise_ledger.PROJECTION
    demo(ledger, clock, appeals=40)
    history = events(ledger)
    caught_up(ledger, projection)
    live_rows = stored(ledger, projection)
    counters = live_rows["ledger_enterprises"]
    usccs = sorted({row["uscc"] for row in counters})
    live_answers = ledgers(ledger, usccs)
    assert live_rows == folded(projection, history)
    assert len(usccs) > 1
    assert any(row["appeals"] > 1 for row in counters)
    assert live_rows["ledger_registered_names"]
    source = events_of(ledger)
    runners = parts_caught_up(source, projection, parts)
    split = stored(ledger, projection, REBUILD)
    # Every part counted some enterprise; one whose appeals fell in several
    # parts has a row in each (how many do depends on the random appeal
    # ids, so no more is asserted).
    assert {row[PART] for row in split["ledger_enterprises"]} == set(range(parts))
    assert len(split["ledger_enterprises"]) >= len(counters)
    for key in ("ledger_appeals", "ledger_registered_names"):
        assert split[key] == live_rows[key]
    live = Runner(source, projection)
    assert swap_partitions(runners, live) == source.head()
    assert stored(ledger, projection) == live_rows  # summed into part 0
    assert ledgers(ledger, usccs) == live_answers
    receive(ledger)  # the live copy carries on, in part 0
    caught_up(ledger, projection)
    assert stored(ledger, projection) == folded(projection, events(ledger))


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_the_rebuild_of_a_view_summed_by_part_splits_with_the_others(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    demo(ledger, clock, appeals=30)
    history = events(ledger)
    chosen = [TIMELINESS, ACCOUNTABILITY, enterprise_ledger.PROJECTION]
    outcomes = rebuild_partitioned(
        events_of(ledger), chosen, parts=2, batch_size=40, restart=True
    )
    assert [o.failure for o in outcomes] == [None, None, None]
    for projection in chosen:
        assert stored(ledger, projection) == folded(projection, history)


def test_the_swap_brings_every_part_from_its_own_position_to_one_end(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """Parts caught up at different times: one transaction takes each from
    where it is to the same last event, then swaps; a part more than a
    batch behind makes it wait, changing nothing."""
    demo(ledger, clock, appeals=20)
    source = events_of(ledger)
    live = caught_up(ledger, TIMELINESS)
    serving = stored(ledger, TIMELINESS)
    first, second = [
        Runner(source, TIMELINESS, target=REBUILD, batch_size=50, partition=p)
        for p in prepare_partitions(source, TIMELINESS, 2, restart=True)
    ]
    first.catch_up()
    assert swap_partitions([first, second], live) is None  # second far behind
    assert stored(ledger, TIMELINESS) == serving
    assert split_of(source, TIMELINESS) == 2
    for _ in range(2):
        receive(ledger)
    second.catch_up()
    for _ in range(2):
        receive(ledger)
    head = source.head()
    assert first.position() < second.position() < head
    assert swap_partitions([first, second], live) == head
    assert stored(ledger, TIMELINESS) == folded(TIMELINESS, events(ledger))
    assert Tracking(ledger.database).position(TIMELINESS.name, LIVE) == head
    assert split_of(source, TIMELINESS) is None


def test_an_interrupted_part_resumes_where_it_stopped(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    demo(ledger, clock, appeals=30)
    caught_up(ledger, TIMELINESS)
    serving = stored(ledger, TIMELINESS)
    source = events_of(ledger)
    head = ledger.recorder.max_notification_id()
    interrupted_in_two(source)
    tracking = Tracking(ledger.database)
    first = tracking.position(TIMELINESS.name, Partition(0, 2).target)
    second = tracking.position(TIMELINESS.name, Partition(1, 2).target)
    assert first == head
    assert 0 < second < head
    assert stored(ledger, TIMELINESS) == serving  # still serving, nothing swapped
    assert len(rebuild_rows(ledger, TIMELINESS.name)) == 2

    receive(ledger)  # history goes on meanwhile
    (outcome,) = rebuild_partitioned(source, [TIMELINESS], parts=2, batch_size=40)
    assert outcome.rebuilt is not None
    assert outcome.rebuilt.resumed_from == second
    assert outcome.rebuilt.position == ledger.recorder.max_notification_id()
    assert stored(ledger, TIMELINESS) == folded(TIMELINESS, events(ledger))
    assert rebuild_rows(ledger, TIMELINESS.name) == []


def test_a_rebuild_begun_under_another_split_starts_over(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """The rows of a part of two are not those of a part of three, nor of
    the whole: a rebuild begun otherwise is discarded, never mixed in."""
    demo(ledger, clock, appeals=30)
    source = events_of(ledger)
    history = events(ledger)

    interrupted_in_two(source)
    assert split_of(source, TIMELINESS) == 2
    (outcome,) = rebuild_partitioned(source, [TIMELINESS], parts=3, batch_size=40)
    assert outcome.rebuilt is not None
    assert outcome.rebuilt.resumed_from == 0
    assert stored(ledger, TIMELINESS) == folded(TIMELINESS, history)
    assert rebuild_rows(ledger, TIMELINESS.name) == []

    # Begun in parts, resumed whole: started over.
    interrupted_in_two(source)
    whole = rebuild(source, TIMELINESS, batch_size=40)
    assert whole.resumed_from == 0
    assert stored(ledger, TIMELINESS) == folded(TIMELINESS, history)
    assert rebuild_rows(ledger, TIMELINESS.name) == []

    # Begun whole, resumed in parts: started over.
    def stop(position: int, head: int) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        rebuild(source, TIMELINESS, batch_size=40, progress=stop)
    assert split_of(source, TIMELINESS) == 1
    (outcome,) = rebuild_partitioned(source, [TIMELINESS], parts=2, batch_size=40)
    assert outcome.rebuilt is not None
    assert outcome.rebuilt.resumed_from == 0
    assert stored(ledger, TIMELINESS) == folded(TIMELINESS, history)
    assert split_of(source, TIMELINESS) is None


def test_an_event_stopping_one_part_stops_its_view_not_the_others(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    demo(ledger, clock, appeals=20)
    history = events(ledger)
    bad = next(e.originator_id for e in history if isinstance(e, Appeal.Assigned))
    bad_part = Partition(UUID(str(bad)).int % 2, 2)

    def apply(event: Any, state: Any) -> list[Any]:
        if event.originator_id == bad and isinstance(event, Appeal.Assigned):
            raise RuntimeError("a bug meets its event")
        return []

    broken = Projection(
        name="broken_list",
        tables=(),
        topics=appeal_list.PROJECTION.topics,
        apply=apply,
        by_appeal=True,
    )
    outcomes = rebuild_partitioned(
        events_of(ledger), [broken, TIMELINESS], parts=2, batch_size=30, restart=True
    )
    assert outcomes[0].rebuilt is None
    assert "a bug meets its event" in str(outcomes[0].failure)
    assert outcomes[1].rebuilt is not None
    assert stored(ledger, TIMELINESS) == folded(TIMELINESS, history)
    stopped = Tracking(ledger.database).read("broken_list", bad_part.target)
    assert stopped is not None
    assert stopped.failure is not None
    assert stopped.failure.event.startswith(str(bad))
    # The live copy was never given the broken rebuild's position.
    assert Tracking(ledger.database).position("broken_list", LIVE) == 0


def test_views_split_over_two_processes_resume_their_parts_and_swap_in(
    postgres_server: PostgresServer, clock: FixedClock
) -> None:
    """``--jobs 2``: each child takes part K of 2 of the views kept per
    appeal (and a group of the others); the parent swaps them in. Parts run
    here to the head beforehand are resumed, not started over."""
    schema = f"p_{uuid4().hex[:12]}"
    url = postgres_server.url()
    url = f"{url}{'&' if '?' in url else '?'}schema={schema}"
    settings = Settings.from_env({**os.environ, "APPEALS_DATABASE_URL": url})
    ledger = open_ledger(settings, clock=clock)
    try:
        demo(ledger, clock, appeals=20)
        chosen = projections(ledger.rules.timekeeping)
        split = [p for p in chosen if p.by_appeal]
        source = events_of(ledger)
        prepare(source, chosen)
        for projection in split:
            prepare_partitions(source, projection, 2)
        for index in range(2):
            rebuild_together(
                source, [], partition=Partition(index, 2), partitioned=split
            )
        begun = ledger.recorder.max_notification_id()
        for _ in range(3):
            receive(ledger)
        history = events(ledger)
        outcomes = rebuild_in_processes(chosen, settings, jobs=2, batch_size=100)
        head = ledger.recorder.max_notification_id()
        assert [o.name for o in outcomes] == [p.name for p in chosen]
        for outcome, projection in zip(outcomes, chosen, strict=True):
            assert outcome.failure is None
            assert outcome.rebuilt is not None
            assert outcome.rebuilt.position == head
            expected = begun if projection.by_appeal else 0
            assert outcome.rebuilt.resumed_from == expected, projection.name
            assert stored(ledger, projection) == folded(projection, history)
            assert rebuild_rows(ledger, projection.name) == []
    finally:
        ledger.close()
        with postgres_server.connect() as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_only_a_rebuild_of_a_view_kept_per_appeal_is_split(
    ledger: AppealLedger,
) -> None:
    whole = next(p for p in PROJECTIONS if not p.splits)
    with pytest.raises(ValueError, match="only a by-appeal rebuild is split"):
        Runner(events_of(ledger), whole, target=REBUILD, partition=Partition(0, 2))
    with pytest.raises(ValueError, match="only a by-appeal rebuild is split"):
        Runner(events_of(ledger), TIMELINESS, target=LIVE, partition=Partition(0, 2))
