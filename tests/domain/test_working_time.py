"""Working time under the official calendar: what counts, and how limits run out.

The calendar here is typed from the State Council's notice for 2026
(国务院办公厅关于2026年部分节假日安排的通知); tests/infra/test_calendar_data.py checks
that the ``holidays`` package says the same.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appeals.domain.working_time import (
    SHANGHAI,
    CalendarDataError,
    NaiveDatetimeError,
    NegativeDurationError,
    OfficeHours,
    OfficeHoursError,
    OutsideCalendarError,
    WorkingCalendar,
    measured_to,
)


def days(first: date, last: date) -> set[date]:
    return {first + timedelta(n) for n in range((last - first).days + 1)}


# Each break as the notice states it ("2月15日至23日放假调休"), weekends included.
HOLIDAYS_2026 = frozenset(
    days(date(2026, 1, 1), date(2026, 1, 3))  # 元旦
    | days(date(2026, 2, 15), date(2026, 2, 23))  # 春节
    | days(date(2026, 4, 4), date(2026, 4, 6))  # 清明节
    | days(date(2026, 5, 1), date(2026, 5, 5))  # 劳动节
    | days(date(2026, 6, 19), date(2026, 6, 21))  # 端午节
    | days(date(2026, 9, 25), date(2026, 9, 27))  # 中秋节
    | days(date(2026, 10, 1), date(2026, 10, 7))  # 国庆节
)
MAKEUP_2026 = frozenset(
    {
        date(2026, 1, 4),  # Sunday, for 元旦
        date(2026, 2, 14),  # Saturday, for 春节
        date(2026, 2, 28),  # Saturday, for 春节
        date(2026, 5, 9),  # Saturday, for 劳动节
        date(2026, 9, 20),  # Sunday, for 国庆节
        date(2026, 10, 10),  # Saturday, for 国庆节
    }
)
# 2027's notice is not published yet: an estimate with New Year's Day only.
ESTIMATED_2027 = frozenset({date(2027, 1, 1)})

CALENDAR = WorkingCalendar(
    holidays=HOLIDAYS_2026 | ESTIMATED_2027,
    makeup_workdays=MAKEUP_2026,
    provisional_years=frozenset({2027}),
    years=range(2026, 2028),
)
# The same data without bounds, for property tests whose limits run far.
UNBOUNDED = WorkingCalendar(holidays=HOLIDAYS_2026, makeup_workdays=MAKEUP_2026)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


class TestOfficeHours:
    def test_default_is_0900_to_1200_and_1330_to_1730_making_a_7_hour_day(self) -> None:
        hours = OfficeHours()
        assert str(hours) == "09:00-12:00, 13:30-17:30"
        assert hours.day_length == timedelta(hours=7)

    def test_can_be_parsed_from_spans(self) -> None:
        assert OfficeHours.parse("09:00-17:00").day_length == timedelta(hours=8)

    def test_whole_day_mode_counts_all_24_hours(self) -> None:
        assert OfficeHours.whole_day() == OfficeHours.parse("00:00-24:00")
        assert OfficeHours.whole_day().day_length == timedelta(hours=24)

    @pytest.mark.parametrize(
        "spans",
        [
            (),
            ("13:00-17:00", "09:00-12:00"),  # not ascending
            ("09:00-12:30", "12:00-17:00"),  # overlapping
            ("12:00-12:00",),  # empty
            ("09:00-24:30",),  # past the end of the day
            ("9-17",),  # not a clock time
            ("09:00",),  # not a span
        ],
    )
    def test_are_refused_unless_ascending_non_overlapping_within_a_day(
        self, spans: tuple[str, ...]
    ) -> None:
        with pytest.raises(OfficeHoursError):
            OfficeHours.parse(*spans)


class TestWorkingDays:
    def test_spring_festival_2026_runs_from_15_to_23_february(self) -> None:
        for day in days(date(2026, 2, 15), date(2026, 2, 23)):
            assert not CALENDAR.is_working_day(day), day
        assert CALENDAR.is_working_day(date(2026, 2, 24))

    def test_make_up_saturdays_14_and_28_february_2026_are_working_days(self) -> None:
        assert CALENDAR.is_working_day(date(2026, 2, 14))
        assert CALENDAR.is_working_day(date(2026, 2, 28))
        assert not CALENDAR.is_working_day(date(2026, 3, 7))  # an ordinary Saturday

    def test_national_day_2026_with_make_up_sunday_20_september_and_saturday_10_october(
        self,
    ) -> None:
        assert CALENDAR.is_working_day(date(2026, 9, 20))
        assert CALENDAR.is_working_day(date(2026, 10, 10))
        for day in days(date(2026, 10, 1), date(2026, 10, 7)):
            assert not CALENDAR.is_working_day(day), day
        assert CALENDAR.is_working_day(date(2026, 10, 8))

    def test_2026_has_248_working_days(self) -> None:
        year = CALENDAR.working_days_between(at(2026, 1, 1), at(2027, 1, 1))
        assert year == 248

    def test_a_year_awaiting_its_notice_is_provisional(self) -> None:
        assert CALENDAR.is_provisional(date(2027, 3, 1))
        assert not CALENDAR.is_provisional(date(2026, 12, 31))

    def test_dates_before_the_calendars_years_are_refused(self) -> None:
        with pytest.raises(OutsideCalendarError, match="first year 2026"):
            CALENDAR.is_working_day(date(2025, 12, 31))

    def test_years_after_the_data_are_estimated_and_provisional(self) -> None:
        # Weekends and the fixed-date holidays (1 Jan, 1 May, 1-3 Oct) are off.
        assert not CALENDAR.is_working_day(date(2029, 1, 1))  # a Monday, New Year
        assert CALENDAR.is_working_day(date(2028, 1, 3))  # a Monday
        assert not CALENDAR.is_working_day(date(2028, 10, 2))  # National Day
        assert CALENDAR.is_provisional(date(2028, 1, 3))
        assert CALENDAR.add_working_days(at(2027, 12, 30, 10), 5) == at(2028, 1, 6, 10)
        # Counting agrees with stepping day by day across the estimated years.
        start, end = at(2027, 12, 1), at(2031, 6, 1)
        days = CALENDAR.working_days_between(start, end)
        stepped = sum(
            CALENDAR.is_working_day(date.fromordinal(n))
            for n in range(start.date().toordinal(), end.date().toordinal())
        )
        assert days == stepped

    def test_commands_may_name_instants_within_the_supported_years(self) -> None:
        assert CALENDAR.supported_years == range(2026, 2128)
        assert CALENDAR.supports(at(2127, 12, 31, 23))
        assert not CALENDAR.supports(at(2128, 1, 1, 0))
        assert not CALENDAR.supports(at(2025, 12, 31, 10))
        extreme = datetime(
            9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=14))
        )
        assert not CALENDAR.supports(extreme)

    def test_a_date_cannot_be_both_a_holiday_and_a_make_up_day(self) -> None:
        with pytest.raises(CalendarDataError, match="2026-02-14"):
            WorkingCalendar(
                holidays=frozenset({date(2026, 2, 14)}),
                makeup_workdays=frozenset({date(2026, 2, 14)}),
            )


class TestOfficeHourEdges:
    @pytest.mark.parametrize(
        ("instant", "working"),
        [
            (at(2026, 3, 6, 8, 59), False),
            (at(2026, 3, 6, 9, 0), True),
            (at(2026, 3, 6, 12, 0), False),  # lunch starts at noon
            (at(2026, 3, 6, 12, 15), False),
            (at(2026, 3, 6, 17, 29), True),
            (at(2026, 3, 6, 17, 30), False),  # closed at 17:30
            (at(2026, 2, 17, 10, 0), False),  # 春节
            (at(2026, 2, 14, 10, 0), True),  # make-up Saturday
        ],
    )
    def test_working_time_is_office_hours_on_working_days(
        self, instant: datetime, working: bool
    ) -> None:
        assert CALENDAR.is_working_time(instant) is working

    @pytest.mark.parametrize(
        ("instant", "next_instant"),
        [
            (at(2026, 3, 6, 10, 0), at(2026, 3, 6, 10, 0)),  # already inside
            (at(2026, 3, 6, 12, 15), at(2026, 3, 6, 13, 30)),  # lunch
            (at(2026, 3, 6, 17, 45), at(2026, 3, 9, 9, 0)),  # Friday evening
            (at(2026, 2, 13, 17, 45), at(2026, 2, 14, 9, 0)),  # to a make-up Saturday
            (at(2026, 2, 17, 10, 0), at(2026, 2, 24, 9, 0)),  # during 春节
        ],
    )
    def test_next_working_instant(
        self, instant: datetime, next_instant: datetime
    ) -> None:
        assert CALENDAR.next_working_instant(instant) == next_instant

    def test_instants_in_other_zones_are_read_in_shanghai_and_answered_there(
        self,
    ) -> None:
        friday_evening_in_utc = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)  # 18:00 CST
        result = CALENDAR.next_working_instant(friday_evening_in_utc)
        assert result == at(2026, 3, 9, 9, 0)
        assert result.tzinfo == SHANGHAI

    def test_a_working_day_is_asked_of_a_date_not_an_instant(self) -> None:
        with pytest.raises(TypeError):
            CALENDAR.is_working_day(at(2026, 2, 14, 10))

    def test_naive_datetimes_are_refused(self) -> None:
        with pytest.raises(NaiveDatetimeError):
            CALENDAR.add_working_days(datetime(2026, 3, 6, 10, 0), 1)


class TestAddingWorkingDays:
    """One working day is one day's office time; a limit ends as early as it can."""

    @pytest.mark.parametrize(
        ("start", "n", "due"),
        [
            # Received Friday 17:29: one minute on Friday, the rest on Monday.
            (at(2026, 3, 6, 17, 29), 1, at(2026, 3, 9, 17, 29)),
            # Received at lunch: counts from 13:30, due at noon the next working day.
            (at(2026, 3, 6, 12, 15), 1, at(2026, 3, 9, 12, 0)),
            # Received at opening: a full working day ends at that day's close.
            (at(2026, 3, 9, 9, 0), 1, at(2026, 3, 9, 17, 30)),
            # Received after closing: counts from the next opening.
            (at(2026, 3, 6, 18, 0), 1, at(2026, 3, 9, 17, 30)),
            # Received during 春节: counts from 24 February.
            (at(2026, 2, 17, 10, 0), 1, at(2026, 2, 24, 17, 30)),
            # The Friday before 春节: the make-up Saturday, then after the break.
            (at(2026, 2, 13, 17, 29), 1, at(2026, 2, 14, 17, 29)),
            (at(2026, 2, 13, 17, 29), 2, at(2026, 2, 24, 17, 29)),
            # A Friday before the make-up Sunday of National Day.
            (at(2026, 9, 18, 10, 0), 1, at(2026, 9, 20, 10, 0)),
            # Over National Day: 8, 9, 10 (Saturday), 12 and 13 October.
            (at(2026, 9, 30, 15, 0), 5, at(2026, 10, 13, 15, 0)),
            # Over the year boundary into a provisional year (New Year's Day off).
            (at(2026, 12, 31, 10, 0), 1, at(2027, 1, 4, 10, 0)),
            (at(2026, 3, 6, 10, 0), 0, at(2026, 3, 6, 10, 0)),
        ],
    )
    def test_examples(self, start: datetime, n: int, due: datetime) -> None:
        assert CALENDAR.add_working_days(start, n) == due

    def test_equal_working_hours_of_a_full_day(self) -> None:
        start = at(2026, 2, 13, 17, 29)
        by_hours = CALENDAR.add_working_time(start, timedelta(hours=7 * 2))
        assert CALENDAR.add_working_days(start, 2) == by_hours

    def test_a_deadline_in_a_provisional_year_can_be_recognised(self) -> None:
        due = CALENDAR.add_working_days(at(2026, 12, 31, 10, 0), 1)
        assert CALENDAR.is_provisional(due.date())

    def test_negative_counts_are_refused(self) -> None:
        with pytest.raises(NegativeDurationError):
            CALENDAR.add_working_days(at(2026, 3, 6, 10, 0), -1)
        with pytest.raises(NegativeDurationError):
            CALENDAR.add_working_time(at(2026, 3, 6, 10, 0), timedelta(minutes=-1))

    def test_long_spans_are_computed_without_walking_them(self) -> None:
        start = at(2026, 3, 6, 10, 0)
        due = UNBOUNDED.add_working_days(start, 250 * 40)  # about forty years
        assert UNBOUNDED.working_days_between(start, due) == 250 * 40


