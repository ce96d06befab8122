"""The assessment view from real events (2026 calendar, tests/builders.py's
directory): its facts, folded purely and read back on SQLite and PostgreSQL,
say what the assessment needs: a withdrawal before the deadline owes nothing
(D3), a verdict belongs to the resolve cycle it judged, a lapsed window is
marked, the locality is the enterprise's, an exclusion covers every cycle."""

from __future__ import annotations

from typing import Any

from appeals.application.service import AppealLedger
from appeals.domain.assessment import CycleFact, Period, assess
from appeals.domain.commands import (
    Accept,
    Assign,
    DecideExclusion,
    Evaluate,
    LapseEvaluation,
    NoteProgress,
    Reply,
    RequestExclusion,
    Resolve,
    Withdraw,
)
from appeals.domain.values import (
    SYSTEM_ACTOR,
    Channel,
    ExclusionReason,
    Outcome,
    Satisfaction,
)
from appeals.infra.assessment_scheme import load_scheme
from appeals.infra.clock import SHANGHAI
from appeals.projections import assessment
from appeals.projections.runtime.model import fold
from tests.builders import CADRE, TK, when
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    INTAKE,
    SUPERVISOR,
    UNIT,
    receive,
    t,
)
from tests.support.views import caught_up


def facts_of(history: list[Any]) -> dict[tuple[str, int], CycleFact]:
    rows = fold(assessment.projection(TK), history).rows("assessment_cycles")
    return {(r["stage"], r["cycle"]): assessment.fact(r) for r in rows}


def withdrawn_before_its_deadlines() -> list[Any]:
    appeal = receive(t(9, 14, 10))
    when(appeal, Assign(UNIT, CADRE), DISPATCHER, t(9, 14, 10))
    when(appeal, Withdraw("问题已自行解决"), ENTERPRISE, t(9, 14, 15))
    return list(appeal.collect_events())


def judged_twice_then_lapsed() -> list[Any]:
    """Resolved, judged unsatisfied (reopened), resolved again, and the second
    evaluation window lapses."""
    appeal = receive(t(9, 14, 10))
    when(appeal, Assign(UNIT, CADRE), DISPATCHER, t(9, 14, 10))
    when(appeal, Accept(), HANDLER, t(9, 14, 11))
    when(appeal, NoteProgress("已联系"), HANDLER, t(9, 14, 11))
    when(appeal, Resolve(Outcome.PARTIAL, "部分解决"), HANDLER, t(9, 15, 10))
    when(appeal, Reply(Channel.HOTLINE, "已告知"), HANDLER, t(9, 15, 11))
    unsatisfied = Evaluate(False, Satisfaction.UNSATISFIED, "仍未解决")
    when(appeal, unsatisfied, ENTERPRISE, t(9, 16, 10))
    when(appeal, Resolve(Outcome.RESOLVED, "已解决"), HANDLER, t(9, 18, 10))
    when(appeal, Reply(Channel.HOTLINE, "已告知"), INTAKE, t(9, 18, 11))
    when(appeal, LapseEvaluation(), SYSTEM_ACTOR, t(9, 28, 10))
    return list(appeal.collect_events())


def test_a_withdrawal_before_the_deadlines_makes_nothing_due() -> None:
    facts = facts_of(withdrawn_before_its_deadlines())
    unit_stages = {k: f for k, f in facts.items() if k[0] != "dispatch"}
    assert set(unit_stages) == {("first_response", 1), ("accept", 1), ("resolve", 1)}
    as_of = t(10, 9, 9)
    assert all(f.ended_by == "withdrawn" for f in unit_stages.values())
    assert not any(f.is_due(as_of) for f in unit_stages.values())
    rows = assess(
        facts.values(), [], load_scheme(), Period(2026, 9), as_of, SHANGHAI, "unit"
    )
    assert [r.key for r in rows] == [("12345",)]  # only the centre's dispatch


def test_each_verdict_belongs_to_the_cycle_it_judged() -> None:
    facts = facts_of(judged_twice_then_lapsed())
    first, second = facts[("resolve", 1)], facts[("resolve", 2)]
    assert (first.verdict_resolved, first.verdict_satisfaction) == (
        False,
        "unsatisfied",
    )
    assert (second.verdict_resolved, second.verdict_lapsed) == (None, True)
    assert (first.unit, first.cadre, first.locality) == (UNIT, CADRE, "330100")


def test_an_exclusion_covers_every_cycle_of_the_appeal_once_granted() -> None:
    appeal = receive(t(9, 14, 10))
    when(appeal, Assign(UNIT, CADRE), DISPATCHER, t(9, 14, 10))
    request = RequestExclusion(ExclusionReason.UNREASONABLE_DEMAND, "要求政府代偿债务")
    when(appeal, request, HANDLER, t(9, 22, 10))
    history = list(appeal.collect_events())
    assert not any(f.excluded for f in facts_of(history).values())  # asked only
    when(appeal, DecideExclusion(True, "同意"), SUPERVISOR, t(9, 22, 11))
    history += appeal.collect_events()
    assert all(f.excluded for f in facts_of(history).values())


def test_the_reader_answers_the_fold_on_both_stores(ledger: AppealLedger) -> None:
    appeal = receive(t(9, 14, 10))
    when(appeal, Assign(UNIT, CADRE), DISPATCHER, t(9, 14, 10))
    when(appeal, Accept(), HANDLER, t(9, 16, 10))
    ledger.save(appeal)
    caught_up(ledger, assessment.projection(ledger.rules.timekeeping))
    start, end = Period(2026, 9).bounds(SHANGHAI)
    position, read = assessment.facts(ledger.database, start, end)
    assert position == ledger.recorder.max_notification_id()
    folded = facts_of(ledger.history(appeal.id))
    assert len(read) == 4  # dispatch, first response, accept, resolve
    assert sorted(read, key=lambda f: (f.stage, f.cycle)) == sorted(
        folded.values(), key=lambda f: (f.stage, f.cycle)
    )
    october = Period(2026, 10).bounds(SHANGHAI)
    assert assessment.facts(ledger.database, *october)[1] == []
