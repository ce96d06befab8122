"""The appeal list, folded purely (events in, rows out, no database), and its
reader round-tripped through SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from appeals.application.service import AppealLedger
from appeals.domain import commands as cmd
from appeals.domain.indexes import AppealIndex
from appeals.domain.values import (
    Satisfaction,
)
from appeals.infra.clock import FixedClock
from appeals.projections import appeal_list
from appeals.projections.runtime.model import MissingRow, fold
from tests.builders import CADRE
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    SUPERVISOR,
    T0,
    UNIT,
    USCC,
)
from tests.support.reports import appeal, project
from tests.support.stories import FULL_PATH, Story


def the_row(events: list[Any]) -> dict[str, Any]:
    rows = fold(appeal_list.PROJECTION, events).rows("appeal_list")
    assert len(rows) == 1
    return rows[0]


def test_a_receipt_makes_a_row_for_the_received_appeal() -> None:
    story = Story()
    row = the_row(story.events())
    assert row["appeal_id"] == str(story.id)
    assert row["status"] == "received"
    assert row["uscc"] == USCC
    assert row["category"] == "financing"
    assert row["unit"] is None
    assert row["received_at"] == row["updated_at"] == "2026-10-09T01:12:00.000000Z"
    assert row["version"] == 1


def test_each_step_moves_the_status_the_update_time_and_the_version() -> None:
    row = the_row(Story().through(*FULL_PATH).events())
    assert row["status"] == "closed"
    assert row["unit"] == UNIT
    assert row["cadre"] == CADRE
    assert row["outcome"] == "resolved"
    assert row["satisfaction"] == "satisfied"
    assert row["updated_at"] == "2026-10-09T07:12:00.000000Z"
    assert row["version"] == 7


def test_a_return_clears_the_unit_and_counts_the_return() -> None:
    story = Story().through("assigned").then(HANDLER, cmd.Return("不属于本单位职责"))
    row = the_row(story.events())
    assert (row["status"], row["unit"], row["cadre"]) == ("received", None, None)
    assert row["return_count"] == 1


def test_an_unsatisfied_evaluation_reopens_and_is_counted() -> None:
    story = Story().through("assigned", "in_progress", "resolved", "replied")
    story.then(ENTERPRISE, cmd.Evaluate(False, Satisfaction.UNSATISFIED, "没解决"))
    row = the_row(story.events())
    assert row["status"] == "in_progress"
    assert row["reopen_count"] == 1
    assert row["outcome"] is None
    assert row["satisfaction"] is None


def test_a_paused_appeal_is_flagged_until_resumed() -> None:
    story = Story().through("assigned", "in_progress")
    events = story.then(HANDLER, cmd.Pause("请补充材料")).events()
    assert the_row(events)["paused"] == 1
    events += story.then(HANDLER, cmd.Resume("已补充")).events()
    assert the_row(events)["paused"] == 0


def test_flags_accumulate_over_the_whole_history() -> None:
    story = Story().through("assigned", "in_progress")
    story.then(HANDLER, cmd.Pause("请补充材料")).then(HANDLER, cmd.Resume("已补充"))
    story.then(HANDLER, cmd.RequestExtension(T0 + timedelta(days=8), "需现场核查"))
    story.then(SUPERVISOR, cmd.Supervise(2, "加快办理"))
    story.then(SUPERVISOR, cmd.Supervise(1, "再次催办"))
    row = the_row(story.events())
    assert row["paused"] == 0
    assert row["extension_pending"] == 1
    assert row["supervision_level"] == 2


def test_a_merge_records_where_it_went() -> None:
    target = uuid4()
    story = Story().then(DISPATCHER, cmd.Merge(target, "与另一诉求重复"))
    row = the_row(story.events())
    assert (row["status"], row["merged_into"]) == ("merged", str(target))


def test_an_event_for_an_appeal_the_view_never_received_stops_the_fold() -> None:
    events = Story().through("assigned").events()
    with pytest.raises(MissingRow):
        fold(appeal_list.PROJECTION, events[1:])


def test_events_of_index_aggregates_are_not_read() -> None:
    story = Story()
    claim = AppealIndex.claim(uuid4(), "20261009-000001", story.id, T0)
    events = [*story.events(), *claim.collect_events()]
    assert len(fold(appeal_list.PROJECTION, events).rows("appeal_list")) == 1


def test_the_reader_pages_and_exports_from_the_store(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    made = [str(appeal(ledger, clock)) for _ in range(3)]
    head = project(ledger)
    seen, rows = appeal_list.read_page(ledger.database, appeal_list.ListQuery(limit=2))
    assert seen == head
    assert [r["appeal_id"] for r in rows] == made[::-1]  # one more: a next page
    after = (rows[1]["received_at"], rows[1]["appeal_id"])
    _, rest = appeal_list.read_page(
        ledger.database, appeal_list.ListQuery(after=after, limit=2)
    )
    assert [r["appeal_id"] for r in rest] == made[:1]
    seen, every = appeal_list.export(
        ledger.database, appeal_list.ListQuery(newest_first=False)
    )
    assert (seen, [r["appeal_id"] for r in every]) == (head, made)
    query = appeal_list.ListQuery(overdue_at=clock.now())
    assert appeal_list.read_page(ledger.database, query)[1] == []