class TestCountingFromTheNextDay:
    """次日起: the start date is not counted; due at the close of business of the
    N-th working day after it (民法典 §201, §203)."""

    @pytest.mark.parametrize(
        ("start", "n", "due"),
        [
            # Fri 13 Feb 16:00: Sat 14 (make-up) 1 → Sat 14 Feb 17:30.
            (at(2026, 2, 13, 16, 0), 1, at(2026, 2, 14, 17, 30)),
            # ... 3 days: Sat 14 1, (15-23 off) Tue 24 2, Wed 25 3.
            (at(2026, 2, 13, 16, 0), 3, at(2026, 2, 25, 17, 30)),
            # Before opening on Fri 13 Feb: the start day still does not count.
            (at(2026, 2, 13, 7, 30), 1, at(2026, 2, 14, 17, 30)),
            # After closing on Fri 13 Feb: the same.
            (at(2026, 2, 13, 18, 0), 1, at(2026, 2, 14, 17, 30)),
            # Just before midnight and just after it: different start dates.
            (at(2026, 2, 13, 23, 59), 1, at(2026, 2, 14, 17, 30)),
            (at(2026, 2, 14, 0, 0), 1, at(2026, 2, 24, 17, 30)),
            # On a holiday (Wed 18 Feb): Tue 24 1.
            (at(2026, 2, 18, 10, 0), 1, at(2026, 2, 24, 17, 30)),
            # On a make-up Saturday (Sat 10 Oct): Mon 12 Oct 1.
            (at(2026, 10, 10, 9, 0), 1, at(2026, 10, 12, 17, 30)),
            # Sun 20 Sep (make-up): 21, 22, 23, 24 Sep, (25 Sep 中秋, 26-27 off)
            # Mon 28 Sep 5.
            (at(2026, 9, 20, 15, 0), 5, at(2026, 9, 28, 17, 30)),
            # Into the estimated 2027: Thu 31 Dec 1, (1 Jan off) Mon 4 Jan 2.
            (at(2026, 12, 30, 10, 0), 2, at(2027, 1, 4, 17, 30)),
        ],
    )
    def test_examples(self, start: datetime, n: int, due: datetime) -> None:
        assert CALENDAR.close_of_business_after(start, n) == due

    def test_the_start_date_is_read_in_the_calendars_zone(self) -> None:
        # 16:30 UTC on Fri 13 Feb is 00:30 on Sat 14 Feb in Shanghai.
        start = datetime(2026, 2, 13, 16, 30, tzinfo=UTC)
        due = CALENDAR.close_of_business_after(start, 1)
        assert due == at(2026, 2, 24, 17, 30)
        assert due.tzinfo == SHANGHAI

    def test_close_of_business_follows_the_office_hours(self) -> None:
        eight_hours = WorkingCalendar(
            office_hours=OfficeHours.parse("08:30-12:00", "13:00-17:00"),
            holidays=HOLIDAYS_2026,
            makeup_workdays=MAKEUP_2026,
        )
        assert eight_hours.close_of_business(date(2026, 3, 9)) == at(2026, 3, 9, 17)
        due = eight_hours.close_of_business_after(at(2026, 3, 6, 10), 1)
        assert due == at(2026, 3, 9, 17)

    @pytest.mark.parametrize("n", [0, -1])
    def test_needs_at_least_one_day(self, n: int) -> None:
        with pytest.raises(NegativeDurationError):
            CALENDAR.close_of_business_after(at(2026, 3, 6, 10), n)

    @pytest.mark.parametrize("n", [1.0, True])
    def test_counts_whole_days(self, n: object) -> None:
        with pytest.raises(TypeError):
            CALENDAR.close_of_business_after(at(2026, 3, 6, 10), n)  # type: ignore[arg-type]

    def test_refuses_naive_instants_and_dates_before_the_calendar(self) -> None:
        with pytest.raises(NaiveDatetimeError):
            CALENDAR.close_of_business_after(datetime(2026, 3, 6, 10), 1)
        with pytest.raises(OutsideCalendarError):
            CALENDAR.close_of_business_after(at(2025, 12, 31, 10), 1)


