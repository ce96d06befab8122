"""Clocks. The domain never reads time; the application asks one of these."""

from __future__ import annotations

from datetime import datetime, timedelta
from threading import Lock
from typing import Protocol

from appeals.domain.working_time import SHANGHAI

# One definition of the business time zone: the official calendar's.
__all__ = ["SHANGHAI", "Clock", "FixedClock", "SystemClock"]


class Clock(Protocol):
    """Tells the current instant (time-zone aware)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock, in Asia/Shanghai (the official calendar's zone)."""

    def now(self) -> datetime:
        return datetime.now(SHANGHAI)


class FixedClock:
    """A clock that moves only when told to: for tests and generated histories."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock's time must be time-zone aware")
        self._now = start
        self._lock = Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._now = instant

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now
