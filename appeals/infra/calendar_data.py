"""The official calendar: the ``holidays`` package, overridden by loaded notices.

The State Council publishes each year's holidays and make-up working days (调休) in a
notice (国务院办公厅关于部分节假日安排的通知) late in the year before. The ``holidays``
package carries those notices up to its last release; for later years it only estimates
(statutory days plus weekend substitutes, no make-up days). Such years are marked
provisional until an operator loads the notice from a TOML file::

    [2027]
    source = "国务院办公厅关于2027年部分节假日安排的通知"
    holidays = ["2027-01-01", ...]          # days off (weekend ones may be listed too)
    makeup_workdays = ["2027-02-06", ...]   # weekend days that are working days

A loaded schedule replaces the package's data for its year entirely.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import metadata
from typing import Any

import holidays

from appeals.domain.working_time import (
    DEFAULT_OFFICE_HOURS,
    SHANGHAI,
    OfficeHours,
    WorkingCalendar,
)
from appeals.infra.toml_source import TomlFileError, line_of, parse_toml, read_text

DEFAULT_YEARS = range(2020, 2031)

# Used only if a future ``holidays`` release stops exposing its per-year notice data
# (``special_public_holidays``): 2026 is the last notice in holidays 0.109.
_LAST_OFFICIAL_YEAR_FALLBACK = 2026
_SCHEDULE_KEYS = ("source", "holidays", "makeup_workdays")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class CalendarFileError(TomlFileError):
    """A schedule file that cannot be used, with where (file, line) and why."""


@dataclass(frozen=True)
class OfficialSchedule:
    """One year's days off and make-up working days, as the State Council published."""

    year: int
    source: str
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]


@dataclass(frozen=True)
class DayOff:
    day: date
    name: str | None


@dataclass(frozen=True)
class YearSummary:
    """What the calendar says about one year, for ``appeals calendar show YEAR``."""

    year: int
    provisional: bool
    source: str
    working_days: int
    weekdays_off: tuple[DayOff, ...]
    makeup_workdays: tuple[date, ...]


def last_official_year() -> int:
    """The last year for which the installed ``holidays`` has a State Council notice.

    The package keeps each notice's substituted days off in ``special_public_holidays``
    keyed by year; every year since 2001 has some, and estimated years have none.
    """
    notices = getattr(holidays.country_holidays("CN"), "special_public_holidays", None)
    if isinstance(notices, Mapping) and notices:
        return max(int(year) for year in notices)
    return _LAST_OFFICIAL_YEAR_FALLBACK


def build_calendar(
    office_hours: OfficeHours = DEFAULT_OFFICE_HOURS,
    schedules: Iterable[OfficialSchedule] = (),
    years: range = DEFAULT_YEARS,
) -> WorkingCalendar:
    """The working calendar for ``years``: package data, overridden by ``schedules``
    (a schedule for a later year extends ``years`` to it; later years are
    estimated by the calendar itself, provisional)."""
    loaded: dict[int, OfficialSchedule] = {}
    for schedule in schedules:
        if schedule.year in loaded:
            raise ValueError(f"two schedules for {schedule.year}")
        if schedule.year < years.start:
            raise ValueError(f"schedule for {schedule.year} is before {years}")
        loaded[schedule.year] = schedule
    # A notice for a year after the data extends it (the years between are
    # estimated by the package); later years stay estimated, provisional.
    years = range(years.start, max([years.stop, *(year + 1 for year in loaded)]))
    package = holidays.country_holidays("CN", years=years)

    def from_package(day: date) -> bool:
        return day.year in years and day.year not in loaded

    days_off = {day for day in package if from_package(day)}
    makeup = {day for day in package.weekend_workdays if from_package(day)}
    for schedule in loaded.values():
        days_off |= schedule.holidays
        makeup |= schedule.makeup_workdays
    last_official = last_official_year()
    return WorkingCalendar(
        tz=SHANGHAI,
        office_hours=office_hours,
        holidays=frozenset(days_off),
        makeup_workdays=frozenset(makeup),
        provisional_years=frozenset(
            year for year in years if year > last_official and year not in loaded
        ),
        years=years,
    )


def load_schedules(path: str | os.PathLike[str]) -> tuple[OfficialSchedule, ...]:
    """Read official schedules from a TOML file (one table per year)."""
    return parse_schedules(read_text(path, CalendarFileError), os.fspath(path))


def parse_schedules(text: str, path: str = "<string>") -> tuple[OfficialSchedule, ...]:
    """Parse and validate schedules from TOML text; errors name ``path`` and a line."""
    document = parse_toml(text, path, CalendarFileError)
    if not document:
        raise CalendarFileError(path, None, "no schedule: expected a table like [2027]")
    return tuple(
        _schedule(text, path, key, value) for key, value in sorted(document.items())
    )


