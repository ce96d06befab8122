"""The live worker: woken by the store on PostgreSQL, and a failed projection
does not hold up the others."""

from __future__ import annotations

import threading

from appeals.application.audit import checkpoint_chore, verify_log
from appeals.application.service import AppealLedger
from appeals.bootstrap import events_of
from appeals.domain import commands as cmd
from appeals.infra.checkpoints import CheckpointStore
from appeals.infra.settings import ProjectionSettings
from appeals.projections import category_month
from appeals.projections.runtime.storage import LIVE
from appeals.projections.runtime.tracking import Tracking
from appeals.projections.runtime.worker import Wakeup, Worker
from tests.builders import MARKET_UNIT, receive
from tests.domain.lifecycle_fixtures import DISPATCHER
from tests.support.ledger import five_events
from tests.support.views import failing_on_unit


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
