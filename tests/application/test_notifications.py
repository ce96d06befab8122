"""The enterprise's milestones (issue 16, item 6: the seam before issue 17's
outbox): received with its ticket, dispatched, reply ready, evaluation
requested; in Chinese, with public text only."""

from __future__ import annotations

from appeals.application.notifications import Milestone, notices
from appeals.domain import commands as cmd
from appeals.domain.values import Outcome
from tests.builders import DIRECTORY, HANDLER, at, given, when
from tests.domain.lifecycle_fixtures import history_in


def test_each_milestone_is_one_notice_for_the_enterprise() -> None:
    history = history_in("closed")
    found = list(notices(history, DIRECTORY))
    assert [n.milestone for n in found] == [
        Milestone.RECEIVED,
        Milestone.DISPATCHED,
        Milestone.REPLY_READY,
        Milestone.EVALUATION_REQUESTED,
    ]
    received = history[0]
    assert {n.uscc for n in found} == {received.uscc}
    assert received.ticket in found[0].text
    assert "已交由苏州市人力资源和社会保障局办理" in found[1].text
    assert [n.version for n in found] == sorted(n.version for n in found)


def test_an_internal_result_is_not_in_the_notice() -> None:
    history = history_in("in_progress")
    appeal = given(history)
    when(
        appeal,
        cmd.Resolve(Outcome.RESOLVED, "内部：按惯例处理", public=False),
        HANDLER,
        at(5),
    )
    (*_, ready) = notices([*history, *appeal.collect_events()], DIRECTORY)
    assert ready.milestone is Milestone.REPLY_READY
    assert "内部" not in ready.text
