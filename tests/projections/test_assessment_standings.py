"""The assessment view's cycles counted in SQL by standing
(``assessment.standings``) add up, in the domain's ``tally_standings``, to
exactly what ``tally`` makes of the cycles read one by one: every grouping,
every month, at instants before, between and after the deadlines, on SQLite
and PostgreSQL; and a trend of every rate answers alike from either."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from appeals.application.service import AppealLedger
from appeals.application.trends import Trends
from appeals.domain import trends
from appeals.domain.assessment import (
    GROUPING_READS,
    GROUPS,
    CycleFact,
    Period,
    tally,
    tally_standings,
)
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.projections import accountability, appeal_list
from appeals.projections import assessment as view
from appeals.projections.lifecycle import stored_instant, stored_or_none
from appeals.projections.reading import live_table
from appeals.projections.runtime.storage import transaction
from tests.support.reports import project
from tests.support.views import caught_up, demo

EVER = (datetime(2000, 1, 1, tzinfo=SHANGHAI), datetime(2100, 1, 1, tzinfo=SHANGHAI))


def history(ledger: AppealLedger, clock: FixedClock) -> list[CycleFact]:
    """The demo's history through every lifecycle path, every view caught up;
    its cycles, read one by one."""
    demo(ledger, clock, appeals=40)
    project(ledger)
    _, facts = view.facts(ledger.database, *EVER)
    return facts


def periods_of(facts: list[CycleFact]) -> list[Period]:
    first, last = min(f.due for f in facts), max(f.due for f in facts)
    return trends.months(
        Period(first.astimezone(SHANGHAI).year, first.astimezone(SHANGHAI).month),
        Period(last.astimezone(SHANGHAI).year, last.astimezone(SHANGHAI).month),
    )


def instants(facts: list[CycleFact]) -> list[datetime]:
    """Before every deadline, at the quartiles of the deadlines (some due,
    some completed later), at a completion and after everything."""
    dues = sorted(f.due for f in facts)
    completed = sorted(f.completed_at for f in facts if f.completed_at)
    return [
        dues[0] - timedelta(days=1),
        *(dues[len(dues) * q // 4] for q in (1, 2, 3)),
        completed[len(completed) // 2],
        dues[-1] + timedelta(days=400),
    ]


def test_standings_counted_in_sql_tally_as_the_cycles_one_by_one(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    facts = history(ledger, clock)
    periods = periods_of(facts)
    assert len(periods) >= 2
    database = ledger.database
    first, last = periods[0].first_day, periods[-1].last_day
    _, activity = accountability.activity(database, first, last)
    grouped = 0
    compared = 0
    fewer = 0
    for as_of in instants(facts):
        position, counted = view.standings(database, periods, as_of, SHANGHAI)
        assert position == ledger.recorder.max_notification_id()
        assert sum(n for month in counted.values() for _, n in month) == len(facts)
        grouped += sum(n > 1 for month in counted.values() for _, n in month)
        for period in periods:
            month = counted.get(str(period), [])
            for group in GROUPS:
                one_by_one = tally(facts, activity, period, as_of, SHANGHAI, group)
                assert tally_standings(month, activity, period, group) == one_by_one
                compared += len(one_by_one)
            # each grouping counted keeping apart only what it reads
            _, per_grouping = view.standings_per_grouping(
                database, [period], as_of, SHANGHAI, GROUPING_READS
            )
            for group, counts in per_grouping.items():
                assert tally_standings(
                    counts.get(str(period), []), activity, period, group
                ) == tally(facts, activity, period, as_of, SHANGHAI, group)
                fewer += len(counts.get(str(period), [])) < len(month)
    assert grouped > 0  # cycles alike were counted as one row
    assert fewer > 0  # and fewer rows for a grouping that keeps less apart
    assert compared > 0


def test_standings_of_some_stages_only(ledger: AppealLedger, clock: FixedClock) -> None:
    facts = history(ledger, clock)
    periods = periods_of(facts)
    as_of = instants(facts)[-1]
    _, counted = view.standings(
        ledger.database, periods, as_of, SHANGHAI, stages=("resolve",)
    )
    stages = {s.stage for month in counted.values() for s, _ in month}
    assert stages == {"resolve"}
    resolves = sum(f.stage == "resolve" for f in facts)
    assert sum(n for month in counted.values() for _, n in month) == resolves
    assert view.standings(ledger.database, periods, as_of, SHANGHAI, stages=())[1] == {}
    with pytest.raises(ValueError, match="cannot keep"):
        view.standings(ledger.database, periods, as_of, SHANGHAI, keep=("appeal_id",))
    # months apart: each counts its own cycles, none of the month between
    apart = [periods[0], periods[-1]]
    assert apart[1].first_day - apart[0].last_day > timedelta(days=1)
    _, counted = view.standings(ledger.database, apart, as_of, SHANGHAI)
    assert counted == {
        str(month): view.standings(ledger.database, [month], as_of, SHANGHAI)[1][
            str(month)
        ]
        for month in apart
    }
    # months out of order would be told apart wrongly: refused
    with pytest.raises(ValueError, match="in order"):
        view.standings(ledger.database, apart[::-1], as_of, SHANGHAI)


def assert_hours(
    ledger: AppealLedger,
    periods: list[Period],
    facts: list[CycleFact],
    as_of: datetime,
) -> list[trends.Hours]:
    """Every grouping's response hours read from the view are, group by
    group and month, what the domain makes of the cycles one by one (the
    same multiset of hours), and trend alike."""
    working_time = ledger.rules.timekeeping.working_time
    responses = trends.responses_of(facts, as_of, SHANGHAI, working_time)
    read = []
    for group_by in trends.GROUPS:
        _, hours = view.response_hours(
            ledger.database, periods, as_of, SHANGHAI, working_time, group_by
        )
        expected = trends.hours_of(responses, group_by)
        assert len(hours) == len({(h.month, h.key) for h in hours})
        assert {(h.month, h.key): Counter(h.hours) for h in hours} == {
            (h.month, h.key): Counter(h.hours) for h in expected
        }, (as_of, group_by)
        read.extend(hours)
        from_view = trends.trend(
            "first_response_hours", group_by, periods, [], [], [], as_of,
            SHANGHAI, working_time, hours=hours,
        )  # fmt: skip
        one_by_one = trends.trend(
            "first_response_hours", group_by, periods, facts, [], [], as_of,
            SHANGHAI, working_time,
        )  # fmt: skip
        assert from_view == one_by_one, (as_of, group_by)
    return read


def test_the_view_hands_over_every_responses_hours_as_the_cycles_give_them(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """The first responses' hours the view reads, ended ones measured when
    their stage ended (``worked_us``), running ones to the instant asked,
    are the cycles' own, every grouping, at instants before, between and
    after the deadlines."""
    facts = history(ledger, clock)
    periods = periods_of(facts)
    running = ended = 0
    for as_of in instants(facts):
        assert_hours(ledger, periods, facts, as_of)
        for fact in facts:
            if fact.stage == "first_response" and fact.is_due(as_of):
                done = fact.completed_at or fact.ended_at
                running += done is None
                ended += done is not None
    assert running > 0  # both kinds were measured
    assert ended > 0
    working_time = ledger.rules.timekeeping.working_time
    no_months = view.response_hours(
        ledger.database, [], clock.now(), SHANGHAI, working_time
    )
    assert no_months[1] == []
    with pytest.raises(ValueError, match="group_by"):
        view.response_hours(
            ledger.database, periods, clock.now(), SHANGHAI, working_time, "x"
        )


RUNNING_SHARE = {"U1": 0.02, "U2": 0.3, "U3": 0.7, None: 0.1}


def test_many_responses_packed_per_group_and_month_come_back_whole(
    ledger: AppealLedger,
) -> None:
    """Groups of up to a hundred responses a month, some running from random
    starts, the ended ones taking few distinct times (ties), some with no
    unit: every one's hours come back, in its group and the city's."""
    caught_up(ledger, view.projection(ledger.rules.timekeeping))  # its tables, empty
    working_time = ledger.rules.timekeeping.working_time
    randoms = random.Random(21)
    due = datetime(2026, 9, 15, 17, tzinfo=SHANGHAI)
    as_of = due + timedelta(days=20)
    rows = []
    for number in range(600):
        month_due = due + timedelta(days=30 * (number % 2))
        unit = randoms.choice(["U1", "U2", "U3", None])
        running = randoms.random() < RUNNING_SHARE[unit]
        if running:  # each from its own start
            started = month_due - timedelta(minutes=randoms.randrange(60, 30_000))
            completed, worked = None, None
        else:  # ended ones take few distinct times: ties
            started = month_due - timedelta(hours=randoms.choice([2, 30, 80]))
            completed = started + timedelta(hours=randoms.choice([1, 4, 24, 50]))
            worked = working_time(started, completed) // timedelta(microseconds=1)
        rows.append(
            (
                f"appeal-{number}", "first_response", 1, unit, None,
                randoms.choice(["financing", "land"]), "310101",
                stored_instant(started), stored_instant(month_due),
                stored_or_none(completed), None, None, 0, None, None, 0, worked,
            )
        )  # fmt: skip
    insert(ledger, rows)
    _, facts = view.facts(ledger.database, *EVER)
    periods = [Period(2026, 9), Period(2026, 10)]
    for at in (as_of, as_of + timedelta(days=30)):
        hours = assert_hours(ledger, periods, facts, at)
        # every grouping's city row holds every response due
        city = sum(len(h.hours) for h in hours if h.key == trends.CITY_KEY)
        assert city == len(trends.GROUPS) * sum(f.is_due(at) for f in facts) > 0


@pytest.mark.parametrize("group_by", trends.GROUPS)
def test_every_rate_trends_alike_from_standings_counted_in_sql(
    ledger: AppealLedger, clock: FixedClock, group_by: str
) -> None:
    facts = history(ledger, clock)
    periods = periods_of(facts)
    database = ledger.database
    first, last = periods[0].first_day, periods[-1].last_day
    _, activity = accountability.activity(database, first, last)
    working_time = ledger.rules.timekeeping.working_time
    keep = GROUPING_READS.get(group_by, ())
    kept = tuple(c for c in keep if c in accountability.ACTIVITY_KEPT)
    _, monthly = accountability.activity(database, first, last, monthly=True, keep=kept)
    assert 0 < len(monthly) < len(activity)
    rates = [m for m, c in trends.MEASURES.items() if c.kind == "rate"]
    valued = 0
    for as_of in instants(facts)[1:]:
        for measure in rates:
            if group_by == "locality" and measure in trends.ACTIVITY_MEASURES:
                continue
            stages = trends.stages_read(measure, group_by)
            _, counted = view.standings(
                database, periods, as_of, SHANGHAI, stages, keep
            )

            from_sql = trends.trend(
                measure, group_by, periods, [], monthly, [], as_of,
                SHANGHAI, working_time, counted,
            )  # fmt: skip
            one_by_one = trends.trend(
                measure, group_by, periods, facts, activity, [], as_of,
                SHANGHAI, working_time,
            )  # fmt: skip
            assert from_sql == one_by_one, (measure, as_of)
            valued += sum(
                figure.value is not None
                for months in from_sql.values()
                for figure in months.values()
            )
    assert valued > 0


def test_instants_equal_to_a_deadline_or_the_instant_assessed_count_alike(
    ledger: AppealLedger,
) -> None:
    """Ties the generated histories never make: a cycle completed or ended
    exactly at its deadline, a deadline or a completion exactly at the
    instant assessed, each beside one a microsecond either side."""
    caught_up(ledger, view.projection(ledger.rules.timekeeping))  # its tables, empty
    due = datetime(2026, 9, 15, 17, tzinfo=SHANGHAI)
    tick = timedelta(microseconds=1)
    rows = []
    working_time = ledger.rules.timekeeping.working_time
    started = due - timedelta(days=3)
    for number, (completed, ended_by, ended_at) in enumerate(
        [
            (due, None, None),
            (due - tick, None, None),
            (due + tick, None, None),
            (None, "returned", due),
            (None, "returned", due + tick),
            (None, "withdrawn", due - tick),
            (due, "closed", due),
            (due - tick, "returned", due),  # responded, then returned: due
            (None, None, None),
        ]
    ):
        end = completed or ended_at
        worked = None if end is None else working_time(started, end) // tick
        for stage in ("first_response", "resolve"):
            rows.append(
                (
                    f"appeal-{number}", stage, 1, "U1", "C1", "financing",
                    "310101", stored_instant(started),
                    stored_instant(due), stored_or_none(completed), ended_by,
                    stored_or_none(ended_at), 0, None, None, 0, worked,
                )
            )  # fmt: skip
    early = stored_instant(due - tick)
    for name, unit, excluded, completed, worked in (
        ("excluded", "U1", 1, early, 0),  # a granted exclusion: not due
        ("no-unit", None, 0, None, None),  # no unit charged, still running
        ("unmeasured", "U1", 0, early, None),  # an older writer's row: to its end
    ):
        rows.append(
            (
                name, "first_response", 1, unit, None, "financing", "310101",
                stored_instant(started), stored_instant(due), completed, None, None,
                excluded, None, None, 0, worked,
            )
        )  # fmt: skip
    insert(ledger, rows)
    period = Period(2026, 9)
    _, facts = view.facts(ledger.database, *EVER)
    assert len(facts) == len(rows)
    for as_of in (due - tick, due, due + tick, due + timedelta(days=1)):
        _, counted = view.standings(ledger.database, [period], as_of, SHANGHAI)
        for group in GROUPS:
            assert tally_standings(counted[str(period)], [], period, group) == tally(
                facts, [], period, as_of, SHANGHAI, group
            ), (as_of, group)
        assert_hours(ledger, [period], facts, as_of)


def insert(ledger: AppealLedger, rows: list[tuple[Any, ...]]) -> None:
    """Cycles written into the live table as the view would."""
    table = live_table(ledger.database, view.CYCLES)
    marks = ", ".join("?" for _ in view.COLUMNS)
    with transaction(ledger.database, write=True) as sql:
        sql.executemany(
            f"INSERT INTO {table} ({', '.join(view.COLUMNS)}) VALUES ({marks})",
            rows,
        )


def test_activity_summed_per_month_tallies_as_the_days(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    facts = history(ledger, clock)
    periods = periods_of(facts)
    first, last = periods[0].first_day, periods[-1].last_day
    database = ledger.database
    _, daily = accountability.activity(database, first, last)
    assert sum(a.returned + a.reopened + a.supervised for a in daily) > 0
    for group in ("unit", "cadre", "category"):
        keep = GROUPING_READS[group]
        _, monthly = accountability.activity(
            database, first, last, monthly=True, keep=keep
        )
        assert {a.day.day for a in monthly} == {1}
        for period in periods:
            assert tally_standings([], monthly, period, group) == tally_standings(
                [], daily, period, group
            ), (group, period)
    with pytest.raises(ValueError, match="cannot keep"):
        accountability.activity(database, first, last, keep=("locality",))


@pytest.mark.parametrize("group_by", trends.GROUPS)
def test_the_trend_service_answers_every_measure_as_the_cycles_one_by_one(
    ledger: AppealLedger, clock: FixedClock, group_by: str
) -> None:
    """What Trends reads (standings, facts, monthly activity, receipts) for
    each measure gives the figures the domain makes of everything."""
    facts = history(ledger, clock)
    periods = periods_of(facts)
    database = ledger.database
    first, last = periods[0], periods[-1]
    _, activity = accountability.activity(database, first.first_day, last.last_day)
    start, end = first.bounds(SHANGHAI)[0], last.bounds(SHANGHAI)[1]
    _, receipts = appeal_list.receipts(database, start, end)
    service = Trends(ledger)
    as_of = ledger.clock.now()
    answered = valued = 0
    for measure in trends.MEASURES:
        if group_by == "locality" and measure in trends.ACTIVITY_MEASURES:
            continue
        body = service.trend(measure, group_by, first, last, first, last).body
        expected = trends.trend(
            measure, group_by, periods, facts, activity, receipts, as_of,
            SHANGHAI, ledger.rules.timekeeping.working_time,
        )  # fmt: skip
        got = {
            trends.CITY_KEY if item["group"] == "city" else (item["group"] or "",): [
                {k: v for k, v in value.items() if k != "period"}
                for value in item["values"]
            ]
            for item in body["items"]
        }
        assert got == {
            key: [figures[str(p)].plain() for p in periods]
            for key, figures in expected.items()
        }, measure
        answered += len(got)
        valued += sum(v["value"] is not None for row in got.values() for v in row)
    assert answered > (len(trends.MEASURES) if group_by != trends.CITY else 0)
    assert valued > len(trends.MEASURES)
