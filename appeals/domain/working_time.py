"""Working-time arithmetic under the official Chinese calendar.

Time limits (docs/domain.md, "Time limits") are measured in working time: only
office hours on working days count. A working day is a Monday to Friday that is
not a holiday, or a weekend day declared a make-up working day (调休上班) by the
State Council's yearly notice (国务院办公厅关于部分节假日安排的通知).

Conventions, chosen so that adding and measuring are exact inverses:

* One working day is the total office duration of a day (7 h with the default office
  hours 09:00–12:00 and 13:30–17:30), so ``add_working_days(t, n)`` is
  ``add_working_time(t, n * day_length)``.
* ``add_working_time(t, d)`` is the *earliest* instant ``u`` at which ``d`` of working
  time has elapsed since ``t``. An instant outside office hours therefore counts from
  the next opening, and a limit that runs out exactly at a closing time ends at that
  closing time, not at the next opening.
* Consequently "1 working day after Friday 17:29" is Monday 17:29, "after 12:15" (lunch)
  counts from 13:30 and ends at 12:00 on the next working day, and "after Monday 09:00"
  is the close of Monday (17:30).

That is office-hour counting. Practice also counts whole days "from the next day"
(次日起, 民法典 §201 and §203: the start day is not counted, and a period ends at the
close of business of its last day): ``close_of_business_after(t, n)`` is the end of
the last office interval of the ``n``-th working day after ``t``'s local date, whatever
the time of ``t`` and whether or not its date is a working day.

Arithmetic is done on the local wall clock of the calendar's time zone. Asia/Shanghai
has had no daylight saving time since 1991, so wall-clock and elapsed time agree there.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from fractions import Fraction
from functools import cached_property
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_SATURDAY = 5
_WEEKDAYS_AFTER = tuple(
    tuple(sum((first + i) % 7 < _SATURDAY for i in range(days)) for days in range(7))
    for first in range(7)
)
"""Monday to Friday among the ``days`` (0-6) days from weekday ``first`` on:
``_WEEKDAYS_AFTER[first][days]`` (a trend measures thousands of running
stages a request)."""
_CLOCK = re.compile(r"(\d{2}):(\d{2})")


class NaiveDatetimeError(ValueError):
    """An instant without a UTC offset was given; a deadline needs a real instant."""


class NegativeDurationError(ValueError):
    """A negative working duration or number of working days was given (or none,
    where counting from the next day needs at least one)."""


class OfficeHoursError(ValueError):
    """Office hours are empty, out of order, overlapping, or not within one day."""


class CalendarDataError(ValueError):
    """Calendar data contradicts itself: a date both a holiday and a make-up day."""


class OutsideCalendarError(ValueError):
    """A date lies before the first year the calendar holds holiday data for.

    Years after the data are estimated (provisional), never refused; years before it
    predate the ledger, and answering with Monday to Friday alone would silently ignore
    Spring Festival, so the calendar refuses instead.
    """


FIXED_DATE_HOLIDAYS = ((1, 1), (5, 1), (10, 1), (10, 2), (10, 3))
"""(month, day) of the statutory holidays on fixed solar dates (元旦, 劳动节,
国庆节): the estimate for years after the calendar's data, with weekends."""

ESTIMATED_YEARS = 100
"""How many years after its data the calendar accepts instants in (estimated,
provisional): far beyond any deadline, well short of ``datetime.max``."""


@dataclass(frozen=True)
class OfficeInterval:
    """One daily office interval ``[start, end)``, as offsets from local midnight."""

    start: timedelta
    end: timedelta

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def _clock(text: str) -> timedelta:
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise OfficeHoursError(f"{text!r} is not a time of day like '09:00'")
    offset = timedelta(hours=int(match[1]), minutes=int(match[2]))
    if int(match[2]) >= 60 or offset > _ONE_DAY:
        raise OfficeHoursError(f"{text!r} is not a time between 00:00 and 24:00")
    return offset


