"""The demo's window: its office-time arithmetic is the domain's WorkingCalendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from random import Random

from appeals.demo.window import Window
from appeals.domain.working_time import OfficeHours
from appeals.infra.calendar_data import build_calendar
from appeals.infra.clock import SHANGHAI

CALENDAR = build_calendar()


def test_receipts_fall_in_office_hours_of_working_days_inside_the_window() -> None:
    window = Window(date(2026, 9, 1), 2, CALENDAR)
    rng = Random(3)
    for _ in range(300):
        receipt = window.receipt(rng)
        assert CALENDAR.is_working_time(receipt)
        assert window.begin <= receipt < window.end
        assert receipt.microsecond == 0
    # National Day week (2026-10-01 to 10-07) is not worked.
    assert date(2026, 10, 5) not in window.workdays


def test_adding_hours_counts_working_time_on_the_calendar() -> None:
    window = Window(date(2026, 9, 1), 2, CALENDAR)
    friday_afternoon = datetime(2026, 9, 25, 17, 0, tzinfo=SHANGHAI)
    later = window.add(friday_afternoon, 1.5)
    assert later == CALENDAR.add_working_time(friday_afternoon, timedelta(hours=1.5))
    assert CALENDAR.working_time_between(friday_afternoon, later) == timedelta(
        hours=1.5
    )
    saturday = datetime(2026, 9, 26, 10, 0, tzinfo=SHANGHAI)
    assert window.add(saturday, 0) == CALENDAR.next_working_instant(saturday)


def test_a_working_day_is_the_calendar_s_day_length() -> None:
    hours = OfficeHours.parse("08:30-12:00", "14:00-18:00")
    window = Window(date(2026, 3, 2), 1, build_calendar(hours))
    assert window.day_hours == 7.5
    start = datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI)
    assert window.add_days(start, 2) == datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI)


def test_moving_earlier_lands_on_a_working_day_or_the_first_office_instant() -> None:
    window = Window(date(2026, 9, 1), 2, CALENDAR)
    instant = datetime(2026, 10, 9, 10, 15, tzinfo=SHANGHAI)
    moved = window.earlier(instant, 3)
    assert CALENDAR.is_working_day(moved.date())
    assert moved.time() == instant.time()
    assert moved.date() <= date(2026, 10, 6)
    first = window.earlier(datetime(2026, 9, 2, 10, 0, tzinfo=SHANGHAI), 30)
    assert first == CALENDAR.next_working_instant(window.begin)
