"""The projection runtime on real stores (SQLite and PostgreSQL): the SQL view
equals the pure fold, batches are atomic with their position, ignored events
advance it, a failing projection stops at the failing event."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from appeals.application.service import AppealLedger
from appeals.bootstrap import events_of
from appeals.domain import commands as cmd
from appeals.domain.appeal import Appeal
from appeals.infra.availability import DatabaseUnavailable
from appeals.infra.clock import FixedClock
from appeals.projections import appeal_list, timeliness
from appeals.projections.lifecycle import topics_of
from appeals.projections.runtime import model
from appeals.projections.runtime.model import (
    Change,
    Projection,
    Put,
    Remove,
    State,
    Table,
    WrittenOnly,
    fold,
    id_text,
)
from appeals.projections.runtime.runner import ProjectionFailed, Runner, status
from appeals.projections.runtime.storage import (
    LIVE,
    PREFIX,
    existing_indexes,
    existing_tables,
    transaction,
)
from tests.builders import MARKET_UNIT, receive
from tests.domain.lifecycle_fixtures import DISPATCHER
from tests.support.views import (
    PROJECTIONS,
    Crash,
    caught_up,
    crashing_after,
    demo,
    events,
    failing_on_unit,
    folded,
    stored,
)

OPEN_APPEALS = Table(
    name="open_appeals",
    columns=("appeal_id", "ticket"),
    key=("appeal_id",),
    create="CREATE TABLE IF NOT EXISTS {table} "
    "(appeal_id TEXT NOT NULL PRIMARY KEY, ticket TEXT NOT NULL)",
    per_appeal=True,
)


def open_appeal_rows(event: Any, state: State) -> list[Change]:
    if isinstance(event, Appeal.Received):
        return [
            Put(
                OPEN_APPEALS,
                {"appeal_id": str(event.originator_id), "ticket": event.ticket},
            )
        ]
    return [Remove(OPEN_APPEALS, (str(event.originator_id),))]


OPEN_ONLY = Projection(
    name="open_appeals",
    tables=(OPEN_APPEALS,),
    topics=topics_of(Appeal.Received, Appeal.Closed, Appeal.Withdrawn, Appeal.Merged),
    apply=open_appeal_rows,
)


@pytest.mark.parametrize("projection", [*PROJECTIONS, OPEN_ONLY], ids=lambda p: p.name)
def test_the_stored_view_equals_the_pure_fold_of_the_log(
    ledger: AppealLedger, clock: FixedClock, projection: Projection
) -> None:
    demo(ledger, clock)
    caught_up(ledger, projection, batch_size=97)
    assert stored(ledger, projection) == folded(projection, events(ledger))


def test_ignored_events_still_advance_the_position(ledger: AppealLedger) -> None:
    # the receipt, two index claims and the enterprise's registration (its
    # first appeal): the view ignores the last three
    receive(ledger, external_id="ext-1")
    head = ledger.recorder.max_notification_id()
    last = ledger.recorder.select_notifications(start=head, limit=1)[0]
    assert last.topic == "Enterprise.Registered"
    assert last.topic not in appeal_list.PROJECTION.topics
    runner = caught_up(ledger, appeal_list.PROJECTION)
    assert runner.position() == head
    ignoring = dataclasses.replace(
        appeal_list.PROJECTION, name="ignores_everything", topics=frozenset()
    )
    assert caught_up(ledger, ignoring).position() == head


@pytest.mark.empty_organisation  # counts every event in the log
def test_a_batch_takes_at_most_batch_size_events(ledger: AppealLedger) -> None:
    for _ in range(4):
        receive(ledger)  # two events each, and the enterprise's registration
    runner = Runner(events_of(ledger), appeal_list.PROJECTION, batch_size=3)
    runner.prepare()
    assert [runner.step() for _ in range(4)] == [3, 3, 3, 0]
    assert runner.position() == ledger.recorder.max_notification_id()


def test_a_crash_mid_batch_leaves_neither_rows_nor_position(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    demo(ledger, clock, appeals=20)
    runner = Runner(events_of(ledger), appeal_list.PROJECTION, batch_size=50)
    runner.prepare()
    for _ in range(20):  # past the organisation's records, into the appeals
        runner.step()
        if stored(ledger, appeal_list.PROJECTION)["appeal_list"]:
            break
    before = (runner.position(), stored(ledger, appeal_list.PROJECTION))
    crashing = Runner(events_of(ledger), crashing_after(30), batch_size=50)
    with pytest.raises(Crash):
        crashing.step()
    assert (runner.position(), stored(ledger, appeal_list.PROJECTION)) == before
    runner.catch_up()
    assert stored(ledger, appeal_list.PROJECTION) == folded(
        appeal_list.PROJECTION, events(ledger)
    )


def test_a_batch_read_before_another_worker_moved_is_not_applied_twice(
    ledger: AppealLedger,
) -> None:
    for _ in range(3):
        receive(ledger)
    first, second = (
        Runner(events_of(ledger), appeal_list.PROJECTION) for _ in range(2)
    )
    first.prepare()
    batch = ledger.recorder.select_notifications(start=1, limit=100)
    assert second.step() == len(batch)
    with transaction(ledger.database, write=True) as sql:
        assert not first.apply(sql, 0, batch)
    assert stored(ledger, appeal_list.PROJECTION) == folded(
        appeal_list.PROJECTION, events(ledger)
    )


def test_a_database_outage_mid_batch_is_not_a_failed_event(
    ledger: AppealLedger,
) -> None:
    """The store going away while a batch is applied stops nothing: no failure
    is recorded against any event, and the next step applies the batch."""
    for _ in range(3):
        receive(ledger)
    calls = 0

    def apply(event: Any, state: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise DatabaseUnavailable("the database went away")
        return appeal_list.apply(event, state)

    flaky = dataclasses.replace(appeal_list.PROJECTION, apply=apply)
    runner = Runner(events_of(ledger), flaky, batch_size=1000)
    runner.prepare()
    with pytest.raises(DatabaseUnavailable):
        runner.step()
    tracked = runner.tracking.read("appeal_list", LIVE)
    assert tracked is not None
    assert tracked.failure is None
    assert runner.position() == 0  # the batch rolled back whole
    runner.catch_up()
    assert stored(ledger, appeal_list.PROJECTION) == folded(
        appeal_list.PROJECTION, events(ledger)
    )


def test_a_failing_projection_stops_at_the_failing_event(
    ledger: AppealLedger,
) -> None:
    ids = [receive(ledger).appeal_id for _ in range(3)]
    ledger.execute(ids[0], cmd.Assign(unit="SZ-RSJ"), DISPATCHER)
    bad = ledger.execute(ids[1], cmd.Assign(unit=MARKET_UNIT), DISPATCHER)
    ledger.execute(ids[2], cmd.Assign(unit="SZ-SWJ"), DISPATCHER)
    broken = Runner(events_of(ledger), failing_on_unit(MARKET_UNIT), batch_size=1000)
    broken.prepare()

    with pytest.raises(ProjectionFailed) as raised:
        broken.catch_up()

    failure = raised.value.failure
    assert failure.position == bad.position
    assert failure.topic == "Appeal.Assigned"
    assert failure.event == f"{ids[1]}@2"
    assert f"ValueError: cannot handle {MARKET_UNIT}" in failure.error
    assert broken.position() < failure.position
    assert stored(ledger, appeal_list.PROJECTION) == folded(
        appeal_list.PROJECTION, events(ledger, before=failure.position)
    )
    (shown,) = [s for s in status(events_of(ledger)) if s.name == "appeal_list"]
    assert shown.tracked.failure == failure
    assert (
        shown.lag_events
        == ledger.recorder.max_notification_id() - shown.tracked.position
    )
    with pytest.raises(ProjectionFailed):
        broken.step()  # it does not move past the event on a second try
    assert broken.position() < failure.position

    fixed = caught_up(ledger, appeal_list.PROJECTION)  # a corrected release
    tracked = fixed.tracking.read("appeal_list", LIVE)
    assert tracked is not None
    assert tracked.failure is None
    assert stored(ledger, appeal_list.PROJECTION) == folded(
        appeal_list.PROJECTION, events(ledger)
    )


def test_a_view_reading_a_table_it_declared_written_only_fails_loudly(
    ledger: AppealLedger,
) -> None:
    """``written_only`` rows are not carried between a rebuild's batches, so
    a view that read them back would read what is not there: it may not."""
    written_only = dataclasses.replace(OPEN_APPEALS, written_only=True)

    def reads_back(event: Any, state: State) -> list[Change]:
        state.get(written_only, (str(event.originator_id),))
        return []

    view = dataclasses.replace(
        OPEN_ONLY, name="reads_back", tables=(written_only,), apply=reads_back
    )
    receive(ledger)
    with pytest.raises(WrittenOnly, match="open_appeals is written only"):
        fold(view, events(ledger))
    runner = Runner(events_of(ledger), view, batch_size=1000)
    runner.prepare()
    with pytest.raises(ProjectionFailed) as raised:
        runner.catch_up()
    assert "WrittenOnly" in raised.value.failure.error
    assert runner.position() < raised.value.failure.position


@pytest.mark.empty_organisation  # copies the log's first event, a receipt
def test_fields_a_view_does_not_know_are_ignored(ledger: AppealLedger) -> None:
    receive(ledger)
    original = ledger.recorder.select_notifications(start=1, limit=1)[0]
    state = orjson.loads(original.state)
    state["resolve_due_under_a_future_policy"] = "2027-01-01T09:00:00+08:00"
    newer = StoredEvent(
        originator_id=uuid4(),
        originator_version=1,
        topic=original.topic,
        state=orjson.dumps(state),
    )
    ledger.recorder.insert_events([newer])
    for projection in PROJECTIONS:
        caught_up(ledger, projection)
    rows = stored(ledger, appeal_list.PROJECTION)["appeal_list"]
    assert {row["appeal_id"] for row in rows} == {
        str(original.originator_id),
        str(newer.originator_id),
    }


def test_a_live_copy_made_by_an_earlier_release_gets_this_releases_indexes(
    ledger: AppealLedger, caplog: pytest.LogCaptureFixture
) -> None:
    """The upgrade from a release whose timeliness cycles had the open ones by
    deadline and not the climbing stages' index, nor a table of days: a
    runner prepared on that copy makes the table, creates the new index and
    drops the retired one, all at the first start, and the rows stay."""
    receive(ledger)
    view = timeliness.projection(ledger.rules.timekeeping)
    runner = caught_up(ledger, view)
    kept = (timeliness.FOLDS.name, timeliness.CYCLES.name)
    before = {name: stored(ledger, view)[name] for name in kept}
    database = ledger.database
    with transaction(database, write=True) as sql:
        sql.execute(f"DROP INDEX {database.table('view_timeliness_cycles_climbing')}")
        sql.execute(
            "CREATE INDEX view_timeliness_cycles_open_by_due ON "
            f"{database.table('view_timeliness_cycles')} (due) WHERE is_open = 1"
        )
        sql.execute(f"DROP TABLE {database.table('view_timeliness_days')}")
    caplog.set_level("INFO", logger="appeals.projections.runtime.runner")
    Runner(events_of(ledger), view).prepare()
    with transaction(database, write=False) as sql:
        names = existing_indexes(sql)
        tables = existing_tables(sql)
    assert "view_timeliness_days" in tables
    assert "view_timeliness_cycles_climbing" in names
    assert "view_timeliness_cycles_open_by_due" not in names
    assert "timeliness: 1 index(es) made for this release" in caplog.text
    assert "timeliness: 1 index(es) dropped for this release" in caplog.text
    assert {name: stored(ledger, view)[name] for name in kept} == before
    assert runner.catch_up() == ledger.recorder.max_notification_id()
    caplog.clear()
    Runner(events_of(ledger), view).prepare()  # up to date: nothing to do
    assert "index(es)" not in caplog.text


def test_a_table_declares_an_index_or_retires_it_not_both() -> None:
    index = "CREATE INDEX IF NOT EXISTS {name}_due ON {table} (due)"
    with pytest.raises(ValueError, match="both declared and retired"):
        dataclasses.replace(
            timeliness.CYCLES, indexes=(index,), retired=("{name}_due",)
        )
    with pytest.raises(ValueError, match="an index without a name"):
        dataclasses.replace(timeliness.CYCLES, indexes=("CREATE INDEX ON {table} (x)",))
    with pytest.raises(ValueError, match="read_by_appeal"):
        dataclasses.replace(timeliness.CYCLES, read_by_appeal=True)  # written only


def test_every_index_name_fits_postgresqls_identifiers() -> None:
    """PostgreSQL cuts a name past 63 bytes, and a cut name would never be
    found among the existing indexes: every prepare would create it again."""
    names = []
    for projection in PROJECTIONS:
        for table in projection.tables:
            for prefix in PREFIX.values():
                bare = prefix + table.name
                declared = (*table.index_names, *table.retired)
                names.extend(name.format(name=bare) for name in declared)
    assert "view_timeliness_cycles_open_by_due" in names
    assert [name for name in names if len(name.encode()) > 63] == []


def test_an_ids_text_is_its_str_remembered_and_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(model, "_id_texts", {})
    monkeypatch.setattr(model, "ID_TEXTS", 3)
    ids = [uuid4() for _ in range(4)]
    texts = [id_text(i) for i in ids]
    assert texts == [str(i) for i in ids]
    assert id_text(ids[3]) is texts[3]  # remembered: the same text again
    assert len(model._id_texts) == 1  # the fourth started again: never over 3
    assert id_text(texts[0]) is texts[0]  # an id stored as text is its text
