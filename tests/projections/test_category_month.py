"""Appeals per category per month: the worked example, folded purely and
round-tripped through SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from appeals.application.service import AppealLedger
from appeals.bootstrap import events_of
from appeals.domain.values import Category
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.projections import category_month
from appeals.projections.runtime.model import fold
from appeals.projections.runtime.runner import Runner
from appeals.projections.runtime.storage import transaction
from tests.builders import receive
from tests.support.reports import project
from tests.support.stories import Story


def test_receipts_are_counted_in_their_shanghai_month() -> None:
    # 00:30 on 1 October in Shanghai is still 30 September in UTC.
    stories = [
        Story(at=datetime(2026, 9, 30, 23, 30, tzinfo=SHANGHAI)),
        Story(at=datetime(2026, 10, 1, 0, 30, tzinfo=SHANGHAI)),
        Story(at=datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI)),
        Story(at=datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI), category=Category.TAX),
    ]
    events = [event for story in stories for event in story.events()]
    rows = fold(category_month.PROJECTION, events).rows("category_month")
    assert rows == [
        {"month": "2026-09", "category": "financing", "appeals": 1},
        {"month": "2026-10", "category": "financing", "appeals": 2},
        {"month": "2026-10", "category": "tax", "appeals": 1},
    ]


def test_the_counts_round_trip_through_the_store(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    for days in (0, 1, 39):  # 1 and 2 September, 10 October
        clock.set(datetime(2026, 9, 1, 10, tzinfo=SHANGHAI) + timedelta(days=days))
        receive(ledger)
    runner = Runner(events_of(ledger), category_month.PROJECTION)
    runner.prepare()
    runner.catch_up()
    with transaction(ledger.database, write=False) as sql:
        rows = category_month.select_counts(
            sql, runner.copy.qualified(category_month.COUNTS), first="2026-09"
        )
    assert rows == [
        {"month": "2026-09", "category": "financing", "appeals": 2},
        {"month": "2026-10", "category": "financing", "appeals": 1},
    ]


def test_the_reader_answers_with_the_views_position(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 9, 1, 10, tzinfo=SHANGHAI))
    receive(ledger)
    receive(ledger)
    head = project(ledger)
    seen, rows = category_month.read_counts(ledger.database, "2026-09", None, None)
    assert seen == head
    assert rows == [{"month": "2026-09", "category": "financing", "appeals": 2}]
    _, none = category_month.read_counts(ledger.database, None, "2026-08", "tax")
    assert none == []
