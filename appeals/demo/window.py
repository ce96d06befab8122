"""The months the demo's appeals happen in (appeals.demo), with every step
measured in working time on the domain's ``WorkingCalendar``: the same
calendar the application counts time limits with."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, time, timedelta
from random import Random

from appeals.domain.working_time import WorkingCalendar


class Window:
    """From ``start`` for ``months`` months; the calendar does the arithmetic."""

    def __init__(self, start: date, months: int, calendar: WorkingCalendar) -> None:
        month = start.month - 1 + months
        year, month = start.year + month // 12, month % 12 + 1
        last = date(year, month, min(start.day, monthrange(year, month)[1]))
        self.calendar = calendar
        self.begin = datetime.combine(start, time(0), calendar.tz)
        self.end = datetime.combine(last, time(0), calendar.tz)
        days = (start + timedelta(n) for n in range((last - start).days))
        self.workdays = [day for day in days if calendar.is_working_day(day)]

    @property
    def day_hours(self) -> float:
        """Office hours in one working day."""
        return self.calendar.day_length / timedelta(hours=1)

    def add(self, start: datetime, hours: float) -> datetime:
        """The instant ``hours`` of office time after ``start`` (0: the first
        instant in office hours from ``start`` on), to the second."""
        opening = self.calendar.next_working_instant(start)
        later = self.calendar.add_working_time(opening, timedelta(hours=hours))
        return later.replace(microsecond=0)

    def add_days(self, start: datetime, days: int) -> datetime:
        """``days`` working days after ``start``."""
        return self.calendar.add_working_days(start, days)

    def earlier(self, instant: datetime, days: int) -> datetime:
        """The same time of day on the working day at least ``days`` before
        (or the window's first office instant)."""
        day = instant.date() - timedelta(days)
        while not self.calendar.is_working_day(day):
            day -= timedelta(days=1)
        moved = datetime.combine(day, instant.timetz())
        return moved if moved >= self.begin else self.add(self.begin, 0)

    def receipt(self, rng: Random) -> datetime:
        """An instant in office hours on a working day of the window."""
        day = datetime.combine(rng.choice(self.workdays), time(0), self.calendar.tz)
        return self.add(day, rng.uniform(0, self.day_hours))
