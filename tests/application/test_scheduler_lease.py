"""The escalation scheduler under a lease (issue 17, item 6): exactly one
instance acts at a time however many run (an advisory lock on PostgreSQL, a
file lock beside the SQLite file), and the scheduler runs as a chore of the
worker inside ``appeals serve`` (both stores)."""

from __future__ import annotations

import threading

import pytest

from appeals.application.escalation import RunResult
from appeals.application.service import AppealLedger
from appeals.bootstrap import SCHEDULER_LEASE, open_ledger, scheduled_escalation
from appeals.http.app import escalation_chore
from appeals.infra.clock import FixedClock
from appeals.infra.lease import lease
from appeals.infra.settings import ConfigurationError, Settings
from tests.application.test_escalation import at, due_before_national_day, rungs


def test_the_lease_is_held_by_one_at_a_time(settings: Settings) -> None:
    with lease(settings.database, "drill") as first:
        assert first
        with lease(settings.database, "drill") as second:
            assert not second  # another connection, another file handle
        with lease(settings.database, "another-name") as other:
            assert other
    with lease(settings.database, "drill") as again:
        assert again  # released


def test_a_scheduler_without_the_lease_stands_aside(
    ledger: AppealLedger, settings: Settings, clock: FixedClock
) -> None:
    appeal_id = due_before_national_day(ledger, clock)
    at(clock, 10, 14, 10)
    scheduled = scheduled_escalation(ledger, settings.database)
    with lease(settings.database, SCHEDULER_LEASE) as held:
        assert held
        assert scheduled() is None  # a peer holds it: nothing done
    assert rungs(ledger, appeal_id) == []
    result = scheduled()
    assert result is not None
    assert result.recorded == 4


def test_two_leased_schedulers_record_each_rung_once(
    ledger: AppealLedger, settings: Settings, clock: FixedClock
) -> None:
    appeals = [due_before_national_day(ledger, clock) for _ in range(5)]
    at(clock, 10, 14, 10)
    peers = [open_ledger(settings, clock=clock) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[RunResult | None] = []

    def scheduler(peer: AppealLedger) -> None:
        scheduled = scheduled_escalation(peer, settings.database)
        barrier.wait()
        results.append(scheduled())

    threads = [threading.Thread(target=scheduler, args=(p,)) for p in peers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for peer in peers:
            peer.close()
    recorded = sum(r.recorded for r in results if r is not None)
    assert recorded == 5 * 4  # each rung by exactly one of them
    for appeal_id in appeals:
        assert [level for _, level, _ in rungs(ledger, appeal_id)] == [0, 1, 2, 3]


def test_the_in_server_chore_escalates(
    ledger: AppealLedger, settings: Settings, clock: FixedClock
) -> None:
    appeal_id = due_before_national_day(ledger, clock)
    at(clock, 10, 9, 10)
    escalation_chore(settings)(ledger)()
    assert [level for _, level, _ in rungs(ledger, appeal_id)] == [0, 1]
    assert all(
        e.actor["role"] == "system"
        for e in ledger.history(appeal_id)
        if type(e).__name__ == "Escalated"
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"APPEALS_DATABASE_URL": "sqlite:///var/x.sqlite3"}, True),
        ({"APPEALS_DATABASE_URL": "postgresql://u@localhost/appeals"}, False),
        (
            {
                "APPEALS_DATABASE_URL": "postgresql://u@localhost/appeals",
                "APPEALS_RUN_PROJECTIONS": "1",
                "APPEALS_RUN_SCHEDULER": "1",
            },
            True,
        ),
        (
            {
                "APPEALS_DATABASE_URL": "sqlite:///var/x.sqlite3",
                "APPEALS_RUN_SCHEDULER": "0",
            },
            False,
        ),
    ],
)
def test_the_scheduler_runs_in_the_server_where_the_worker_does(
    env: dict[str, str], expected: bool
) -> None:
    assert Settings.from_env(env).scheduler_in_server is expected


def test_a_scheduler_without_its_worker_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="APPEALS_RUN_PROJECTIONS"):
        Settings.from_env(
            {"APPEALS_RUN_PROJECTIONS": "0", "APPEALS_RUN_SCHEDULER": "1"}
        )
