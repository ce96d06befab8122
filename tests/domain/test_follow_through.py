"""The centre's follow-through (appeals.domain.follow_through): 好差评 on five
grades, rectification after a 差评, callbacks with their attempts and 无法回访,
quality-check samples, and reconcile-and-close with its own deadline."""

from __future__ import annotations

from dataclasses import replace

import pytest

from appeals.domain import events as ev
from appeals.domain.commands import (
    CallBack,
    Close,
    Escalate,
    Evaluate,
    LapseEvaluation,
    Rules,
    Sample,
)
from appeals.domain.errors import CommandNotAllowed, InvalidField, NotPermitted
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.sla import Stage
from appeals.domain.timeliness import timeliness
from appeals.domain.values import (
    GRADE_TO_SATISFACTION,
    SYSTEM_ACTOR,
    CallbackOutcome,
    Grade,
    Satisfaction,
)
from tests.builders import DIRECTORY, given, when
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    INTAKE,
    SUPERVISOR,
    TK,
    at,
    history_in,
)

REACHED, NO_ANSWER = CallbackOutcome.REACHED, CallbackOutcome.NO_ANSWER


def pending(appeal: object) -> list[ev.Event]:
    return list(appeal.collect_events())  # type: ignore[attr-defined]


def test_the_five_grades_map_to_the_three_every_rate_counts() -> None:
    assert {g.value: s.value for g, s in GRADE_TO_SATISFACTION.items()} == {
        "very_satisfied": "satisfied",
        "satisfied": "satisfied",
        "basically_satisfied": "basically_satisfied",
        "unsatisfied": "unsatisfied",
        "very_unsatisfied": "unsatisfied",
    }
    assert [g.zh for g in Grade] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]
    assert [g for g in Grade if g.is_bad] == [Grade.UNSATISFIED, Grade.VERY_UNSATISFIED]


def test_a_graded_evaluation_records_the_grade_the_verdict_and_the_close_deadline() -> (
    None
):
    appeal = given(history_in("replied"))
    when(appeal, Evaluate(True, grade=Grade.VERY_SATISFIED), ENTERPRISE, at(5))
    [evaluated] = pending(appeal)
    assert isinstance(evaluated, ev.Evaluated)
    assert (evaluated.grade, evaluated.satisfaction) == ("very_satisfied", "satisfied")
    assert evaluated.source == "enterprise"
    assert evaluated.close_due == TK.due(Stage.CLOSE, at(5), "normal", "financing")
    assert appeal.open_deadline("close") == evaluated.close_due


def test_a_grade_and_a_satisfaction_that_disagree_are_refused() -> None:
    appeal = given(history_in("replied"))
    with pytest.raises(InvalidField) as refused:
        when(
            appeal,
            Evaluate(True, Satisfaction.SATISFIED, grade=Grade.BASIC),
            ENTERPRISE,
            at(5),
        )
    assert refused.value.field == "satisfaction"
    with pytest.raises(InvalidField) as missing:
        when(appeal, Evaluate(True), ENTERPRISE, at(5))
    assert missing.value.field == "grade"
    assert pending(appeal) == []


def test_a_very_bad_grade_orders_rectification_within_the_rectify_limit() -> None:
    appeal = given(history_in("replied"))
    when(appeal, Evaluate(False, grade=Grade.VERY_UNSATISFIED), ENTERPRISE, at(5))
    evaluated, reopened = pending(appeal)
    assert isinstance(evaluated, ev.Evaluated)
    assert evaluated.close_due is None
    assert isinstance(reopened, ev.Reopened)
    assert reopened.rectification
    assert reopened.resolve_due == TK.due(Stage.RECTIFY, at(5), "normal", "financing")
    assert "非常不满意" in reopened.reason
    assert appeal.open_deadline("close") is None


def test_the_centre_records_an_evaluation_heard_on_the_phone_as_a_callback() -> None:
    appeal = given(history_in("replied"))
    when(appeal, Evaluate(True, grade=Grade.SATISFIED), INTAKE, at(5))
    [evaluated] = pending(appeal)
    assert evaluated.source == "callback"  # type: ignore[attr-defined]


def test_a_reached_callback_after_the_reply_is_the_evaluation() -> None:
    appeal = given(history_in("replied"))
    when(
        appeal, CallBack(REACHED, Grade.BASIC, True, "企业表示基本满意"), INTAKE, at(30)
    )
    called, evaluated = pending(appeal)
    assert isinstance(called, ev.CalledBack)
    assert (called.purpose, called.outcome, called.attempt) == ("reply", "reached", 1)
    assert called.grade is None  # the verdict is the Evaluated's
    assert isinstance(evaluated, ev.Evaluated)
    assert (evaluated.source, evaluated.grade) == ("callback", "basically_satisfied")
    assert appeal.status == "evaluated"


def test_failed_attempts_end_as_unreachable_after_the_policys_count() -> None:
    rules = Rules(replace(TK, policy=replace(TK.policy, callback_attempts=2)))
    rules = replace(rules, directory=DIRECTORY)
    appeal = given(history_in("replied"))
    when(appeal, CallBack(NO_ANSWER), INTAKE, at(30), rules)
    when(appeal, CallBack(CallbackOutcome.WRONG_NUMBER), INTAKE, at(31), rules)
    first, second = pending(appeal)
    assert (first.attempt, first.unreachable) == (1, False)  # type: ignore[attr-defined]
    assert (second.attempt, second.unreachable) == (2, True)  # type: ignore[attr-defined]
    with pytest.raises(CommandNotAllowed, match="already concluded"):
        when(appeal, CallBack(NO_ANSWER), INTAKE, at(32), rules)
    assert appeal.status == "replied"  # the enterprise may still evaluate
    when(appeal, Evaluate(True, grade=Grade.SATISFIED), ENTERPRISE, at(33))


