"""The official calendar built from the ``holidays`` package and loaded notices."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from appeals.domain.working_time import (
    SHANGHAI,
    OfficeHours,
    OutsideCalendarError,
    WorkingCalendar,
)
from appeals.infra.calendar_data import (
    CalendarFileError,
    OfficialSchedule,
    build_calendar,
    describe_year,
    format_year,
    last_official_year,
    load_schedules,
    parse_schedules,
)

CALENDAR = build_calendar()

# A made-up schedule for 2027 in the shape of a State Council notice (the real one is
# not published yet): 春节 5–13 February, make-up Sunday 31 January and Saturday 20
# February. It says nothing about May, unlike the package's estimate.
SCHEDULE_2027 = """\
[2027]
source = "国务院办公厅关于2027年部分节假日安排的通知（示例）"
holidays = [
    "2027-01-01",
    "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11",
    "2027-02-12",
]
makeup_workdays = ["2027-01-31", "2027-02-20"]
"""


def at(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def working_days(calendar: WorkingCalendar, year: int) -> set[date]:
    first = date(year, 1, 1)
    every_day = (first + timedelta(n) for n in range(366))
    return {d for d in every_day if d.year == year and calendar.is_working_day(d)}


class TestPackageData:
    def test_2026_matches_the_state_council_notice(self) -> None:
        summary = describe_year(CALENDAR, 2026)
        assert [off.day for off in summary.weekdays_off] == [
            date(2026, 1, 1),
            date(2026, 1, 2),  # 元旦
            *(date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)),  # 春节
            date(2026, 4, 6),  # 清明节
            *(date(2026, 5, d) for d in (1, 4, 5)),  # 劳动节
            date(2026, 6, 19),  # 端午节
            date(2026, 9, 25),  # 中秋节
            *(date(2026, 10, d) for d in (1, 2, 5, 6, 7)),  # 国庆节
        ]
        assert summary.makeup_workdays == (
            date(2026, 1, 4),
            date(2026, 2, 14),
            date(2026, 2, 28),
            date(2026, 5, 9),
            date(2026, 9, 20),
            date(2026, 10, 10),
        )
        assert summary.working_days == 248
        assert not summary.provisional

    def test_spring_festival_2026_is_15_to_23_february(self) -> None:
        for day in range(15, 24):
            assert not CALENDAR.is_working_day(date(2026, 2, day))
        assert CALENDAR.is_working_day(date(2026, 2, 14))
        assert CALENDAR.is_working_day(date(2026, 2, 28))

    def test_the_package_has_official_data_up_to_2026(self) -> None:
        assert last_official_year() >= 2026

    def test_later_years_are_provisional_and_have_no_make_up_days(self) -> None:
        first_estimated = last_official_year() + 1
        assert CALENDAR.is_provisional(date(first_estimated, 1, 1))
        assert not CALENDAR.is_provisional(date(first_estimated - 1, 12, 31))
        assert describe_year(CALENDAR, first_estimated).makeup_workdays == ()

    def test_a_deadline_over_new_year_2027_lands_in_a_provisional_year(self) -> None:
        due = CALENDAR.add_working_days(at(2026, 12, 31, 10), 1)
        assert due == at(2027, 1, 4, 10)  # 1 January 2027 is a Friday, off
        assert CALENDAR.is_provisional(due.date())

    def test_years_before_the_calendar_are_refused(self) -> None:
        with pytest.raises(OutsideCalendarError):
            CALENDAR.is_working_day(date(2019, 12, 31))

    def test_years_after_the_data_are_provisional_never_an_error(self) -> None:
        assert CALENDAR.is_working_day(date(2031, 1, 2))
        assert not CALENDAR.is_working_day(date(2031, 1, 1))
        assert CALENDAR.is_provisional(date(2045, 6, 1))
        due = CALENDAR.add_working_days(at(2030, 12, 31, 10), 1)
        assert due == at(2031, 1, 2, 10)
        assert CALENDAR.is_provisional_instant(due)

    def test_office_hours_are_passed_through(self) -> None:
        calendar = build_calendar(office_hours=OfficeHours.parse("09:00-17:00"))
        assert calendar.day_length == timedelta(hours=8)


def test_agrees_day_by_day_with_chinesecalendar_for_2020_to_2026() -> None:
    # chinesecalendar (a dev dependency) is the independent cross-check.
    import chinese_calendar

    day = date(2020, 1, 1)
    disagreements = []
    while day <= date(2026, 12, 31):
        if CALENDAR.is_working_day(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += timedelta(days=1)
    assert disagreements == []


class TestLoadingANotice:
    def test_a_loaded_schedule_replaces_the_package_estimate(self) -> None:
        (schedule,) = parse_schedules(SCHEDULE_2027, "2027.toml")
        calendar = build_calendar(schedules=[schedule])
        assert not calendar.is_provisional(date(2027, 3, 1))
        assert calendar.is_working_day(date(2027, 1, 31))  # make-up Sunday
        assert calendar.is_working_day(date(2027, 2, 20))  # make-up Saturday
        assert not calendar.is_working_day(date(2027, 2, 12))
        # The package estimated 4 May 2027 off (劳动节 observed); the notice did not.
        assert not CALENDAR.is_working_day(date(2027, 5, 4))
        assert calendar.is_working_day(date(2027, 5, 4))
        assert working_days(calendar, 2026) == working_days(CALENDAR, 2026)

    def test_parses_into_a_plain_value(self) -> None:
        assert parse_schedules(SCHEDULE_2027) == (
            OfficialSchedule(
                year=2027,
                source="国务院办公厅关于2027年部分节假日安排的通知（示例）",
                holidays=frozenset(
                    {date(2027, 1, 1), date(2027, 2, 5)}
                    | {date(2027, 2, d) for d in range(8, 13)}
                ),
                makeup_workdays=frozenset({date(2027, 1, 31), date(2027, 2, 20)}),
            ),
        )

    def test_toml_dates_may_be_written_bare(self) -> None:
        (schedule,) = parse_schedules(
            '[2027]\nsource = "notice"\nholidays = [2027-01-01]\n'
        )
        assert schedule.holidays == {date(2027, 1, 1)}
        assert schedule.makeup_workdays == frozenset()

    def test_is_read_from_a_file(self, tmp_path: Path) -> None:
        path = tmp_path / "2027.toml"
        path.write_text(SCHEDULE_2027, encoding="utf-8")
        assert load_schedules(path) == parse_schedules(SCHEDULE_2027)

    def test_the_summary_cites_the_notice(self) -> None:
        schedules = parse_schedules(SCHEDULE_2027)
        calendar = build_calendar(schedules=schedules)
        summary = describe_year(calendar, 2027, schedules=schedules)
        assert summary.source == schedules[0].source
        assert summary.makeup_workdays == (date(2027, 1, 31), date(2027, 2, 20))

    def test_two_schedules_for_one_year_are_refused(self) -> None:
        schedules = parse_schedules(SCHEDULE_2027) * 2
        with pytest.raises(ValueError, match="two schedules for 2027"):
            build_calendar(schedules=schedules)

    def test_a_schedule_before_the_calendars_years_is_refused(self) -> None:
        with pytest.raises(ValueError, match="before"):
            build_calendar(
                schedules=parse_schedules(SCHEDULE_2027), years=range(2028, 2029)
            )

    def test_a_schedule_after_the_calendars_years_extends_them(self) -> None:
        schedules = parse_schedules(
            '[2035]\nsource = "示例"\nholidays = ["2035-02-08"]\n'
            'makeup_workdays = ["2035-02-03"]\n'
        )
        calendar = build_calendar(schedules=schedules, years=range(2026, 2027))
        assert not calendar.is_provisional(date(2035, 2, 3))
        assert calendar.is_working_day(date(2035, 2, 3))  # a Saturday worked
        assert not calendar.is_working_day(date(2035, 2, 8))  # a Thursday off
        assert calendar.is_provisional(date(2034, 6, 1))  # the package's estimate
        assert calendar.is_provisional(date(2036, 6, 1))  # the calendar's


class TestBadScheduleFiles:
    @pytest.mark.parametrize(
        ("text", "message"),
        [
            (
                '[2027]\nsource = "n"\nholidays = [\n  "2027-01-01",\n'
                '  "2027-02-30",\n]\n',
                "f.toml:5: 2027.holidays: 2027-02-30 is not a date",
            ),
            (
                '[2027]\nsource = "n"\nholidays = ["2027-01-01"]\n'
                'makeup_workdays = ["2027-02-08"]\n',
                "f.toml:4: 2027.makeup_workdays: 2027-02-08 is a Mon, "
                "not a weekend day",
            ),
            (
                '[2027]\nsource = "n"\nholidays = ["2026-12-31"]\n',
                "f.toml:3: 2027.holidays: 2026-12-31 is not in 2027",
            ),
            (
                '[2027]\nsource = "n"\nholidays = ["2027-02-06"]\n'
                'makeup_workdays = ["2027-02-06"]\n',
                "f.toml:4: 2027.makeup_workdays: "
                "2027-02-06 is also listed as a holiday",
            ),
            (
                '[2027]\nsource = "n"\nholidays = ["2027/01/01"]\n',
                "f.toml:3: 2027.holidays: '2027/01/01' is not a date like 2027-01-01",
            ),
            (
                '[2027]\nsource = "n"\nholidays = ["2027-01-01", "2027-01-01"]\n',
                "f.toml:3: 2027.holidays: 2027-01-01 is listed twice",
            ),
            (
                '[2027]\nholidays = ["2027-01-01"]\n',
                "f.toml:1: 2027.source: required: the notice this schedule comes from",
            ),
            (
                '[2027]\nsource = "n"\nholidays = []\n',
                "f.toml:3: 2027.holidays: required: a non-empty list of dates",
            ),
            (
                '[2027]\nsource = "n"\nholidays = ["2027-01-01"]\nworkdays = []\n',
                "f.toml:4: 2027.workdays: unknown key; "
                "expected source, holidays, makeup_workdays",
            ),
            (
                "year = 2027\n",
                "f.toml:1: year: expected a table named by a year, like [2027]",
            ),
            (
                '[2027]\nsource = "n\n',
                "f.toml:2: not valid TOML: Illegal character '\\n'",
            ),
            ("", "f.toml: no schedule: expected a table like [2027]"),
        ],
    )
    def test_are_refused_with_file_line_and_reason(
        self, text: str, message: str
    ) -> None:
        with pytest.raises(CalendarFileError) as refused:
            parse_schedules(text, "f.toml")
        assert str(refused.value) == message

    def test_a_missing_file_is_refused_with_its_path(self, tmp_path: Path) -> None:
        missing = tmp_path / "none.toml"
        with pytest.raises(CalendarFileError, match=r"none\.toml: cannot read"):
            load_schedules(missing)


class TestYearListing:
    def test_names_days_off_in_chinese(self) -> None:
        text = format_year(describe_year(CALENDAR, 2026))
        assert text.splitlines()[0].startswith("2026 (official)")
        assert "  2026-01-01 Thu  元旦" in text.splitlines()
        assert "  2026-02-17 Tue  春节" in text.splitlines()
        assert "  2026-02-14 Sat" in text.splitlines()
        assert "Make-up working days (调休上班): 6" in text

    def test_can_name_them_in_english(self) -> None:
        text = format_year(describe_year(CALENDAR, 2026, language="en_US"))
        assert "  2026-10-01 Thu  National Day" in text.splitlines()

    def test_says_when_a_year_is_provisional(self) -> None:
        text = format_year(describe_year(CALENDAR, 2027))
        assert text.startswith("2027 (PROVISIONAL)")
        assert "Make-up working days (调休上班): 0" in text
        assert "load the State Council notice" in text
