"""The time-driven decisions (domain/late_stages.py): the escalation ladder and
the evaluation window, with real 2026 dates.

Ladder (defaults): a reminder at the deadline, supervision level 1 at 1
working day late, level 2 at 3, level 3 (通报) at 5."""

from __future__ import annotations

from datetime import datetime

import pytest

from appeals.application.queries import view_of
from appeals.domain import events as ev
from appeals.domain.appeal import Appeal
from appeals.domain.commands import (
    Accept,
    AnswerOrder,
    Assign,
    Close,
    DecideExtension,
    Escalate,
    LapseEvaluation,
    Pause,
    Reply,
    RequestExtension,
    Resolve,
    TakeOver,
)
from appeals.domain.errors import CommandNotAllowed, InvalidField, NotPermitted
from appeals.domain.events import Event
from appeals.domain.values import SYSTEM_ACTOR, Channel, Outcome
from tests.builders import LEADER, given, when
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    HANDLER,
    INTAKE,
    SUPERVISOR,
    receive,
    t,
)


def due_before_national_day_history() -> list[Event]:
    appeal = receive(t(9, 22, 10))
    when(appeal, Assign("SZ-RSJ", None), DISPATCHER, t(9, 22, 10))
    when(appeal, Accept(), HANDLER, t(9, 22, 11))
    # From the next day: 23, 24, (25 Mid-Autumn), 28, 29, 30 Sep: due at the
    # close of business the day before National Day.
    assert appeal.resolve_due == t(9, 30, 17, 30)
    return appeal.collect_events()


def due_before_national_day() -> Appeal:
    return given(due_before_national_day_history())


def escalate(appeal: Appeal, at: datetime, level: int, stage: str = "resolve") -> None:
    when(appeal, Escalate(stage, level), SYSTEM_ACTOR, at)