@dataclass(frozen=True)
class OfficeHours:
    """The daily office intervals during which working time runs.

    docs/domain.md ("Time limits") makes office hours configurable; the default is
    the common government schedule 09:00–12:00 and 13:30–17:30. ``whole_day()``
    counts all of a working day (00:00–24:00), for limits stated in calendar hours
    of working days.
    """

    intervals: tuple[OfficeInterval, ...] = (
        OfficeInterval(timedelta(hours=9), timedelta(hours=12)),
        OfficeInterval(
            timedelta(hours=13, minutes=30), timedelta(hours=17, minutes=30)
        ),
    )

    def __post_init__(self) -> None:
        if not self.intervals:
            raise OfficeHoursError("office hours need at least one interval")
        previous_end = _ZERO
        for interval in self.intervals:
            if not previous_end <= interval.start < interval.end <= _ONE_DAY:
                raise OfficeHoursError(
                    "office intervals must be non-empty, ascending, non-overlapping "
                    f"and within 00:00–24:00; got {self}"
                )
            previous_end = interval.end

    @classmethod
    def parse(cls, *spans: str) -> OfficeHours:
        """Office hours from spans like ``"09:00-12:00"``; ``"24:00"`` ends the day."""
        intervals = []
        for span in spans:
            start, separator, end = span.partition("-")
            if not separator:
                raise OfficeHoursError(f"{span!r} is not a span like '09:00-12:00'")
            intervals.append(OfficeInterval(_clock(start), _clock(end)))
        return cls(tuple(intervals))

    @classmethod
    def whole_day(cls) -> OfficeHours:
        return cls((OfficeInterval(_ZERO, _ONE_DAY),))

    @cached_property
    def day_length(self) -> timedelta:
        """Office time in one working day: the length of one working day
        (worked out once: the hours never change)."""
        return sum((interval.length for interval in self.intervals), _ZERO)

    def contains(self, offset: timedelta) -> bool:
        return any(i.start <= offset < i.end for i in self.intervals)

    def elapsed_before(self, offset: timedelta) -> timedelta:
        """Office time between midnight and ``offset`` on a working day."""
        return sum(
            (min(i.end, offset) - i.start for i in self.intervals if i.start < offset),
            _ZERO,
        )

    def offset_after(self, elapsed: timedelta) -> timedelta:
        """The earliest offset by which ``elapsed`` office time has passed."""
        for interval in self.intervals:
            if elapsed <= interval.length:
                return interval.start + elapsed
            elapsed -= interval.length
        raise ValueError("more office time asked for than one day holds")

    def next_start(self, offset: timedelta) -> timedelta | None:
        """The first opening at or after ``offset`` on the same day, if any."""
        return next((i.start for i in self.intervals if i.start >= offset), None)

    def __str__(self) -> str:
        def clock(offset: timedelta) -> str:
            minutes = offset // timedelta(minutes=1)
            return f"{minutes // 60:02d}:{minutes % 60:02d}"

        return ", ".join(f"{clock(i.start)}-{clock(i.end)}" for i in self.intervals)


DEFAULT_OFFICE_HOURS = OfficeHours()


WORKING_TIME_MEMO = 50_000
"""Intervals whose working time a calendar remembers (then it starts afresh)."""

WorkingTime = Callable[[datetime, datetime], timedelta]


def measured_to(
    working_time: WorkingTime, end: datetime, tz: tzinfo
) -> Callable[[datetime], timedelta]:
    """``working_time(start, end)`` for many starts (responses still running,
    stages still late, measured to the instant asked): up to the midnight of
    ``tz`` before ``end`` for each, which is the same all day, so a calendar
    that remembers intervals answers it again on every request or scheduler
    pass that day, plus the day's part, measured once. Working time over
    [start, end) is the sum of its parts either side of any instant between
    them. Measured to each request's own instant instead, 4,000 running
    responses took 83-89 ms on a slow machine; so, 1.8 ms."""
    midnight = datetime.combine(end.astimezone(tz).date(), time(0), tz)
    today = working_time(midnight, end)

    def measure(start: datetime) -> timedelta:
        if start >= midnight:
            return working_time(start, end)
        return working_time(start, midnight) + today

    return measure


