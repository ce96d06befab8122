"""What reports remember (reading.Remembered) answers exactly as what is
counted again, on SQLite and PostgreSQL. A trend's month is used again only
while none of its cycles changed, only for an instant no earlier than the
one it was counted at and on the same side of the month, and only with
every completion in it done by then; a change to one of its cycles (a late
first response, here) makes it be counted again. The assessment preview's
days likewise; the timeliness report's days while none of the cycles
completed on them changed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from appeals.application.assessments import Assessments
from appeals.application.service import AppealLedger
from appeals.domain import commands as cmd
from appeals.domain import trends
from appeals.domain.assessment import Period
from appeals.infra.assessment_scheme import load_scheme
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.projections import assessment as view
from appeals.projections import reading, timeliness
from appeals.projections.reading import Remembered
from tests.domain.lifecycle_fixtures import HANDLER
from tests.support.reports import at, history, project

MONTHS = [Period(2026, 9), Period(2026, 10), Period(2026, 11)]
RATE = trends.stages_read("response_rate", trends.CITY)


def answers(
    ledger: AppealLedger, as_of: datetime, past: Remembered | None
) -> tuple[Any, ...]:
    """The response rate's standings (the city's) and the median hours' by
    unit, as trends read them."""
    database, working_time = ledger.database, ledger.rules.timekeeping.working_time
    _, counted = view.standings(database, MONTHS, as_of, SHANGHAI, RATE, (), past=past)
    _, hours = view.response_hours(
        database, MONTHS, as_of, SHANGHAI, working_time, "unit", past=past
    )
    return counted, sorted((h.month, h.key, sorted(h.hours)) for h in hours)


class Watched(Remembered):
    """Remembered, noting each month (``2026-09``) and day (``2026-11-01``)
    used again: the median hours read the month holding the instant asked
    in days (it changes all the time, but mostly today)."""

    def __init__(self) -> None:
        super().__init__(size=512)
        self.used: list[str] = []

    def get(self, key: Any, version: Any, at: Any = None) -> Any | None:
        found = super().get(key, version, at)
        if found is not None:
            self.used.append(key[2])
        return found

    def months(self) -> int:
        return sum(1 for label in self.used if len(label) == len("2026-09"))

    def days(self) -> list[str]:
        return [label for label in self.used if len(label) == len("2026-09-01")]


def test_remembered_months_answer_as_counted_again_until_a_cycle_changes(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    ids = history(ledger, clock)  # September: one first response never made
    at(clock, 11, 2, 9)
    project(ledger)
    past = Watched()
    as_of = clock.now()
    first = answers(ledger, as_of, past)
    assert past.hits == 0
    assert answers(ledger, as_of, past) == first == answers(ledger, as_of, None)
    # September and October (empty), for the rates and for the hours
    assert past.months() == 4
    # and November's days for the hours, but the 2nd, which holds the instant
    assert past.days() == [f"2026-11-{day:02d}" for day in range(1, 31) if day != 2]
    later = as_of + timedelta(days=1)  # September's running response grew
    assert answers(ledger, later, past) == answers(ledger, later, None)
    assert answers(ledger, later, None) != first
    assert past.months() == 8
    # the 2nd, never kept, read; the 3rd holds the instant now
    assert past.days()[29:] == [
        f"2026-11-{day:02d}" for day in range(1, 31) if day not in (2, 3)
    ]
    hits = past.months()
    earlier = as_of - timedelta(hours=1)  # before it was counted: not used
    assert answers(ledger, earlier, past) == answers(ledger, earlier, None)
    assert past.months() == hits
    # the late first response, made in November: September counted again
    at(clock, 11, 3, 10)
    ledger.execute(ids["slow"], cmd.NoteProgress(note="已联系企业"), HANDLER)
    project(ledger)
    now = clock.now()
    again = answers(ledger, now, past)
    assert again == answers(ledger, now, None)
    assert again[0]["2026-09"] != first[0]["2026-09"]  # completed now
    # September counted again; October's rates and hours, unchanged, kept
    assert past.months() == hits + 2


def test_a_month_not_yet_ended_or_with_a_completion_after_the_instant_is_not_kept(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    ids = history(ledger, clock)
    at(clock, 11, 3, 10)  # September's late first response, made in November
    ledger.execute(ids["slow"], cmd.NoteProgress(note="已联系企业"), HANDLER)
    project(ledger)
    past = Watched()
    database = ledger.database
    for as_of in (
        datetime(2026, 9, 20, 9, tzinfo=SHANGHAI),  # September not ended
        datetime(2026, 9, 30, 23, tzinfo=SHANGHAI),  # ended at 24:00
    ):
        for _ in range(2):
            assert answers(ledger, as_of, past) == answers(ledger, as_of, None)
        hits = past.months()
        for _ in range(2):
            view.standings(database, MONTHS[:1], as_of, SHANGHAI, RATE, (), past=past)
        assert past.months() == hits  # September was not kept
    # October and November, not begun: none of their deadlines had passed,
    # at either instant (rates and hours: 4 from the second reading on)
    assert past.months() == 12
    # after September's end, before a completion in it (an instant asked
    # in the past): its rates would read the completion as not yet done;
    # October holds the instant now: counted again
    past = Watched()
    as_of = datetime(2026, 10, 15, 9, tzinfo=SHANGHAI)
    assert answers(ledger, as_of, past) == answers(ledger, as_of, None)
    assert answers(ledger, as_of, past) == answers(ledger, as_of, None)
    # November's rates and hours, and September's hours (of the responses
    # ended, measured once: the same at any instant after the month's end)
    assert past.months() == 3
    # and October's days for the hours, but the 15th
    assert past.days() == [f"2026-10-{day:02d}" for day in range(1, 32) if day != 15]
    past = Remembered(size=512)
    for _ in range(2):
        _, counted = view.standings(
            database, MONTHS[:1], as_of, SHANGHAI, RATE, (), past=past
        )
        assert (
            counted
            == view.standings(database, MONTHS[:1], as_of, SHANGHAI, RATE, ())[1]
        )
    assert past.hits == 0
    now = clock.now()  # once it is done, the month is kept
    for _ in range(2):
        view.standings(database, MONTHS[:1], now, SHANGHAI, RATE, (), past=past)
    assert past.hits == 1


def test_nothing_is_kept_longer_than_its_age_allows(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    history(ledger, clock)
    at(clock, 11, 2, 9)
    project(ledger)
    as_of = clock.now()
    forgetful = Remembered(size=512, max_age=0.0)  # as after a rebuild's swap
    for _ in range(3):
        assert answers(ledger, as_of, forgetful) == answers(ledger, as_of, None)
    assert forgetful.hits == 0
    small = Remembered(size=1)  # the least recently used dropped
    for _ in range(2):
        answers(ledger, as_of, small)
    assert small.hits == 0  # four months kept, one at a time


def test_the_timeliness_reports_remembered_days_answer_as_read_again(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    ids = history(ledger, clock)  # completions on 14-16 September
    at(clock, 11, 3, 9)
    project(ledger)
    past = Remembered(size=512)
    database = ledger.database
    asked: list[tuple[date, date, list[tuple[str, str]], str]] = [
        (date(2026, 9, 1), date(2026, 11, 3), [], "stage"),
        (date(2026, 9, 14), date(2026, 9, 14), [], "unit"),
        (date(2026, 9, 1), date(2026, 11, 3), [("unit", "SZ-SWJ")], "unit"),
    ]

    def reports(remembered: Remembered | None) -> list[Any]:
        return [
            timeliness.report(
                database, first, last, SHANGHAI, equals, group, remembered
            )[1]
            for first, last, equals, group in asked
        ]

    first = reports(past)
    assert past.hits == 0
    assert reports(past) == first == reports(None)
    assert past.hits == 64 + 1 + 64
    assert first[0]
    assert first[1]
    assert not first[2]  # no stage of that unit
    # a first response made today: today counted again, the days before used
    at(clock, 11, 3, 10)
    ledger.execute(ids["slow"], cmd.NoteProgress(note="已联系企业"), HANDLER)
    project(ledger)
    hits = past.hits
    again = reports(past)
    assert again == reports(None)
    assert again[0] != first[0]
    assert past.hits == hits + 63 + 1 + 63
    # days forgotten apart (the 15th, with completions, and the 20th): each
    # read again alone, the days between and after them used
    for day in (date(2026, 9, 15), date(2026, 9, 20)):
        del past._kept[(timeliness_table(ledger), (), "stage", day)]
    hits = past.hits
    assert reports(past) == again
    assert past.hits == hits + 62 + 1 + 64
    # an acceptance at 07:00 on the 4th (23:00 UTC on the 3rd): no day asked
    # holds its hour, so every day is used (with changes kept per UTC day,
    # the 3rd was counted again)
    at(clock, 11, 4, 7)
    ledger.execute(ids["idle"], cmd.Accept(), HANDLER)
    project(ledger)
    hits = past.hits
    assert reports(past) == reports(None)
    assert past.hits == hits + 64 + 1 + 64
    assert timeliness.runs([2, 3, 5, 9, 10, 11]) == [[2, 3], [5], [9, 10, 11]]
    assert timeliness.runs([]) == []


def timeliness_table(ledger: AppealLedger) -> str:
    return reading.live_table(ledger.database, timeliness.CYCLES)


def test_a_months_preview_counts_again_only_the_days_that_changed(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """The assessment preview of a month still running counts per day, and
    counts again only the day holding the instant asked and the days whose
    cycles changed: what it answers is what a publication counts afresh."""
    ids = history(ledger, clock)  # cycles due from 14 September on
    september = Period(2026, 9)
    past = Remembered(size=512)
    preview = Assessments(ledger, load_scheme(), past=past)

    def assessed(as_of: datetime) -> dict[str, Any]:
        found = preview.compute(september, as_of).groups
        assert found == preview.compute(september, as_of, afresh=True).groups
        return found

    at(clock, 9, 21, 9)
    project(ledger)
    first = assessed(clock.now())
    assert past.hits == 0  # 29 days kept: all but the 21st (holding now)
    assert assessed(clock.now()) == first
    assert past.hits == 29
    # a late first response, due on the 15th at 17:30: the 15th, which
    # holds the UTC hour its deadline is stored in (09:00), counted again,
    # with the 21st (now past, never kept) and the 22nd (now holding the
    # instant asked); the 16th, which shares the 15th's UTC day, used (it
    # was counted again when changes were kept per UTC day)
    at(clock, 9, 22, 12)
    ledger.execute(ids["slow"], cmd.NoteProgress(note="已联系企业"), HANDLER)
    project(ledger)
    assessed(clock.now())
    assert past.hits == 29 + 27
    # an instant earlier than a day was counted at: not used for it (the
    # two just counted again); before the first reading: none used
    assessed(datetime(2026, 9, 22, 11, tzinfo=SHANGHAI))
    assert past.hits == 29 + 27 + 27
    hits = past.hits
    assessed(datetime(2026, 9, 20, 9, tzinfo=SHANGHAI))
    assert past.hits == hits
    # the month ended: its days on the other side now, the 22nd to the
    # 30th, counted again, and every day kept
    at(clock, 10, 9, 9)
    ended = assessed(clock.now())
    assert past.hits == hits + 21
    assert assessed(clock.now()) == ended
    assert past.hits == hits + 21 + 30


def test_each_part_is_kept_for_at_least_half_its_age_and_no_longer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(reading.time, "monotonic", lambda: now[0])
    past = Remembered(size=100, max_age=100.0)
    for day in range(100):
        past.put(day, 1, f"day {day}")
    now[0] += 49.9  # none is forgotten before half the age
    assert all(past.get(day, 1) == f"day {day}" for day in range(100))
    now[0] += 25.0  # some are, not all: not all counted again at once
    kept = [day for day in range(100) if past.get(day, 1) is not None]
    assert 0 < len(kept) < 100
    now[0] += 25.2  # every one is, once the age is up
    assert all(past.get(day, 1) is None for day in range(100))
