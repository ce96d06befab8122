"""The application on real stores: every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from appeals.application.queries import view_of
from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.bootstrap import create_storage, open_ledger
from appeals.domain import commands as cmd
from appeals.domain.errors import (
    AppealNotFound,
    CommandNotAllowed,
    InvalidCreditCode,
    VersionConflict,
)
from appeals.domain.indexes import ticket_index_id
from appeals.domain.values import Category, Channel, Outcome, Priority, Satisfaction
from appeals.infra.clock import FixedClock
from appeals.infra.settings import Settings
from tests.builders import CADRE, USCC, receive
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    INTAKE,
    SUPERVISOR,
    UNIT,
)
from tests.support.organisation import register_test_organisation


def test_full_lifecycle_round_trips_through_the_store(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = receive(ledger, title="「厂房」租赁合同纠纷 🏭").appeal_id
    steps = [
        lambda: ledger.execute(
            appeal_id, cmd.Assign(unit=UNIT, cadre=CADRE), DISPATCHER
        ),
        lambda: ledger.execute(appeal_id, cmd.Accept(), HANDLER),
        lambda: ledger.execute(appeal_id, cmd.Pause(reason="请补充合同原件"), HANDLER),
        lambda: ledger.execute(appeal_id, cmd.Resume(note="已补充"), HANDLER),
        lambda: ledger.execute(
            appeal_id,
            cmd.RequestExtension(
                requested_deadline=clock.now() + timedelta(days=10), reason="需司法确认"
            ),
            HANDLER,
        ),
        lambda: ledger.execute(
            appeal_id, cmd.DecideExtension(approve=True), SUPERVISOR
        ),
        lambda: ledger.execute(
            appeal_id, cmd.Supervise(level=1, note="请加快"), SUPERVISOR
        ),
        lambda: ledger.execute(appeal_id, cmd.NoteProgress(note="已约谈双方"), HANDLER),
        lambda: ledger.execute(
            appeal_id, cmd.Resolve(outcome=Outcome.RESOLVED, result="已调解"), HANDLER
        ),
        lambda: ledger.execute(
            appeal_id, cmd.Reply(channel=Channel.HOTLINE, content="电话告知"), HANDLER
        ),
        lambda: ledger.execute(
            appeal_id,
            cmd.Evaluate(resolved=True, satisfaction=Satisfaction.SATISFIED),
            ENTERPRISE,
        ),
        lambda: ledger.execute(appeal_id, cmd.Close(note="对账销号"), DISPATCHER),
    ]
    for version, step in enumerate(steps, start=2):
        clock.advance(timedelta(hours=1))
        result = step()
        assert result.version == version
        assert result.position is not None
    appeal = ledger.get(appeal_id)
    assert appeal.status == "closed"
    view = view_of(ledger.history(appeal_id))
    assert view.title == "「厂房」租赁合同纠纷 🏭"
    assert view.description.endswith("\n请协调。")
    assert ledger.get(appeal_id, version=3).status == "in_progress"
    assert ledger.get(appeal_id, version=4).paused is True
    assert ledger.get(appeal_id, version=1).unit is None
    stored = list(ledger.events.get(appeal_id))
    assert [e.originator_version for e in stored] == list(range(1, 14))
    assert stored[1].actor["id"] == DISPATCHER.id  # type: ignore[attr-defined]


def test_unsatisfied_evaluation_stores_the_automatic_reopen(
    ledger: AppealLedger,
) -> None:
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    ledger.execute(appeal_id, cmd.Accept(), HANDLER)
    ledger.execute(
        appeal_id, cmd.Resolve(outcome=Outcome.PARTIAL, result="部分"), HANDLER
    )
    ledger.execute(
        appeal_id, cmd.Reply(channel=Channel.HOTLINE, content="告知"), HANDLER
    )
    result = ledger.execute(
        appeal_id,
        cmd.Evaluate(resolved=False, satisfaction=Satisfaction.UNSATISFIED),
        ENTERPRISE,
    )
    assert result.version == 7
    assert ledger.get(appeal_id).status == "in_progress"


def test_ticket_numbers_are_sequential_per_day_and_findable(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    first = ledger.get(receive(ledger).appeal_id)
    second = ledger.get(receive(ledger).appeal_id)
    clock.advance(timedelta(days=1))
    next_day = ledger.get(receive(ledger).appeal_id)
    assert (first.ticket, second.ticket, next_day.ticket) == (
        "20261008-000001",
        "20261008-000002",
        "20261009-000001",
    )
    assert ledger.get_by_ticket(second.ticket).id == second.id


def test_ticket_numbers_continue_after_a_restart(
    settings: Settings, clock: FixedClock
) -> None:
    with open_ledger(settings, clock=clock) as ledger:
        receive(ledger)
    with open_ledger(settings, clock=clock) as ledger:
        assert ledger.get(receive(ledger).appeal_id).ticket == "20261008-000002"


def test_concurrent_receipts_get_distinct_ticket_numbers(
    ledger: AppealLedger,
) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: receive(ledger), range(24)))
    tickets = {ledger.get(r.appeal_id).ticket for r in results}
    assert len(tickets) == 24


def test_receiving_the_same_source_reference_twice_creates_nothing_new(
    settings: Settings, clock: FixedClock
) -> None:
    with open_ledger(settings, clock=clock) as ledger:
        first = receive(ledger, external_id="HZ-2026-000777")
        again = receive(ledger, external_id="HZ-2026-000777")
        assert first.created
        assert not again.created
        assert again.appeal_id == first.appeal_id
        position = ledger.recorder.max_notification_id()
    with open_ledger(settings, clock=clock) as restarted:
        after_restart = receive(restarted, external_id="HZ-2026-000777")
        assert after_restart.appeal_id == first.appeal_id
        assert restarted.recorder.max_notification_id() == position


def test_concurrent_retries_of_one_receipt_create_one_appeal(
    ledger: AppealLedger,
) -> None:
    barrier = threading.Barrier(8)

    def retry(_: int) -> UUID:
        barrier.wait()
        return receive(ledger, external_id="retry-me").appeal_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(retry, range(8)))
    assert len(ids) == 1
    appeals = [
        n
        for n in ledger.recorder.select_notifications(start=1, limit=1000)
        if n.topic == "Appeal.Received"
    ]
    assert len(appeals) == 1


def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(
    ledger: AppealLedger,
) -> None:
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER, expected_version=1)
    with pytest.raises(VersionConflict) as conflict:
        ledger.execute(appeal_id, cmd.Accept(), HANDLER, expected_version=1)
    assert (conflict.value.expected, conflict.value.actual) == (1, 2)
    assert ledger.get(appeal_id).version == 2


def test_many_threads_appending_to_one_appeal_lose_nothing(
    ledger: AppealLedger,
) -> None:
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    ledger.execute(appeal_id, cmd.Accept(), HANDLER)
    barrier = threading.Barrier(8)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def writer(worker: int) -> list[int]:
        versions = []
        barrier.wait()
        for n in range(10):
            try:
                result = ledger.execute(
                    appeal_id,
                    cmd.NoteProgress(note=f"worker {worker} note {n}"),
                    HANDLER,
                )
            except VersionConflict:
                with lock:
                    outcomes["conflict"] += 1
            else:
                versions.append(result.version)
                with lock:
                    outcomes["written"] += 1
        return versions

    with ThreadPoolExecutor(max_workers=8) as pool:
        written_versions = [v for vs in pool.map(writer, range(8)) for v in vs]
    assert outcomes["written"] + outcomes["conflict"] == 80
    assert outcomes["written"] >= 1
    stored = list(ledger.events.get(appeal_id))
    assert [e.originator_version for e in stored] == list(range(1, len(stored) + 1))
    assert len(stored) == 3 + outcomes["written"]
    assert sorted(written_versions) == list(range(4, 4 + outcomes["written"]))
    notes = [getattr(e, "note", None) for e in stored[3:]]
    assert len(set(notes)) == len(notes)


def test_snapshots_are_taken_and_used_for_long_histories(
    settings: Settings, clock: FixedClock
) -> None:
    with open_ledger(settings, clock=clock) as ledger:
        register_test_organisation(ledger)
        appeal_id = receive(ledger).appeal_id
        ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
        ledger.execute(appeal_id, cmd.Accept(), HANDLER)
        for n in range(60):
            ledger.execute(appeal_id, cmd.NoteProgress(note=f"进展 {n}"), HANDLER)
        assert ledger.snapshots is not None
        snapshots = list(ledger.snapshots.get(appeal_id))
        assert [s.originator_version for s in snapshots] == [50]
        assert ledger.get(appeal_id).version == 63


def test_unknown_ids_and_tickets_are_not_found(ledger: AppealLedger) -> None:
    receive(ledger)
    with pytest.raises(AppealNotFound):
        ledger.get(uuid4())
    with pytest.raises(AppealNotFound):
        ledger.get_by_ticket("20991231-000001")
    with pytest.raises(AppealNotFound):
        ledger.get(ticket_index_id("20261008-000001"))


def test_a_bad_credit_code_is_refused_and_nothing_is_written(
    ledger: AppealLedger,
) -> None:
    head = ledger.recorder.max_notification_id()
    with pytest.raises(InvalidCreditCode):
        ledger.receive_appeal(
            cmd.Receive(
                uscc="91330100716105852X",
                enterprise_name="x",
                channel=Channel.PORTAL,
                category=Category.TAX,
                priority=Priority.NORMAL,
                title="x",
            ),
            INTAKE,
        )
    assert ledger.recorder.max_notification_id() == head


def test_merging_into_a_closed_appeal_is_refused(ledger: AppealLedger) -> None:
    target = receive(ledger).appeal_id
    ledger.execute(target, cmd.Withdraw(reason="不需要了"), ENTERPRISE)
    duplicate = receive(ledger).appeal_id
    with pytest.raises(CommandNotAllowed, match="is closed"):
        ledger.execute(duplicate, cmd.Merge(into=target, reason="重复"), DISPATCHER)
    assert ledger.get(duplicate).status == "received"


def test_a_worker_that_creates_no_tables_uses_those_made_before_it(
    store: str, clock: FixedClock
) -> None:
    """`appeals serve` creates every table once (bootstrap), then tells its
    workers so by argument: they create nothing and work on what is there."""
    settings = Settings.from_env({"APPEALS_DATABASE_URL": store})
    create_storage(settings)
    worker = open_ledger(settings, clock=clock, storage_ready=True)
    try:
        result = receive(worker)
        assert worker.get(result.appeal_id).ticket.endswith("-000001")
        assert worker.event_log.history(result.appeal_id)[0].recorded_at is not None
    finally:
        worker.close()


def test_the_first_appeal_of_an_enterprise_registers_it_in_the_same_transaction(
    ledger: AppealLedger,
) -> None:
    """受理即登记: the registration is saved with the receipt, by the intake
    actor, with the name typed then (blanks trimmed); a later receipt with
    another name neither registers it again nor renames it."""
    registry = Registry(ledger)
    assert registry.enterprise(USCC) is None
    head = ledger.recorder.max_notification_id() or 0

    def receipt(name: str) -> UUID:
        command = cmd.Receive(
            uscc=USCC,
            enterprise_name=name,
            channel=Channel.HOTLINE,
            category=Category.TAX,
            priority=Priority.NORMAL,
            title="留抵退税咨询",
        )
        return ledger.receive_appeal(command, INTAKE).appeal_id

    first = receipt(" 杭州某某科技有限公司 ")
    enterprise = registry.enterprise(USCC)
    assert enterprise is not None
    assert (enterprise.name, enterprise.locality) == ("杭州某某科技有限公司", "330100")
    assert enterprise.version == 1
    written = ledger.recorder.select_notifications(start=head + 1, limit=10)
    # one save: the receipt, its claims and the registration, consecutive
    assert (written[0].topic, written[-1].topic) == (
        "Appeal.Received",
        "Enterprise.Registered",
    )
    assert [n.id for n in written] == list(range(head + 1, head + 1 + len(written)))
    registered = ledger.mapper.to_domain_event(
        next(n for n in written if n.topic == "Enterprise.Registered")
    )
    assert registered.actor["id"] == INTAKE.id
    assert registered.timestamp == ledger.history(first)[0].timestamp
    receipt("杭州某某公司（旧名）")
    again = registry.enterprise(USCC)
    assert again is not None
    assert (again.version, again.name) == (1, "杭州某某科技有限公司")
