"""The background task of ``appeals serve`` (the webhook deliverer's thread):
it keeps running after a failing pass and stops when told."""

from __future__ import annotations

import threading
import time

from appeals.infra.periodic import Periodic
from appeals.infra.settings import Settings


def test_a_failing_pass_does_not_stop_the_next() -> None:
    passes: list[int] = []
    third = threading.Event()

    def task() -> None:
        passes.append(len(passes))
        if len(passes) >= 3:
            third.set()
        if len(passes) == 1:
            raise RuntimeError("the receiver is down")

    periodic = Periodic("drill", 0.01, task)
    periodic.start()
    assert third.wait(5)
    periodic.stop()
    stopped_at = len(passes)
    time.sleep(0.05)
    assert len(passes) == stopped_at  # no pass after stop()


def test_webhooks_are_delivered_in_the_server_where_the_worker_runs() -> None:
    assert Settings.from_env({}).webhooks_in_server
    postgres = {"APPEALS_DATABASE_URL": "postgresql://u@localhost/appeals"}
    assert not Settings.from_env(postgres).webhooks_in_server
    assert Settings.from_env(
        {**postgres, "APPEALS_RUN_WEBHOOKS": "1"}
    ).webhooks_in_server