def _schedule(text: str, path: str, key: str, table: Any) -> OfficialSchedule:
    def refuse(reason: str, *keys: str, value: str | None = None) -> CalendarFileError:
        where = ".".join((key, *keys))
        line = line_of(text, (key, *keys), value)
        return CalendarFileError(path, line, f"{where}: {reason}")

    if not re.fullmatch(r"\d{4}", key) or not isinstance(table, dict):
        raise refuse("expected a table named by a year, like [2027]")
    year = int(key)
    if unknown := sorted(set(table) - set(_SCHEDULE_KEYS)):
        raise refuse(f"unknown key; expected {', '.join(_SCHEDULE_KEYS)}", unknown[0])
    source = table.get("source")
    if not isinstance(source, str) or not source.strip():
        raise refuse("required: the notice this schedule comes from", "source")

    def dates(field: str, required: bool) -> frozenset[date]:
        values = table.get(field, None if required else [])
        if not isinstance(values, list) or (required and not values):
            raise refuse("required: a non-empty list of dates", field)
        found: set[date] = set()
        for value in values:
            shown = str(value)
            if isinstance(value, str) and _ISO_DATE.fullmatch(value):
                try:
                    value = date.fromisoformat(value)
                except ValueError:
                    raise refuse(f"{shown} is not a date", field, value=shown) from None
            if not isinstance(value, date) or hasattr(value, "hour"):
                reason = f"{shown!r} is not a date like 2027-01-01"
                raise refuse(reason, field, value=shown)
            if value.year != year:
                raise refuse(f"{value} is not in {year}", field, value=shown)
            if value in found:
                raise refuse(f"{value} is listed twice", field, value=shown)
            found.add(value)
        return frozenset(found)

    days_off = dates("holidays", required=True)
    makeup = dates("makeup_workdays", required=False)
    for day in sorted(makeup):
        if day.weekday() < 5:
            reason = f"{day} is a {_WEEKDAYS[day.weekday()]}, not a weekend day"
            raise refuse(reason, "makeup_workdays", value=str(day))
    if clash := sorted(days_off & makeup):
        reason = f"{clash[0]} is also listed as a holiday"
        raise refuse(reason, "makeup_workdays", value=str(clash[0]))
    return OfficialSchedule(year, source.strip(), days_off, makeup)


def describe_year(
    calendar: WorkingCalendar,
    year: int,
    *,
    schedules: Iterable[OfficialSchedule] = (),
    language: str = "zh_CN",
) -> YearSummary:
    """Summarise ``year``; pass the schedules the calendar was built from, if any."""
    names = holidays.country_holidays("CN", years=year, language=language)
    days = [date(year, 1, 1) + timedelta(days=n) for n in range(366)]
    days = [day for day in days if day.year == year]
    provisional = calendar.is_provisional(date(year, 1, 1))
    source = next((s.source for s in schedules if s.year == year), None)
    if source is None:
        version = metadata.version("holidays")
        source = (
            f"holidays {version}: estimate, make-up working days not yet published"
            if provisional
            else f"holidays {version}: State Council notice"
        )
    return YearSummary(
        year=year,
        provisional=provisional,
        source=source,
        working_days=sum(calendar.is_working_day(day) for day in days),
        weekdays_off=tuple(
            DayOff(day, names.get(day))
            for day in days
            if day.weekday() < 5 and not calendar.is_working_day(day)
        ),
        makeup_workdays=tuple(
            day for day in days if day.weekday() >= 5 and calendar.is_working_day(day)
        ),
    )


def format_year(summary: YearSummary) -> str:
    """A plain-text listing of a year summary, one day per line."""
    status = "PROVISIONAL" if summary.provisional else "official"
    lines = [
        f"{summary.year} ({status}) — {summary.source}",
        f"Working days: {summary.working_days}",
        f"Weekdays off (放假): {len(summary.weekdays_off)}",
    ]
    for off in summary.weekdays_off:
        lines.append(f"  {off.day} {_WEEKDAYS[off.day.weekday()]}  {off.name or ''}")
    lines.append(f"Make-up working days (调休上班): {len(summary.makeup_workdays)}")
    lines.extend(
        f"  {day} {_WEEKDAYS[day.weekday()]}" for day in summary.makeup_workdays
    )
    if summary.provisional:
        lines.append(
            "Provisional: load the State Council notice for this year before relying "
            "on deadlines that fall in it."
        )
    return "\n".join(line.rstrip() for line in lines)
