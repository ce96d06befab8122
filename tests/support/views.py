"""The projections a test ledger keeps, and what projection tests compare:
the log decoded, the pure fold of it, and the rows a copy stores."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from appeals.application.service import AppealLedger
from appeals.bootstrap import events_of
from appeals.demo.planner import generate_demo
from appeals.domain.appeal import Appeal
from appeals.domain.deadlines import Timekeeping
from appeals.infra.calendar_data import build_calendar
from appeals.infra.clock import FixedClock
from appeals.infra.event_source import EventSource
from appeals.projections import appeal_list
from appeals.projections.registry import projections
from appeals.projections.runtime.model import Projection, State, fold, sort_key
from appeals.projections.runtime.runner import Runner
from appeals.projections.runtime.storage import LIVE, transaction

PROJECTIONS = projections(Timekeeping(build_calendar()))
"""Every projection, built with the calendar and policy a test ledger uses."""


def notifications(ledger: AppealLedger, page: int = 500) -> Iterator[Any]:
    start = 1
    while found := ledger.recorder.select_notifications(start=start, limit=page):
        yield from found
        start = found[-1].id + 1


def events(ledger: AppealLedger, before: int | None = None) -> list[Any]:
    """Every event in the log (below position ``before``), decoded."""
    return [
        ledger.mapper.to_domain_event(n)
        for n in notifications(ledger)
        if before is None or n.id < before
    ]


def folded(projection: Projection, history: list[Any]) -> dict[str, list[Any]]:
    view = fold(projection, history)
    return {table.name: view.rows(table.name) for table in projection.tables}


def stored(
    ledger: AppealLedger, projection: Projection, target: str = LIVE
) -> dict[str, list[Any]]:
    """The copy's rows, in key order (sorted here: collations differ)."""
    copy = Runner(events_of(ledger), projection, target=target).copy
    with transaction(ledger.database, write=False) as sql:
        tables = {table.name: copy.rows(sql, table) for table in projection.tables}
    return {
        table.name: sorted(
            tables[table.name], key=lambda row: sort_key(table.key_of(row))
        )
        for table in projection.tables
    }


def caught_up(ledger: AppealLedger, projection: Projection, **kw: Any) -> Runner:
    runner = Runner(events_of(ledger), projection, **kw)
    runner.prepare()
    runner.catch_up()
    return runner


def demo(ledger: AppealLedger, clock: FixedClock, appeals: int = 40) -> None:
    """A history through every lifecycle path (the demo generator's)."""
    generate_demo(ledger, clock, appeals=appeals, months=2)


class Crash(BaseException):
    """Stands for the process dying in the middle of a batch."""


def crashing_after(applied: int) -> Projection:
    count = 0

    def apply(event: Any, state: State) -> Any:
        nonlocal count
        count += 1
        if count > applied:
            raise Crash
        return appeal_list.apply(event, state)

    return dataclasses.replace(appeal_list.PROJECTION, apply=apply)


def failing_on_unit(unit: str) -> Projection:
    def apply(event: Any, state: State) -> Any:
        if isinstance(event, Appeal.Assigned) and event.unit == unit:
            raise ValueError(f"cannot handle {unit}")
        return appeal_list.apply(event, state)

    return dataclasses.replace(appeal_list.PROJECTION, apply=apply)


def decodes_counted(monkeypatch: pytest.MonkeyPatch, source: EventSource) -> list[int]:
    """The positions ``source`` decodes from now on, one entry per decode."""
    decoded: list[int] = []
    decode = source.decode

    def counting(notification: Any) -> Any:
        decoded.append(notification.id)
        return decode(notification)

    monkeypatch.setattr(source, "decode", counting)
    return decoded
