"""The assessment view's cycles counted in SQL by standing
(``assessment.standings``) add up, in the domain's ``tally_standings``, to
exactly what ``tally`` makes of the cycles read one by one: every grouping,
every month, at instants before, between and after the deadlines, on SQLite
and PostgreSQL; and a trend of every rate answers alike from either."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection
from datetime import datetime, timedelta
from statistics import median
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
    # a month left out would have its cycles counted in the next one
    gap = [Period(2026, 8), Period(2026, 10)]
    with pytest.raises(ValueError, match="consecutive"):
        view.standings(ledger.database, gap, as_of, SHANGHAI)


def assert_middles(
    ledger: AppealLedger,
    periods: list[Period],
    facts: list[CycleFact],
    as_of: datetime,
    unmeasured: Collection[str] = (),
) -> list[trends.Middle]:
    """Every grouping's middles read from the view, against the cycles one
    by one: each cell's total, its running responses' hours (the rows
    ``unmeasured`` among them: measured to their end), ended ones' hours
    forming an unbroken run of the sorted ended hours starting ``below``
    them, and its median ``statistics.median`` of every response's hours."""
    working_time = ledger.rules.timekeeping.working_time
    due = [f for f in facts if f.stage == "first_response" and f.is_due(as_of)]
    ran = [f for f in due if not (f.completed_at or f.ended_at)]
    ran += [f for f in due if f.appeal_id in unmeasured]
    ended = [f for f in due if f not in ran]
    read = []
    for group_by in trends.GROUPS:
        _, middles = view.middles(
            ledger.database, periods, as_of, SHANGHAI, working_time, group_by
        )
        expected = {}
        for running, kind in ((True, ran), (False, ended)):
            responses = trends.responses_of(kind, as_of, SHANGHAI, working_time)
            for middle in trends.middles_of(responses, group_by):
                expected.setdefault((middle.month, middle.key), ([], []))
                expected[middle.month, middle.key][running].extend(middle.running)
        assert {(m.month, m.key) for m in middles} == set(expected), group_by
        for middle in middles:
            hours, running = expected[middle.month, middle.key]
            assert middle.total == len(hours) + len(running)
            assert Counter(middle.running) == Counter(running)
            window = sorted(hours)[middle.below : middle.below + len(middle.around)]
            assert sorted(middle.around) == window
            assert trends.median_hours(middle) == median(hours + running)
        read.extend(middles)
        from_view = trends.trend(
            "first_response_hours", group_by, periods, [], [], [], as_of,
            SHANGHAI, working_time, middles=middles,
        )  # fmt: skip
        one_by_one = trends.trend(
            "first_response_hours", group_by, periods, facts, [], [], as_of,
            SHANGHAI, working_time,
        )  # fmt: skip
        assert from_view == one_by_one, (as_of, group_by)
    return read


def test_the_view_hands_over_each_groups_middle_responses(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """The first responses the view reads around each group's middle,
    ended ones measured when their stage ended (``worked_us``), running ones
    to the instant asked, give every grouping's median hours as the cycles
    one by one do."""
    facts = history(ledger, clock)
    periods = periods_of(facts)
    middles = []
    for as_of in instants(facts):
        middles += assert_middles(ledger, periods, facts, as_of)
    assert any(m.running for m in middles)  # both kinds were measured
    assert any(m.around for m in middles)
    working_time = ledger.rules.timekeeping.working_time
    no_months = view.middles(ledger.database, [], clock.now(), SHANGHAI, working_time)
    assert no_months[1] == []
    with pytest.raises(ValueError, match="group_by"):
        view.middles(ledger.database, periods, clock.now(), SHANGHAI, working_time, "x")


RUNNING_SHARE = {"U1": 0.02, "U2": 0.3, "U3": 0.7, None: 0.1}


def test_only_the_responses_around_the_middle_are_handed_over(
    ledger: AppealLedger,
) -> None:
    """Cells of up to a hundred responses, some running from random starts,
    the ended ones' hours drawn from few values (ties): each cell's median
    is every response's, while the view hands over far fewer ended ones."""
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
    middles = []
    for at in (as_of, as_of + timedelta(days=30)):
        middles += assert_middles(ledger, periods, facts, at)
    for middle in middles:  # the window: at most two more than the running
        assert len(middle.around) <= len(middle.running) + 2
    handed = sum(len(m.around) for m in middles)
    ended = sum(m.total - len(m.running) for m in middles)
    assert handed < ended / 2
    assert any(m.below > 0 and m.running for m in middles)


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
        assert_middles(ledger, [period], facts, as_of, unmeasured={"unmeasured"})


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
