"""``appeals projections``: the rebuild command, run as a user runs it, swaps
in every view (one process at a time on SQLite, in parallel on PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from appeals.application.service import AppealLedger
from appeals.infra.clock import FixedClock
from tests.support.views import PROJECTIONS, demo, events, folded, stored

REBUILD_ALL = [sys.executable, "-m", "appeals.cli", "projections", "rebuild", "all"]


@pytest.mark.parametrize("jobs", [None, "2"], ids=["default-jobs", "two-jobs"])
def test_the_rebuild_command_swaps_in_every_view(
    ledger: AppealLedger, clock: FixedClock, store: str, jobs: str | None
) -> None:
    demo(ledger, clock, appeals=20)
    history = events(ledger)
    argv = REBUILD_ALL + ([] if jobs is None else ["--jobs", jobs])
    finished = subprocess.run(
        argv,
        env={**os.environ, "APPEALS_DATABASE_URL": store, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    serial_note = "SQLite has a single writer" in finished.stderr
    assert serial_note == (jobs is not None and store.startswith("sqlite"))
    head = ledger.recorder.max_notification_id()
    for projection in PROJECTIONS:
        assert f"{projection.name}: swapped in at position {head}" in finished.stdout
        assert stored(ledger, projection) == folded(projection, history)


def test_the_rebuild_command_refuses_zero_jobs(store: str) -> None:
    finished = subprocess.run(
        [*REBUILD_ALL, "--jobs", "0"],
        env={**os.environ, "APPEALS_DATABASE_URL": store},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 2
    assert "--jobs must be at least 1" in finished.stderr
