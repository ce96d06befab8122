"""The callback view (appeals.projections.callbacks) on SQLite and PostgreSQL:
rounds opened by a reply, by a late resolve stage and by a sample; attempts,
无法回访, the queue, 有效回访率 and 抽查满意率; and the assessment taking a
callback's verdict on an ignored appeal."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

from appeals.application.service import AppealLedger
from appeals.domain import commands as cmd
from appeals.domain.values import CallbackOutcome, Channel, Grade, Outcome
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.projections import accountability, assessment, callbacks
from tests.domain.lifecycle_fixtures import HANDLER, INTAKE, SUPERVISOR, UNIT
from tests.support.reports import assigned, at, project

REACHED, NO_ANSWER = CallbackOutcome.REACHED, CallbackOutcome.NO_ANSWER
SEPTEMBER = (
    datetime(2026, 9, 1, tzinfo=SHANGHAI),
    datetime(2026, 10, 1, tzinfo=SHANGHAI),
)


def replied(ledger: AppealLedger, clock: FixedClock, day: int) -> UUID:
    appeal_id = assigned(ledger, clock, day)
    ledger.execute(appeal_id, cmd.Accept(), HANDLER)
    ledger.execute(
        appeal_id, cmd.Resolve(outcome=Outcome.RESOLVED, result="已办"), HANDLER
    )
    ledger.execute(
        appeal_id, cmd.Reply(channel=Channel.HOTLINE, content="已告知"), HANDLER
    )
    return appeal_id


def queued(
    ledger: AppealLedger, now: datetime, due_only: bool = True
) -> dict[str, dict[str, object]]:
    _, rows = callbacks.queue(ledger.database, now, due_only=due_only)
    return {str(row["appeal_id"]): row for row in rows}


def test_a_reply_queues_a_callback_due_the_next_working_day(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = replied(ledger, clock, 14)  # Mon 14 Sep 10:00
    project(ledger)
    assert queued(ledger, clock.now()) == {}  # not due yet
    [row] = queued(ledger, clock.now(), due_only=False).values()
    assert (row["purpose"], row["unit"], row["attempts"]) == ("reply", UNIT, 0)
    assert row["due"] == "2026-09-15T17:30:00+08:00"
    at(clock, 9, 16, 9)
    ledger.execute(appeal_id, cmd.CallBack(NO_ANSWER), INTAKE)
    project(ledger)
    [row] = queued(ledger, clock.now()).values()
    assert (row["attempts"], row["last_outcome"]) == (1, "no_answer")
    ledger.execute(
        appeal_id, cmd.CallBack(REACHED, Grade.VERY_SATISFIED, True, "满意"), INTAKE
    )
    project(ledger)
    assert queued(ledger, clock.now(), due_only=False) == {}
    _, figures = callbacks.figures(ledger.database, *SEPTEMBER)
    assert figures == [
        {
            "unit": UNIT,
            "reached": 1,
            "unreachable": 0,
            "sampled": 0,
            "sampled_satisfied": 0,
            "valid_callback_rate": 1.0,
            "sample_satisfaction_rate": None,
        }
    ]
    appeal = ledger.get(appeal_id)
    assert appeal.status == "evaluated"


def test_failed_attempts_end_as_unreachable_and_lower_the_valid_rate(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    reached, unreachable = replied(ledger, clock, 14), replied(ledger, clock, 14)
    at(clock, 9, 16, 9)
    ledger.execute(reached, cmd.CallBack(REACHED, Grade.BASIC, True), INTAKE)
    for _ in range(3):  # the default policy's attempts
        ledger.execute(unreachable, cmd.CallBack(NO_ANSWER), INTAKE)
    project(ledger)
    assert queued(ledger, clock.now(), due_only=False) == {}
    _, [row] = callbacks.figures(ledger.database, *SEPTEMBER)
    assert (row["reached"], row["unreachable"]) == (1, 1)
    assert row["valid_callback_rate"] == 0.5
    # 无法回访 counts like a lapsed window: out of the satisfaction rate
    _, facts = assessment.facts(ledger.database, *SEPTEMBER)
    resolve = {f.appeal_id: f for f in facts if f.stage == "resolve"}
    assert resolve[str(unreachable)].verdict_lapsed
    assert resolve[str(reached)].verdict_satisfaction == "basically_satisfied"


def test_an_ignored_appeal_is_called_back_at_its_deadline_and_judged(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    ignored = assigned(ledger, clock, 14)  # resolve due Sun 20 Sep (make-up) 17:30
    project(ledger)
    at(clock, 9, 20, 17)
    assert queued(ledger, clock.now()) == {}
    at(clock, 9, 22, 9)
    [row] = queued(ledger, clock.now()).values()
    assert (row["purpose"], row["unit"], row["attempts"]) == ("expired", UNIT, 0)
    assert row["due"] == "2026-09-20T17:30:00+08:00"
    ledger.execute(ignored, cmd.CallBack(NO_ANSWER), INTAKE)
    project(ledger)
    [row] = queued(ledger, clock.now()).values()
    assert (row["purpose"], row["attempts"], row["round"]) == ("expired", 1, 1)
    ledger.execute(
        ignored,
        cmd.CallBack(REACHED, Grade.VERY_UNSATISFIED, False, "无人联系"),
        INTAKE,
    )
    project(ledger)
    assert queued(ledger, clock.now(), due_only=False) == {}
    _, facts = assessment.facts(ledger.database, *SEPTEMBER)
    [resolve] = [f for f in facts if f.stage == "resolve"]
    assert (resolve.verdict_resolved, resolve.verdict_satisfaction) == (
        False,
        "unsatisfied",
    )
    assert ledger.get(ignored).status == "assigned"  # still the unit's
    # the descriptive report counts the verdict as the unit's evaluation too
    _, items = accountability.report(
        ledger.database, "unit", "all", date(2026, 9, 1), date(2026, 9, 30), None
    )
    [row] = [i for i in items if i["unit"] == UNIT]
    assert (row["evaluated"], row["satisfaction_rate"]) == (1, 0.0)


def test_a_sample_is_queued_after_closing_and_counted_apart(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = replied(ledger, clock, 14)
    at(clock, 9, 15, 9)
    ledger.execute(appeal_id, cmd.CallBack(REACHED, Grade.SATISFIED, True), INTAKE)
    ledger.execute(appeal_id, cmd.Close(note="对账完成"), INTAKE)
    clock.advance(timedelta(hours=1))
    ledger.execute(appeal_id, cmd.Sample(reason="九月抽查"), SUPERVISOR)
    project(ledger)
    [row] = queued(ledger, clock.now()).values()
    assert row["purpose"] == "sample"
    ledger.execute(
        appeal_id, cmd.CallBack(REACHED, Grade.UNSATISFIED, note="态度差"), INTAKE
    )
    project(ledger)
    _, [figures] = callbacks.figures(ledger.database, *SEPTEMBER)
    assert (figures["reached"], figures["sampled"]) == (1, 1)
    assert figures["sample_satisfaction_rate"] == 0.0
    assert ledger.get(appeal_id).status == "closed"


def test_a_reopen_cancels_the_pending_round(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = replied(ledger, clock, 14)
    ledger.execute(appeal_id, cmd.Reopen(reason="复核"), SUPERVISOR)
    project(ledger)
    assert queued(ledger, clock.now(), due_only=False) == {}
