"""The escalation ladder and the evaluation window, with real 2026 dates.

Ladder (defaults): a reminder at the deadline, supervision level 1 at 1
working day late, level 2 at 3, level 3 (通报) at 5."""

from __future__ import annotations

from datetime import datetime

import pytest

from appeals.domain.appeal import Appeal
from appeals.domain.errors import CommandNotAllowed, NotPermitted
from appeals.domain.values import SYSTEM_ACTOR, Channel, Outcome
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    HANDLER,
    SUPERVISOR,
    TK,
)
from tests.domain.test_deadlines import receive, t


def due_before_national_day() -> Appeal:
    appeal = receive(t(9, 22, 10))
    appeal.assign(DISPATCHER, t(9, 22, 10), "市人社局", None, TK)
    appeal.accept(HANDLER, t(9, 22, 11))
    # 23, 24, (25 Mid-Autumn), 28, 29, 30 Sep: due the day before National Day.
    assert appeal.resolve_due == t(9, 30, 10)
    appeal.collect_events()
    return appeal


def escalate(appeal: Appeal, at: datetime, level: int, stage: str = "resolve") -> None:
    appeal.escalate(SYSTEM_ACTOR, at, stage, level, TK)


def test_a_reminder_at_the_deadline_then_levels_on_working_days_only() -> None:
    appeal = due_before_national_day()
    with pytest.raises(CommandNotAllowed, match="not late enough"):
        escalate(appeal, t(9, 30, 10), 0)
    escalate(appeal, t(9, 30, 10, 1), 0)
    # Six working hours late by the close of 30 Sep; the holiday adds nothing.
    with pytest.raises(CommandNotAllowed, match="not late enough"):
        escalate(appeal, t(10, 7, 23), 1)
    escalate(appeal, t(10, 8, 10), 1)
    with pytest.raises(CommandNotAllowed, match="not late enough"):
        escalate(appeal, t(10, 9, 17), 2)
    escalate(appeal, t(10, 10, 10), 2)  # the make-up Saturday counts
    escalate(appeal, t(10, 13, 10), 3)
    events = appeal.collect_events()
    assert [(e.level, e.late_seconds // 3600) for e in events] == [  # type: ignore[attr-defined]
        (0, 0),
        (1, 7),
        (2, 21),
        (3, 35),
    ]
    assert events[-1].note == "通报 (public notice (level 3))"  # type: ignore[attr-defined]
    assert events[-1].actor["role"] == "system"  # type: ignore[attr-defined]
    assert appeal.supervision_level == 3


def test_no_rung_is_recorded_twice() -> None:
    appeal = due_before_national_day()
    escalate(appeal, t(10, 8, 10), 1)
    with pytest.raises(CommandNotAllowed, match="already recorded"):
        escalate(appeal, t(10, 8, 11), 1)


def test_a_paused_appeal_does_not_escalate() -> None:
    appeal = due_before_national_day()
    appeal.pause(HANDLER, t(9, 29, 10), "等待企业补充")
    with pytest.raises(CommandNotAllowed, match="not running"):
        escalate(appeal, t(10, 12, 10), 1)


def test_a_resolved_stage_never_escalates() -> None:
    appeal = due_before_national_day()
    appeal.resolve(HANDLER, t(10, 8, 9), Outcome.RESOLVED, "已办结", TK)
    with pytest.raises(CommandNotAllowed, match="not running"):
        escalate(appeal, t(10, 12, 10), 2)
    escalate(appeal, t(10, 9, 10), 0, stage="reply")  # the reply is now late


def test_an_extension_moves_the_ladder() -> None:
    appeal = due_before_national_day()
    escalate(appeal, t(10, 8, 10), 1)
    appeal.request_extension(HANDLER, t(10, 8, 11), t(10, 16, 17, 30), "会商")
    appeal.decide_extension(SUPERVISOR, t(10, 8, 12), True)
    with pytest.raises(CommandNotAllowed, match="not late enough"):
        escalate(appeal, t(10, 12, 10), 1)
    escalate(appeal, t(10, 19, 17, 30), 0)
    escalate(appeal, t(10, 20, 17, 30), 1)  # level 1 again, for the new deadline


def test_only_the_system_escalates() -> None:
    appeal = due_before_national_day()
    with pytest.raises(NotPermitted):
        appeal.escalate(SUPERVISOR, t(10, 8, 10), "resolve", 1, TK)


def test_an_evaluation_window_that_passes_lets_the_appeal_close() -> None:
    appeal = due_before_national_day()
    appeal.resolve(HANDLER, t(9, 28, 10), Outcome.RESOLVED, "已办结", TK)
    appeal.reply(HANDLER, t(9, 28, 11), Channel.HOTLINE, "已告知", TK)
    assert appeal.evaluation_due == t(10, 8, 11)  # 29, 30 Sep, 8 Oct
    with pytest.raises(CommandNotAllowed, match="must be evaluated"):
        appeal.close(DISPATCHER, t(10, 8, 12))
    with pytest.raises(CommandNotAllowed, match="still open"):
        appeal.lapse_evaluation(SYSTEM_ACTOR, t(10, 8, 10))
    appeal.lapse_evaluation(SYSTEM_ACTOR, t(10, 8, 12))
    with pytest.raises(CommandNotAllowed, match="no evaluation window"):
        appeal.lapse_evaluation(SYSTEM_ACTOR, t(10, 8, 13))
    appeal.close(DISPATCHER, t(10, 9, 9), "评价期满未评价，销号")
    assert appeal.status == "closed"