class TestAddingWorkingHours:
    def test_two_urgent_hours_from_friday_1700_end_on_the_make_up_saturday(
        self,
    ) -> None:
        due = CALENDAR.add_working_time(at(2026, 2, 13, 17, 0), timedelta(hours=2))
        assert due == at(2026, 2, 14, 10, 30)

    def test_hours_skip_lunch(self) -> None:
        due = CALENDAR.add_working_time(at(2026, 3, 6, 11, 0), timedelta(hours=2))
        assert due == at(2026, 3, 6, 14, 30)

    def test_a_limit_that_runs_out_at_noon_ends_at_noon(self) -> None:
        due = CALENDAR.add_working_time(at(2026, 3, 6, 11, 0), timedelta(hours=1))
        assert due == at(2026, 3, 6, 12, 0)

    def test_whole_day_mode_counts_every_hour_of_a_working_day(self) -> None:
        calendar = WorkingCalendar(office_hours=OfficeHours.whole_day())
        due = calendar.add_working_time(at(2026, 3, 6, 23, 0), timedelta(hours=2))
        assert due == at(2026, 3, 9, 1, 0)


class TestMeasuringWorkingTime:
    def test_over_spring_festival_only_13_and_14_february_count(self) -> None:
        measured = CALENDAR.working_time_between(at(2026, 2, 13, 9), at(2026, 2, 24, 9))
        assert measured == timedelta(hours=14)
        assert (
            CALENDAR.working_days_between(at(2026, 2, 13, 9), at(2026, 2, 24, 9)) == 2
        )

    def test_within_a_day_lunch_does_not_count(self) -> None:
        measured = CALENDAR.working_time_between(at(2026, 3, 6, 11), at(2026, 3, 6, 14))
        assert measured == timedelta(hours=1, minutes=30)

    def test_fractions_of_a_working_day_are_exact(self) -> None:
        measured = CALENDAR.working_days_between(at(2026, 3, 6, 9), at(2026, 3, 6, 12))
        assert measured == Fraction(3, 7)

    def test_is_zero_when_the_end_is_not_after_the_start(self) -> None:
        assert CALENDAR.working_time_between(
            at(2026, 3, 9, 10), at(2026, 3, 6, 10)
        ) == (timedelta(0))

    def test_to_now_through_the_midnight_before(self) -> None:
        # the same working time as measured straight to the instant, over the
        # official calendar's weekends and holidays; the part before midnight is
        # the same question all day (a calendar remembers it), today's asked once
        asked: list[tuple[datetime, datetime]] = []

        def working_time(start: datetime, end: datetime) -> timedelta:
            asked.append((start, end))
            return CALENDAR.working_time_between(start, end)

        now = datetime(2026, 10, 9, 15, 20, tzinfo=SHANGHAI)  # after the holiday
        midnight = datetime(2026, 10, 9, tzinfo=SHANGHAI)
        measure = measured_to(working_time, now, SHANGHAI)
        starts = [
            now - timedelta(minutes=m) for m in (5, 200, 900, 1500, 6000, 20000, 90000)
        ]
        for start in starts:
            assert measure(start) == CALENDAR.working_time_between(start, now)
        earlier = [(s, midnight) for s in starts if s < midnight]
        assert len(earlier) == 4  # and three since midnight
        ours = asked[: 1 + len(starts)]
        assert ours[0] == (midnight, now)  # today's part, once
        assert [a for a in ours[1:] if a[1] == midnight] == earlier
        assert [a for a in ours[1:] if a[1] == now] == [
            (s, now) for s in starts if s >= midnight
        ]