class WorkingCalendar:
    """Working days and office hours under the official Chinese calendar.

    A date is a working day if it is Monday to Friday and not in ``holidays``, or it is
    in ``makeup_workdays`` (调休). The data comes from the State Council's yearly
    notices (loaded by ``appeals.infra.calendar_data``); ``provisional_years`` are
    years whose notice is not yet known, so their working days are an estimate. When
    ``years`` is given, a date before it is refused with ``OutsideCalendarError``; a
    date after it is provisional, estimated as Monday to Friday except the
    ``FIXED_DATE_HOLIDAYS``. Commands accept instants in ``supported_years`` only.
    """

    def __init__(
        self,
        *,
        tz: ZoneInfo = SHANGHAI,
        office_hours: OfficeHours = DEFAULT_OFFICE_HOURS,
        holidays: frozenset[date] = frozenset(),
        makeup_workdays: frozenset[date] = frozenset(),
        provisional_years: frozenset[int] = frozenset(),
        years: range | None = None,
    ) -> None:
        if clash := sorted(holidays & makeup_workdays):
            listed = ", ".join(map(str, clash))
            raise CalendarDataError(f"dates both holidays and make-up days: {listed}")
        if years is not None and (years.step != 1 or not years):
            raise CalendarDataError(f"years must be consecutive and non-empty: {years}")
        self.tz = tz
        self.office_hours = office_hours
        self.holidays = frozenset(holidays)
        self.makeup_workdays = frozenset(makeup_workdays)
        self.provisional_years = frozenset(provisional_years)
        self.years = years
        # Sorted exceptions to the Monday-to-Friday rule let us count the working days
        # of any span with two binary searches instead of walking it day by day.
        self._between: dict[tuple[datetime, datetime], timedelta] = {}
        self._closed_weekdays = sorted(d for d in holidays if d.weekday() < _SATURDAY)
        self._open_weekends = sorted(
            d for d in makeup_workdays if d.weekday() >= _SATURDAY
        )

    @property
    def day_length(self) -> timedelta:
        return self.office_hours.day_length

    def is_provisional(self, day: date) -> bool:
        """Whether ``day``'s year is estimated, awaiting the State Council's notice."""
        return day.year in self.provisional_years or self._estimated(day)

    def is_provisional_instant(self, t: datetime) -> bool:
        """Whether the local date of ``t`` lies in an estimated year."""
        return self.is_provisional(self._local(t)[0])

    @property
    def supported_years(self) -> range | None:
        """The years commands may name instants in: the data years and
        ``ESTIMATED_YEARS`` estimated ones after them (None: unbounded)."""
        if self.years is None:
            return None
        return range(self.years.start, self.years.stop + ESTIMATED_YEARS)

    def supports(self, t: datetime) -> bool:
        """Whether ``t`` (an aware instant) falls in ``supported_years``."""
        span = self.supported_years
        if span is None:
            return True
        try:
            year = t.astimezone(self.tz).year
        except OverflowError:
            return False
        return year in span

    def _estimated(self, day: date) -> bool:
        return self.years is not None and day.year >= self.years.stop

    def is_working_day(self, day: date) -> bool:
        if isinstance(day, datetime):
            # A datetime would never match the date sets; its local date is meant.
            raise TypeError("is_working_day takes a date; use is_working_time")
        self._check_covered(day)
        if self._estimated(day):
            fixed = (day.month, day.day) in FIXED_DATE_HOLIDAYS
            return day.weekday() < _SATURDAY and not fixed
        if day in self.makeup_workdays:
            return True
        return day.weekday() < _SATURDAY and day not in self.holidays

    def is_working_time(self, t: datetime) -> bool:
        day, offset = self._local(t)
        return self.is_working_day(day) and self.office_hours.contains(offset)

    def close_of_business(self, day: date) -> datetime:
        """The end of ``day``'s last office interval (17:30 by default; with
        office hours ending at 24:00, the next midnight), as an instant."""
        return self._instant(day, self.office_hours.intervals[-1].end)

    def close_of_business_after(self, start: datetime, working_days: int) -> datetime:
        """The close of business of the ``working_days``-th working day after the
        local date of ``start``: "N working days from the next day" (次日起).

        The start date is never counted, whatever the time of ``start`` and whether
        or not its date is a working day; holidays and weekends are skipped and
        make-up working days (调休) count. Received Friday 13 February 2026 at 16:00,
        3 days are Saturday 14 (make-up), Tuesday 24 and Wednesday 25 February, so
        the period ends Wednesday 25 February at 17:30.
        """
        if isinstance(working_days, bool) or not isinstance(working_days, int):
            raise TypeError(f"working days are a whole number, not {working_days!r}")
        if working_days < 1:
            raise NegativeDurationError(
                f"counting from the next day needs at least 1 working day, "
                f"not {working_days}"
            )
        day, _ = self._local(start)
        return self.close_of_business(self._nth_working_day_after(day, working_days))

    def next_working_instant(self, t: datetime) -> datetime:
        """``t`` itself if inside office hours, else the next opening."""
        day, offset = self._local(t)
        if self.is_working_day(day):
            if self.office_hours.contains(offset):
                return t.astimezone(self.tz)
            opening = self.office_hours.next_start(offset)
            if opening is not None:
                return self._instant(day, opening)
        first_opening = self.office_hours.intervals[0].start
        return self._instant(self._nth_working_day_after(day, 1), first_opening)

    def add_working_days(self, t: datetime, days: int) -> datetime:
        """``days`` working days after ``t``: ``days * day_length`` of working time.

        From an instant inside office hours this is the same time of day on the
        ``days``-th following working day (at an opening time: the preceding closing
        time, which is the same amount of working time).
        """
        if days < 0:
            raise NegativeDurationError(f"cannot add {days} working days")
        return self.add_working_time(t, days * self.day_length)

    def add_working_time(self, t: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which ``duration`` of working time has elapsed."""
        if duration < _ZERO:
            raise NegativeDurationError(f"cannot add {duration} of working time")
        day, offset = self._local(t)
        hours = self.office_hours
        used = (
            hours.elapsed_before(offset)
            if self.is_working_day(day)
            else hours.day_length
        )
        left_today = hours.day_length - used
        if duration <= left_today:
            if not duration:
                return t.astimezone(self.tz)
            return self._instant(day, hours.offset_after(used + duration))
        whole_days, rest = divmod(duration - left_today, hours.day_length)
        if not rest:
            # The limit runs out at a closing time: end there, not at the next opening.
            whole_days, rest = whole_days - 1, hours.day_length
        target = self._nth_working_day_after(day, whole_days + 1)
        return self._instant(target, hours.offset_after(rest))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end)``; zero if ``end`` is not after ``start``.

        Remembered per interval (the calendar never changes once made): the
        views that each measure the same stage cycle ask the same question."""
        found = self._between.get((start, end))
        if found is None:
            found = self._measure_between(start, end)
            if len(self._between) >= WORKING_TIME_MEMO:
                self._between.clear()
            self._between[(start, end)] = found
        return found

    def _measure_between(self, start: datetime, end: datetime) -> timedelta:
        first_day, first_offset = self._local(start)
        last_day, last_offset = self._local(end)
        if end <= start:
            return _ZERO
        hours = self.office_hours
        if first_day == last_day:
            if not self.is_working_day(first_day):
                return _ZERO
            return hours.elapsed_before(last_offset) - hours.elapsed_before(
                first_offset
            )
        total = self._working_days_in(first_day + _ONE_DAY, last_day) * hours.day_length
        if self.is_working_day(first_day):
            total += hours.day_length - hours.elapsed_before(first_offset)
        if self.is_working_day(last_day):
            total += hours.elapsed_before(last_offset)
        return total

    def working_days_between(self, start: datetime, end: datetime) -> Fraction:
        """Working time between two instants, in exact working days."""
        microsecond = timedelta(microseconds=1)
        return Fraction(
            self.working_time_between(start, end) // microsecond,
            self.day_length // microsecond,
        )

    def _local(self, t: datetime) -> tuple[date, timedelta]:
        """The local date of ``t`` and its offset from that date's midnight."""
        if t.tzinfo is None or t.utcoffset() is None:
            raise NaiveDatetimeError(f"{t.isoformat()} has no time zone")
        local = t.astimezone(self.tz).replace(tzinfo=None)
        day = local.date()
        self._check_covered(day)
        return day, local - datetime.combine(day, time())

    def _instant(self, day: date, offset: timedelta) -> datetime:
        self._check_covered(day)
        return (datetime.combine(day, time()) + offset).replace(tzinfo=self.tz)

    def _check_covered(self, day: date) -> None:
        if self.years is not None and day.year < self.years.start:
            raise OutsideCalendarError(
                f"{day} is before the calendar's first year {self.years.start}"
            )

    def _working_days_in(self, first: date, stop: date) -> int:
        """Working days in ``[first, stop)``."""
        if stop <= first:
            return 0
        weeks, extra_days = divmod((stop - first).days, 7)
        weekdays = weeks * 5 + _WEEKDAYS_AFTER[first.weekday()][extra_days]

        def count(sorted_days: list[date]) -> int:
            return bisect_left(sorted_days, stop) - bisect_left(sorted_days, first)

        closed = count(self._closed_weekdays) + self._fixed_weekdays_in(first, stop)
        return weekdays - closed + count(self._open_weekends)

    def _fixed_weekdays_in(self, first: date, stop: date) -> int:
        """Estimated holidays (fixed dates on weekdays) in ``[first, stop)``."""
        if self.years is None or stop.year < self.years.stop:
            return 0
        found = 0
        for year in range(max(first.year, self.years.stop), stop.year + 1):
            for month, day_of_month in FIXED_DATE_HOLIDAYS:
                day = date(year, month, day_of_month)
                found += first <= day < stop and day.weekday() < _SATURDAY
        return found

    def _nth_working_day_after(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``n`` ≥ 1)."""

        def reached(candidate: date) -> bool:
            return self._working_days_in(day + _ONE_DAY, candidate + _ONE_DAY) >= n

        # Gallop to a bound, then bisect: O(log n) counts, each O(log holidays).
        low, high = day, day + timedelta(days=n)
        while not reached(high):
            low, high = high, high + (high - day)
        while (high - low).days > 1:
            middle = low + timedelta(days=(high - low).days // 2)
            if reached(middle):
                high = middle
            else:
                low = middle
        self._check_covered(high)
        return high