def test_a_reminder_at_the_deadline_then_levels_on_working_days_only() -> None:
    history = due_before_national_day_history()
    appeal = given(history)
    with pytest.raises(CommandNotAllowed, match="not late enough"):
        escalate(appeal, t(9, 30, 17, 30), 0)
    escalate(appeal, t(9, 30, 17, 31), 0)
    # Not a working minute late until 8 Oct; the holiday adds nothing.
    with pytest.raises(CommandNotAllowed, match="not late enough"):
        escalate(appeal, t(10, 8, 17, 29), 1)
    answer(appeal, 0, t(10, 8, 9))  # each order answered: only lateness climbs
    escalate(appeal, t(10, 8, 17, 30), 1)
    answer(appeal, 1, t(10, 9, 9))
    with pytest.raises(CommandNotAllowed, match="not late enough"):
        escalate(appeal, t(10, 10, 17, 29), 2)
    escalate(appeal, t(10, 10, 17, 30), 2)  # the make-up Saturday counts
    answer(appeal, 2, t(10, 12, 9))
    escalate(appeal, t(10, 13, 17, 30), 3)
    events = [e for e in appeal.collect_events() if isinstance(e, ev.Escalated)]
    assert [(e.level, e.late_seconds // 3600) for e in events] == [
        (0, 0),
        (1, 7),
        (2, 21),
        (3, 35),
    ]
    assert (
        events[-1].note
        == "通报：督办单致 C-HEAD (public notice (level 3), order to C-HEAD)"
    )
    assert events[-1].actor["role"] == "system"  # type: ignore[attr-defined]
    assert view_of([*history, *events]).supervision_level == 3


def answer(appeal: Appeal, level: int, at: datetime, stage: str = "resolve") -> None:
    when(appeal, AnswerOrder(stage, level, "已部署整改"), HANDLER, at)


def test_each_rung_is_an_order_to_the_addressee_the_policy_names() -> None:
    appeal = due_before_national_day()
    escalate(appeal, t(9, 30, 17, 31), 0)
    escalate(appeal, t(10, 8, 17, 30), 1)
    reminder, first = appeal.collect_events()
    assert isinstance(reminder, ev.Escalated)
    assert isinstance(first, ev.Escalated)
    assert (reminder.addressee_kind, reminder.addressee_unit) == ("unit", "SZ-RSJ")
    # level 1 to the unit's registered leader (tests/builders.py)
    assert (first.addressee_kind, first.addressee_unit) == ("unit_leader", "SZ-RSJ")
    assert first.addressee == LEADER
    # due back by the close of the next working day
    assert first.reply_due == t(10, 9, 17, 30)
    escalate(appeal, t(10, 13, 17, 30), 2)
    escalate(appeal, t(10, 15, 17, 30), 3)
    second, third = appeal.collect_events()
    # no unit above SZ-RSJ is registered: its parent's leader is the centre's
    assert (second.addressee_unit, second.addressee) == ("12345", "C-HEAD")  # type: ignore[attr-defined]
    assert (third.addressee_kind, third.addressee) == ("centre_head", "C-HEAD")  # type: ignore[attr-defined]


def test_an_unanswered_order_escalates_at_once_and_an_answer_closes_it() -> None:
    appeal = due_before_national_day()
    escalate(appeal, t(9, 30, 17, 31), 0)
    answer(appeal, 0, t(10, 8, 9))
    escalate(appeal, t(10, 8, 17, 30), 1)
    # rung 2 waits for 3 working days late, but the level-1 order was due
    # back at the close of 9 Oct and nobody answered it
    with pytest.raises(CommandNotAllowed, match="not late enough"):
        escalate(appeal, t(10, 9, 17, 0), 2)
    escalate(appeal, t(10, 10, 9, 30), 2)
    second = appeal.collect_events()[-1]
    assert "第1级督办单逾期未复" in second.note  # type: ignore[attr-defined]
    answer(appeal, 2, t(10, 10, 10))
    answered = appeal.collect_events()[-1]
    assert isinstance(answered, ev.OrderAnswered)
    assert answered.level == 2
    with pytest.raises(CommandNotAllowed, match="no open supervision order"):
        answer(appeal, 2, t(10, 10, 11))
    with pytest.raises(NotPermitted):
        when(appeal, AnswerOrder("resolve", 1, "x"), INTAKE, t(10, 10, 11))


def test_no_rung_is_recorded_twice() -> None:
    appeal = due_before_national_day()
    escalate(appeal, t(10, 8, 17, 30), 1)
    with pytest.raises(CommandNotAllowed, match="already recorded"):
        escalate(appeal, t(10, 9, 9), 1)


def test_a_paused_appeal_does_not_escalate() -> None:
    appeal = due_before_national_day()
    when(appeal, Pause("等待企业补充"), HANDLER, t(9, 29, 10))
    with pytest.raises(CommandNotAllowed, match="not running"):
        escalate(appeal, t(10, 12, 10), 1)


def test_a_resolved_stage_never_escalates() -> None:
    appeal = due_before_national_day()
    when(appeal, Resolve(Outcome.RESOLVED, "已办结"), HANDLER, t(10, 8, 9))
    with pytest.raises(CommandNotAllowed, match="not running"):
        escalate(appeal, t(10, 12, 10), 2)
    # The reply, due at the close of 9 Oct, is now late.
    escalate(appeal, t(10, 9, 17, 31), 0, stage="reply")


def test_an_extension_moves_the_ladder() -> None:
    appeal = due_before_national_day()
    escalate(appeal, t(10, 8, 17, 30), 1)
    # At most 3 working days later (the policy): Friday 9 October, 17:30.
    when(appeal, RequestExtension(t(10, 9, 17, 30), "会商"), HANDLER, t(10, 8, 17, 40))
    when(appeal, DecideExtension(True), SUPERVISOR, t(10, 8, 17, 50))
    with pytest.raises(CommandNotAllowed, match="not late enough"):
        escalate(appeal, t(10, 10, 17, 29), 1)
    escalate(appeal, t(10, 10, 10), 0)
    escalate(appeal, t(10, 10, 17, 30), 1)  # level 1 again, for the new deadline


def test_only_the_system_escalates() -> None:
    appeal = due_before_national_day()
    with pytest.raises(NotPermitted):
        when(appeal, Escalate("resolve", 1), SUPERVISOR, t(10, 8, 17, 30))


def test_an_evaluation_window_that_passes_lets_the_appeal_close() -> None:
    appeal = due_before_national_day()
    when(appeal, Resolve(Outcome.RESOLVED, "已办结"), HANDLER, t(9, 28, 10))
    when(appeal, Reply(Channel.HOTLINE, "已告知"), HANDLER, t(9, 28, 11))
    assert appeal.evaluation_due == t(10, 8, 17, 30)  # 29, 30 Sep, 8 Oct
    with pytest.raises(CommandNotAllowed, match="must be evaluated"):
        when(appeal, Close(), DISPATCHER, t(10, 8, 17, 31))
    with pytest.raises(CommandNotAllowed, match="still open"):
        when(appeal, LapseEvaluation(), SYSTEM_ACTOR, t(10, 8, 17))
    when(appeal, LapseEvaluation(), SYSTEM_ACTOR, t(10, 8, 17, 31))
    with pytest.raises(CommandNotAllowed, match="no evaluation window"):
        when(appeal, LapseEvaluation(), SYSTEM_ACTOR, t(10, 8, 17, 40))
    when(appeal, Close("评价期满未评价，销号"), DISPATCHER, t(10, 9, 9))
    assert appeal.status == "closed"


def test_a_leader_takes_over_and_the_orders_are_addressed_to_the_leader() -> None:
    appeal = due_before_national_day()
    with pytest.raises(InvalidField) as not_a_leader:
        when(appeal, TakeOver("C-ZHANGSAN", "x"), SUPERVISOR, t(9, 30, 9))
    assert not_a_leader.value.field == "leader"
    with pytest.raises(NotPermitted):
        when(appeal, TakeOver("C-HEAD"), HANDLER, t(9, 30, 9))
    when(appeal, TakeOver("C-HEAD", "市领导领办"), SUPERVISOR, t(9, 30, 9))
    escalate(appeal, t(9, 30, 17, 31), 0)
    escalate(appeal, t(10, 8, 17, 30), 1)
    taken, reminder, first = appeal.collect_events()
    assert isinstance(taken, ev.TakenOver)
    assert (taken.leader, taken.leader_unit) == ("C-HEAD", "12345")
    assert reminder.addressee_kind == "unit"  # type: ignore[attr-defined]
    # level 1 would go to the unit's leader: it goes to the leader who took it
    assert first.addressee == "C-HEAD"  # type: ignore[attr-defined]
    assert view_of([*due_before_national_day_history(), taken]).leader == "C-HEAD"