# ---- Properties: adding and measuring are inverses, whatever the office hours. ----

OFFICE_HOURS = [
    OfficeHours(),
    OfficeHours.parse("09:00-17:00"),
    OfficeHours.whole_day(),
    OfficeHours.parse("08:00-08:45", "10:00-12:00", "14:00-18:00", "19:00-24:00"),
]
ZONES = [SHANGHAI, ZoneInfo("UTC"), ZoneInfo("America/New_York")]
calendars = st.sampled_from(
    [
        WorkingCalendar(
            office_hours=hours, holidays=HOLIDAYS_2026, makeup_workdays=MAKEUP_2026
        )
        for hours in OFFICE_HOURS
    ]
)
instants = st.datetimes(
    min_value=datetime(2025, 12, 1),
    max_value=datetime(2027, 1, 31),
    timezones=st.sampled_from(ZONES),
    allow_imaginary=False,
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60))


def reference_working_time(
    calendar: WorkingCalendar, start: datetime, end: datetime
) -> timedelta:
    """The obvious definition, day by day and interval by interval."""
    start, end = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
    total = timedelta(0)
    day = start.date()
    while day <= end.date():
        if calendar.is_working_day(day):
            midnight = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
            for interval in calendar.office_hours.intervals:
                opens = max(start, midnight + interval.start)
                closes = min(end, midnight + interval.end)
                total += max(closes - opens, timedelta(0))
        day += timedelta(days=1)
    return total


