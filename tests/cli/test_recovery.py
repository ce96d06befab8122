"""Recovering a stopped view, exactly as README's "Recovering a stopped view"
says (issue 13, item 1): a view stops on an event it cannot fold; the fixed
release is deployed; ``appeals projections rebuild NAME``; the view is
current and complete, and follows new events again."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from appeals.application.service import AppealLedger
from appeals.bootstrap import events_of
from appeals.domain import commands as cmd
from appeals.projections import appeal_list
from appeals.projections.runtime.runner import ProjectionFailed, Runner, status
from appeals.projections.runtime.storage import LIVE
from tests.builders import DISPATCHER, INTAKE, MARKET_UNIT, receive
from tests.support.views import caught_up, events, failing_on_unit, folded, stored


def test_a_view_stopped_on_an_event_is_recovered_by_a_rebuild(
    ledger: AppealLedger, store: str
) -> None:
    ids = [receive(ledger).appeal_id for _ in range(3)]
    ledger.execute(ids[0], cmd.Assign(unit="SZ-RSJ"), DISPATCHER)
    bad = ledger.execute(ids[1], cmd.Assign(unit=MARKET_UNIT), DISPATCHER)
    ledger.execute(ids[2], cmd.Assign(unit="SZ-SWJ"), DISPATCHER)

    # 1. The release in production cannot fold one event: the view stops there.
    buggy = Runner(events_of(ledger), failing_on_unit(MARKET_UNIT), batch_size=1000)
    buggy.prepare()
    with pytest.raises(ProjectionFailed):
        buggy.catch_up()
    (shown,) = [s for s in status(events_of(ledger)) if s.name == "appeal_list"]
    assert shown.tracked.failure is not None
    assert shown.tracked.failure.position == bad.position
    assert stored(ledger, appeal_list.PROJECTION) != folded(
        appeal_list.PROJECTION, events(ledger)
    )

    # 2. Deploy the fix (here: the shipped projection, which folds the event),
    # 3. then rebuild the view, as an operator runs it.
    finished = subprocess.run(
        [sys.executable, "-m", "appeals.cli", "projections", "rebuild", "appeal_list"],
        env={**os.environ, "APPEALS_DATABASE_URL": store, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    head = ledger.recorder.max_notification_id()
    assert f"appeal_list: swapped in at position {head}" in finished.stdout

    # 4. The view is current and complete, its failure cleared ...
    (shown,) = [s for s in status(events_of(ledger)) if s.name == "appeal_list"]
    assert shown.tracked.failure is None
    assert shown.tracked.position == head
    assert stored(ledger, appeal_list.PROJECTION) == folded(
        appeal_list.PROJECTION, events(ledger)
    )
    # ... and the worker of the fixed release follows new events again.
    ledger.execute(ids[2], cmd.Withdraw("企业撤回"), INTAKE)
    runner = caught_up(ledger, appeal_list.PROJECTION)
    tracked = runner.tracking.read("appeal_list", LIVE)
    assert tracked is not None
    assert tracked.failure is None
    assert stored(ledger, appeal_list.PROJECTION) == folded(
        appeal_list.PROJECTION, events(ledger)
    )
