"""The appeal list, folded purely: events in, rows out, no database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from appeals.domain import commands as cmd
from appeals.domain.appeal import Appeal
from appeals.domain.indexes import AppealIndex
from appeals.domain.values import (
    Actor,
    Category,
    Channel,
    Outcome,
    Priority,
    Satisfaction,
)
from appeals.projections import appeal_list
from appeals.projections.runtime.model import MissingRow, fold
from tests.builders import when
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    INTAKE,
    SUPERVISOR,
    T0,
    TK,
    UNIT,
    USCC,
)

RULES = cmd.Rules(TK)


class Story:
    """One appeal's events, told command by command, an hour apart."""

    def __init__(
        self,
        *,
        uscc: str = USCC,
        category: Category = Category.FINANCING,
        at: datetime = T0,
        name: str = "苏州某某科技有限公司",
    ) -> None:
        self.at = at
        self.appeal = Appeal.receive(
            cmd.Receive(
                uscc=uscc,
                enterprise_name=name,
                channel=Channel.HOTLINE,
                category=category,
                priority=Priority.NORMAL,
                title="贷款贴息政策咨询",
                description="企业申请科技贷款贴息。",
            ),
            appeal_id=uuid4(),
            ticket="20261009-000001",
            actor=INTAKE,
            at=at,
            rules=RULES,
        )

    @property
    def id(self) -> UUID:
        return self.appeal.id

    def then(self, actor: Actor, command: cmd.Command) -> Story:
        self.at += timedelta(hours=1)
        when(self.appeal, command, actor, self.at, RULES)
        return self

    def through(self, *statuses: str) -> Story:
        """Takes the normal path through ``statuses`` (as far as asked)."""
        path: dict[str, tuple[Actor, cmd.Command]] = {
            "assigned": (DISPATCHER, cmd.Assign(unit=UNIT, cadre="张三")),
            "in_progress": (HANDLER, cmd.Accept()),
            "resolved": (HANDLER, cmd.Resolve(Outcome.RESOLVED, "已办理")),
            "replied": (HANDLER, cmd.Reply(Channel.HOTLINE, "已电话告知")),
            "evaluated": (ENTERPRISE, cmd.Evaluate(True, Satisfaction.SATISFIED)),
            "closed": (DISPATCHER, cmd.Close("对账完成")),
        }
        for status in statuses:
            self.then(*path[status])
        return self

    def events(self) -> list[Any]:
        return list(self.appeal.collect_events())


FULL_PATH = ("assigned", "in_progress", "resolved", "replied", "evaluated", "closed")


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
    assert row["cadre"] == "张三"
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
