"""Idempotency records: a retry racing the attempt it repeats gets that
attempt's answer, never a refusal of a command that took effect."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import pytest

from appeals.application.claims import IdempotentRequest
from appeals.application.service import AppealLedger, CommandResult
from appeals.domain import commands as cmd
from tests.builders import receive
from tests.domain.lifecycle_fixtures import DISPATCHER, HANDLER, UNIT


def slowed_loads(ledger: AppealLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every load of an appeal waits a moment first: a retry's key lookup
    then runs before the first attempt commits, and its load after."""
    load = ledger.get

    def slow_get(appeal_id: UUID, version: int | None = None) -> Any:
        time.sleep(0.4)
        return load(appeal_id, version)

    monkeypatch.setattr(ledger, "get", slow_get)


def in_parallel(calls: list[Callable[[], CommandResult]]) -> list[CommandResult]:
    """Starts the calls 0.2 s apart and waits for every answer."""
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = []
        for call in calls:
            futures.append(pool.submit(call))
            time.sleep(0.2)
        return [future.result(timeout=30) for future in futures]


def test_a_retry_while_the_first_attempt_runs_gets_its_answer(
    ledger: AppealLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    request = IdempotentRequest("handler", "accept-1", "same-body")
    slowed_loads(ledger, monkeypatch)

    def accept() -> CommandResult:
        return ledger.execute(appeal_id, cmd.Accept(), HANDLER, request=request)

    first, retry = in_parallel([accept, accept])
    assert (
        (retry.appeal_id, retry.version)
        == (first.appeal_id, first.version)
        == (
            appeal_id,
            3,
        )
    )
    assert retry.replayed
    assert ledger.get(appeal_id).version == 3