def test_a_failed_attempt_carries_no_verdict() -> None:
    appeal = given(history_in("replied"))
    with pytest.raises(InvalidField) as refused:
        when(appeal, CallBack(NO_ANSWER, Grade.SATISFIED), INTAKE, at(30))
    assert refused.value.field == "grade"
    with pytest.raises(InvalidField) as unresolved:
        when(appeal, CallBack(REACHED, Grade.SATISFIED), INTAKE, at(30))
    assert unresolved.value.field == "resolved"


def test_an_ignored_appeal_gets_a_verdict_once_its_resolve_deadline_passes() -> None:
    appeal = given(history_in("in_progress"))
    assert appeal.resolve_due is not None
    before = appeal.resolve_due - (at(1) - at(0))
    with pytest.raises(CommandNotAllowed, match="no callback is due"):
        when(appeal, CallBack(REACHED, Grade.UNSATISFIED, False), INTAKE, before)
    late = appeal.resolve_due + (at(24) - at(0))
    when(appeal, CallBack(REACHED, Grade.VERY_UNSATISFIED, False), INTAKE, late)
    [called] = pending(appeal)
    assert isinstance(called, ev.CalledBack)
    assert (called.purpose, called.unit) == ("expired", "SZ-RSJ")
    assert (called.resolved, called.grade, called.satisfaction) == (
        False,
        "very_unsatisfied",
        "unsatisfied",
    )
    assert appeal.status == "in_progress"  # still the unit's to resolve
    with pytest.raises(CommandNotAllowed, match="already concluded"):
        when(appeal, CallBack(NO_ANSWER), INTAKE, late)


def test_a_supervisor_samples_a_closed_appeal_for_a_quality_check() -> None:
    appeal = given(history_in("closed"))
    with pytest.raises(CommandNotAllowed, match="no callback is due"):
        when(appeal, CallBack(REACHED, Grade.SATISFIED), INTAKE, at(40))
    with pytest.raises(NotPermitted):
        when(appeal, Sample("月度抽查"), INTAKE, at(40))
    when(appeal, Sample("月度抽查"), SUPERVISOR, at(40))
    with pytest.raises(CommandNotAllowed, match="already drawn"):
        when(appeal, Sample("再抽"), SUPERVISOR, at(40))
    when(appeal, CallBack(REACHED, Grade.SATISFIED), INTAKE, at(41))
    sampled, called = pending(appeal)
    assert isinstance(sampled, ev.Sampled)
    assert isinstance(called, ev.CalledBack)
    assert (called.purpose, called.grade) == ("sample", "satisfied")
    assert appeal.status == "closed"
    assert not appeal.sampled


def test_sampling_needs_a_judged_or_closed_appeal() -> None:
    appeal = given(history_in("replied"))
    with pytest.raises(CommandNotAllowed):
        when(appeal, Sample(), SUPERVISOR, at(40))


def test_closing_records_the_reconciliation_and_ends_the_close_stage() -> None:
    appeal = given(history_in("replied"))
    when(appeal, Evaluate(True, grade=Grade.SATISFIED), ENTERPRISE, at(5))
    when(appeal, Close("对账完成"), DISPATCHER, at(6))
    evaluated, closed = pending(appeal)
    assert isinstance(closed, ev.Closed)
    assert closed.reconciliation == "confirmed"
    cycles = timeliness([*history_in("replied"), evaluated, closed], at(7), TK)
    [close] = [c for c in cycles if c["stage"] == "close"]
    assert (close["unit"], close["on_time"]) == (CENTRE_UNIT, True)


def test_a_lapsed_window_starts_the_close_stage_and_closing_says_lapsed() -> None:
    appeal = given(history_in("replied"))
    assert appeal.evaluation_due is not None
    later = appeal.evaluation_due + (at(1) - at(0))
    when(appeal, LapseEvaluation(), SYSTEM_ACTOR, later)
    [lapsed] = pending(appeal)
    assert lapsed.close_due == TK.due(  # type: ignore[attr-defined]
        Stage.CLOSE, appeal.evaluation_due, "normal", "financing"
    )
    when(appeal, Close(""), DISPATCHER, later)
    [closed] = pending(appeal)
    assert closed.reconciliation == "lapsed"  # type: ignore[attr-defined]


def test_a_late_close_climbs_the_ladder_as_the_centres() -> None:
    appeal = given(history_in("evaluated"))
    assert appeal.close_due is not None
    late = appeal.close_due + (at(48) - at(0))
    when(appeal, Escalate("close", 0), SYSTEM_ACTOR, late)
    [escalated] = pending(appeal)
    assert (escalated.stage, escalated.level) == ("close", 0)  # type: ignore[attr-defined]
    history = [*history_in("evaluated"), escalated]
    cycles = timeliness(history, late, TK)
    [close] = [c for c in cycles if c["stage"] == "close"]
    assert close["overdue_now"]
    assert close["escalation_level"] == 0
    assert close["unit"] == CENTRE_UNIT