@given(calendars, instants, durations)
def test_measuring_what_was_added_gives_it_back(
    calendar: WorkingCalendar, start: datetime, duration: timedelta
) -> None:
    due = calendar.add_working_time(start, duration)
    assert calendar.working_time_between(start, due) == duration


@given(calendars, instants, durations)
def test_a_limit_ends_at_the_earliest_instant_it_is_used_up(
    calendar: WorkingCalendar, start: datetime, duration: timedelta
) -> None:
    due = calendar.add_working_time(start, duration)
    assert due >= start
    if duration:
        just_before = due - timedelta(microseconds=1)
        assert calendar.working_time_between(start, just_before) < duration


@given(calendars, instants, durations, durations)
def test_adding_more_never_ends_earlier(
    calendar: WorkingCalendar, start: datetime, first: timedelta, second: timedelta
) -> None:
    shorter, longer = sorted((first, second))
    assert calendar.add_working_time(start, shorter) <= calendar.add_working_time(
        start, longer
    )


@given(calendars, instants, instants, instants)
def test_measuring_is_additive_and_monotone(
    calendar: WorkingCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    a, b, c = sorted((a, b, c))
    ab, bc = calendar.working_time_between(a, b), calendar.working_time_between(b, c)
    assert ab + bc == calendar.working_time_between(a, c)
    assert calendar.working_time_between(a, b) <= calendar.working_time_between(a, c)


@given(calendars, instants, instants)
def test_measuring_agrees_with_the_day_by_day_definition(
    calendar: WorkingCalendar, a: datetime, b: datetime
) -> None:
    a, b = sorted((a, b))
    assert calendar.working_time_between(a, b) == reference_working_time(calendar, a, b)


@given(calendars, instants, st.integers(min_value=1, max_value=300))
def test_working_days_from_inside_office_hours_keep_the_time_of_day(
    calendar: WorkingCalendar, start: datetime, n: int
) -> None:
    start = calendar.next_working_instant(start) + timedelta(microseconds=1)
    if not calendar.is_working_time(start):
        return  # the start fell on the last microsecond of an interval
    due = calendar.add_working_days(start, n)
    assert due.time() == start.time()
    assert calendar.is_working_day(due.date())
    assert calendar.working_days_between(start, due) == n


# ---- Properties of counting from the next day (次日起). ----


@given(calendars, instants, st.integers(min_value=1, max_value=300))
def test_next_day_deadlines_fall_at_a_close_of_business_on_a_working_day(
    calendar: WorkingCalendar, start: datetime, n: int
) -> None:
    due = calendar.close_of_business_after(start, n)
    closing = calendar.office_hours.intervals[-1].end
    day = (due.replace(tzinfo=None) - closing).date()
    assert calendar.is_working_day(day)
    assert due == calendar.close_of_business(day)
    assert due > start


@given(calendars, instants, st.integers(min_value=1, max_value=300))
def test_next_day_counts_n_working_days_after_the_start_date(
    calendar: WorkingCalendar, start: datetime, n: int
) -> None:
    due = calendar.close_of_business_after(start, n)
    closing = calendar.office_hours.intervals[-1].end
    first = start.astimezone(SHANGHAI).date() + timedelta(days=1)
    last = (due.replace(tzinfo=None) - closing).date()
    counted = sum(
        calendar.is_working_day(first + timedelta(days=k))
        for k in range((last - first).days + 1)
    )
    assert counted == n


@given(calendars, instants, st.integers(min_value=1, max_value=300))
def test_one_more_day_is_never_earlier(
    calendar: WorkingCalendar, start: datetime, n: int
) -> None:
    shorter = calendar.close_of_business_after(start, n)
    longer = calendar.close_of_business_after(start, n + 1)
    assert shorter < longer
    # A later start never ends earlier either.
    later = calendar.close_of_business_after(start + timedelta(hours=13), n)
    assert later >= shorter


@given(calendars, instants, st.integers(min_value=1, max_value=300))
def test_next_day_is_never_earlier_than_office_hours_nor_a_day_later(
    calendar: WorkingCalendar, start: datetime, n: int
) -> None:
    next_day = calendar.close_of_business_after(start, n)
    office = calendar.add_working_days(start, n)
    assert office <= next_day
    assert calendar.working_time_between(office, next_day) <= calendar.day_length
