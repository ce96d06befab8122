"""Verifying the whole log, with checkpoints, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from appeals.application.audit import export_records, extend_checkpoints, verify_log
from appeals.application.service import AppealLedger
from appeals.domain import commands as cmd
from appeals.infra.checkpoints import CheckpointStore
from appeals.infra.clock import SHANGHAI, FixedClock
from tests.domain.lifecycle_fixtures import HANDLER
from tests.support.ledger import five_events, originator, run_sql


def checkpoints(ledger: AppealLedger, every: int = 7) -> CheckpointStore:
    store = CheckpointStore(ledger.database)
    store.create_table()
    extend_checkpoints(ledger.event_log, store, ledger.clock.now(), every=every)
    return store


def test_a_clean_log_verifies_against_its_checkpoints(ledger: AppealLedger) -> None:
    for _ in range(3):
        five_events(ledger)
    store = checkpoints(ledger)
    head = ledger.event_log.head()
    positions = [c.position for c in store.all()]
    assert positions[-1] == head
    assert len(positions) == head // 7 + (1 if head % 7 else 0)
    result = verify_log(ledger.event_log, store.all())
    assert result.clean
    assert (result.events, result.appeals) == (head, 3)
    assert result.checkpoints_matched == len(positions)


def test_a_limited_extension_stops_with_a_checkpoint_the_next_goes_on_from(
    ledger: AppealLedger,
) -> None:
    for _ in range(3):
        five_events(ledger)
    store = CheckpointStore(ledger.database)
    store.create_table()
    positions = [record.position for record in ledger.event_log.stream()]
    now = ledger.clock.now()
    first = extend_checkpoints(ledger.event_log, store, now, every=2, limit=5)
    # every 2 events, and one where the step stopped
    assert [c.position for c in first] == [positions[1], positions[3], positions[4]]
    assert store.last() == first[-1]
    while extend_checkpoints(ledger.event_log, store, now, every=100, limit=5):
        pass
    assert store.all()[-1].position == positions[-1]
    result = verify_log(ledger.event_log, store.all())
    assert result.clean
    assert result.events == len(positions)


def test_checkpoints_extend_from_where_they_stopped(ledger: AppealLedger) -> None:
    five_events(ledger)
    store = checkpoints(ledger, every=1000)
    first = store.all()
    five_events(ledger)
    extend_checkpoints(ledger.event_log, store, ledger.clock.now(), every=1000)
    assert store.all()[: len(first)] == first
    assert store.all()[-1].position == ledger.event_log.head()
    assert verify_log(ledger.event_log, store.all()).clean


def test_an_edited_payload_is_found_with_its_location(ledger: AppealLedger) -> None:
    appeal_id = five_events(ledger)
    store = checkpoints(ledger)
    (stored,) = [
        e for e in ledger.recorder.select_events(appeal_id) if e.originator_version == 4
    ]
    run_sql(
        ledger,
        "UPDATE {table} SET state = ? "
        "WHERE originator_id = ? AND originator_version = 4",
        stored.state.replace("已约谈企业".encode(), "已办结".encode()),
        originator(ledger, appeal_id),
    )
    finding = verify_log(ledger.event_log, store.all()).finding
    assert finding is not None
    assert (finding.appeal, finding.version) == (appeal_id, 4)
    assert finding.position == ledger.position_of(appeal_id, 4)


def test_removing_an_appeals_latest_events_is_caught_by_the_checkpoint(
    ledger: AppealLedger,
) -> None:
    appeal_id = five_events(ledger)
    store = checkpoints(ledger)
    run_sql(
        ledger,
        "DELETE FROM {table} WHERE originator_id = ? AND originator_version = 5",
        originator(ledger, appeal_id),
    )
    assert ledger.verify_appeal(appeal_id) is None  # the appeal's chain alone holds
    finding = verify_log(ledger.event_log, store.all()).finding
    assert finding is not None
    assert "missing" in finding.reason


def test_verifying_from_the_latest_checkpoint_checks_only_what_follows(
    ledger: AppealLedger,
) -> None:
    appeal_id = five_events(ledger)
    store = checkpoints(ledger, every=1000)
    ledger.execute(appeal_id, cmd.NoteProgress(note="补充说明"), HANDLER)
    latest = store.all()[-1]
    result = verify_log(ledger.event_log, store.all(), start=latest)
    assert result.clean
    assert result.events == 1


def test_export_streams_events_in_a_business_time_window(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    five_events(ledger)
    clock.set(datetime(2026, 10, 20, 10, tzinfo=SHANGHAI))
    five_events(ledger)
    window = list(
        export_records(ledger.event_log, datetime(2026, 10, 15, tzinfo=SHANGHAI), None)
    )
    appeal_events = [e for e in window if e["type"].startswith("Appeal.")]
    assert len(appeal_events) == 5
    assert all(e["business_time"].startswith("2026-10-20") for e in window)
    assert [e["position"] for e in window] == sorted(e["position"] for e in window)


def test_an_edited_unit_event_is_found_like_an_appeals(ledger: AppealLedger) -> None:
    from appeals.application.registry import Registry
    from appeals.domain.organisation import RenameUnit
    from tests.support.organisation import REGISTRATIONS
    from tests.support.registry import ADMIN, HRSS

    registry = Registry(ledger)
    unit_id = registry.register(HRSS, ADMIN).record.id
    registry.change("SZ-HRSS", RenameUnit(name_zh="苏州市人社局"), ADMIN)
    five_events(ledger)
    store = checkpoints(ledger)
    clean = verify_log(ledger.event_log, store.all())
    assert clean.clean
    # chained records: the appeal, the unit, the test organisation's five
    # and the enterprise its first appeal registered
    assert (clean.appeals, clean.records) == (1, 1 + 1 + len(REGISTRATIONS) + 1)
    # rename the unit in the stored history, leaving the checkpoints alone
    # (a tamperer who also rewrote them: the record's own chain still breaks)
    (stored,) = [
        e for e in ledger.recorder.select_events(unit_id) if e.originator_version == 1
    ]
    run_sql(
        ledger,
        "UPDATE {table} SET state = ? "
        "WHERE originator_id = ? AND originator_version = 1",
        stored.state.replace(
            "苏州市人力资源和社会保障局".encode(), "苏州市财政局".encode()
        ),
        originator(ledger, unit_id),
    )
    finding = verify_log(ledger.event_log, []).finding
    assert finding is not None
    assert (finding.appeal, finding.version, finding.kind) == (unit_id, 1, "unit")
    assert finding.reason == "the hash does not match the content"
    assert f"unit {unit_id}" in finding.describe()
