"""A trend reads only the cycles (and activity) its measure and grouping
count, and answers exactly as it does from everything (both stores)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from appeals.application.service import AppealLedger
from appeals.domain import trends
from appeals.domain.assessment import Period
from appeals.domain.identities import CENTRE_UNIT
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.projections import accountability, appeal_list
from appeals.projections import assessment as assessment_view
from tests.http.reports.test_trends import two_months

FIRST, LAST = Period(2026, 8), Period(2026, 11)


@pytest.mark.parametrize("group_by", trends.GROUPS)
def test_every_measure_answers_alike_from_only_what_it_reads(
    ledger: AppealLedger, clock: FixedClock, group_by: str
) -> None:
    two_months(ledger, clock)
    start, end = FIRST.bounds(SHANGHAI)[0], LAST.bounds(SHANGHAI)[1]
    database = ledger.database
    _, every = assessment_view.facts(database, start, end)
    _, activity = accountability.activity(database, FIRST.first_day, LAST.last_day)
    assert {f.stage for f in every} >= {"dispatch", "first_response", "resolve"}
    assert activity
    periods = trends.months(FIRST, LAST)
    as_of = datetime(2026, 11, 2, 9, tzinfo=SHANGHAI)
    working_time = ledger.rules.timekeeping.working_time
    read_less = 0
    for measure in trends.MEASURES:
        if measure == "received" or (
            group_by == "locality" and measure in trends.ACTIVITY_MEASURES
        ):
            continue
        stages = trends.stages_read(measure, group_by)
        _, some = assessment_view.facts(database, start, end, stages)
        if stages is not None:
            assert {f.stage for f in some} <= set(stages)
            read_less += len(some) < len(every)
        else:
            assert len(some) == len(every)
        done = activity if trends.reads_activity(measure, group_by) else []

        answers = [
            trends.trend(
                measure,
                group_by,
                periods,
                facts,
                acts,
                [],
                as_of,
                SHANGHAI,
                working_time,
            )
            for facts, acts in ((some, done), (every, activity))
        ]
        assert answers[0] == answers[1], measure
    if group_by == trends.CITY:
        assert read_less >= 5  # the city's rates read one stage each


def test_hotspots_counted_in_sql_answer_as_the_cycles_and_receipts_one_by_one(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    two_months(ledger, clock)
    start, end = FIRST.bounds(SHANGHAI)[0], LAST.bounds(SHANGHAI)[1]
    database = ledger.database
    as_of = datetime(2026, 10, 20, 9, tzinfo=SHANGHAI)  # October's not yet due
    _, every = assessment_view.facts(database, start, end)
    _, receipts = appeal_list.receipts(database, start, end)
    _, counted = assessment_view.standings_between(
        database, start, end, as_of, trends.HOTSPOT_STAGES, trends.HOTSPOT_KEEP
    )
    _, received = appeal_list.received_counts(database, start, end)
    assert received == Counter((r.category, r.locality) for r in receipts)
    due: Counter[tuple[str, str]] = Counter()
    late: Counter[tuple[str, str]] = Counter()
    for fact in every:
        if fact.stage == "resolve" and fact.unit != CENTRE_UNIT and fact.is_due(as_of):
            due[(fact.category, fact.locality or "")] += 1
            late[(fact.category, fact.locality or "")] += not fact.met()
    spots = trends.hotspots(received, counted)
    assert {(s.category, s.locality): (s.received, s.due, s.late) for s in spots} == {
        key: (received[key], due[key], late[key]) for key in received.keys() | due
    }
    assert sum(due.values()) < sum(1 for f in every if f.stage == "resolve")
    assert sum(late.values()) > 0
