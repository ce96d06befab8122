"""A worker process killed (SIGKILL) in the middle of its work resumes exactly
where its last transaction committed: nothing skipped, nothing counted twice.
Checked on SQLite and PostgreSQL against views rebuilt from scratch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from appeals.application.service import AppealLedger
from appeals.bootstrap import events_of
from appeals.infra.clock import FixedClock
from appeals.projections.runtime.rebuild import rebuild
from appeals.projections.runtime.runner import prepare
from appeals.projections.runtime.storage import LIVE
from appeals.projections.runtime.tracking import Tracking
from tests.support.views import PROJECTIONS, caught_up, demo, events, folded, stored

PATIENCE = 120.0
"""Seconds to wait for the worker to make progress before giving up (a hang
guard, not a measurement)."""


def test_a_worker_killed_mid_run_resumes_without_loss_or_double_counting(
    ledger: AppealLedger, clock: FixedClock, store: str, tmp_path: Path
) -> None:
    demo(ledger, clock, appeals=150)
    prepare(events_of(ledger), PROJECTIONS)
    head = ledger.recorder.max_notification_id() or 0
    tracking = Tracking(ledger.database)
    worker = subprocess.Popen(
        [sys.executable, "-m", "appeals.cli", "projections", "run"],
        env={
            **os.environ,
            "APPEALS_DATABASE_URL": store,
            # One event per transaction: the kill lands between or inside
            # thousands of commits, never after the last one.
            "APPEALS_PROJECTION_BATCH_SIZE": "1",
        },
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        give_up = time.monotonic() + PATIENCE
        while tracking.position("appeal_list", LIVE) < head // 3:
            assert worker.poll() is None, "the worker exited by itself"
            assert time.monotonic() < give_up, "the worker made no progress"
            time.sleep(0.005)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait()

    stopped_at = {p.name: tracking.position(p.name, LIVE) for p in PROJECTIONS}
    assert min(stopped_at.values()) < head, "killed after it had finished"
    resumed = {}
    for projection in PROJECTIONS:
        caught_up(ledger, projection)
        resumed[projection.name] = stored(ledger, projection)
        assert resumed[projection.name] == folded(projection, events(ledger))
    for projection in PROJECTIONS:
        rebuild(events_of(ledger), projection, restart=True)
        assert stored(ledger, projection) == resumed[projection.name]
