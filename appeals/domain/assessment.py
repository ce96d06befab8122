"""The assessment (考核) of units, cadres, localities and categories for a
period, under a versioned scheme: pure functions of the facts the assessment
view keeps (appeals.projections.assessment) and of the instant assessed.

Every denominator is what was *due* (docs/assessment.md): a stage cycle whose
deadline fell in the period and had passed when the assessment was made
counts, whether it was met, met late or is still open; one that ended before
its deadline by a withdrawal, a merge or a return (退单), or whose appeal is
covered by a granted exclusion (剔除), is not due. So no unit can improve its
figures by leaving an appeal alone.

This module defines the facts (:class:`CycleFact`, :class:`Activity`) the
view hands over and the period; the scheme and the computation build on them.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from appeals.domain.errors import InvalidField

ASSESSED_STAGES = ("dispatch", "first_response", "accept", "resolve")
"""The stages whose cycles the assessment counts (dispatch: the centre's)."""

NOT_DUE_ENDINGS = frozenset({"withdrawn", "merged", "returned"})
"""Endings that make a cycle not due when they come before its deadline."""


@dataclass(frozen=True)
class CycleFact:
    """One stage cycle as the assessment sees it."""

    appeal_id: str
    stage: str  # one of ASSESSED_STAGES
    cycle: int
    unit: str | None  # the unit charged (CENTRE_UNIT for dispatch)
    cadre: str | None  # the cadre assigned then, if any (a registered code)
    category: str
    locality: str | None  # the enterprise's GB/T 2260 code
    started_at: datetime
    due: datetime
    completed_at: datetime | None
    ended_by: str | None  # returned, withdrawn, merged, closed, reopened ...
    ended_at: datetime | None
    excluded: bool = False  # a granted exclusion (剔除) covers the appeal
    # resolve cycles only: the enterprise's verdict on this cycle's result
    verdict_resolved: bool | None = None
    verdict_satisfaction: str | None = None  # satisfied, basic, unsatisfied
    verdict_lapsed: bool = False  # the evaluation window passed without one

    def is_due(self, as_of: datetime) -> bool:
        """Whether the cycle counts in a denominator assessed at ``as_of``:
        its deadline has passed, no granted exclusion covers it, and it did
        not end before the deadline by a withdrawal, merge or return."""
        if self.excluded or self.due > as_of:
            return False
        ended_early = (
            self.ended_by in NOT_DUE_ENDINGS
            and self.ended_at is not None
            and self.ended_at <= self.due
            and self.completed_at is None
        )
        return not ended_early

    def met(self) -> bool:
        """Completed by its deadline."""
        return self.completed_at is not None and self.completed_at <= self.due


@dataclass(frozen=True)
class Activity:
    """What one unit's cadre did on one day in one category, for the rates
    that are not deadlines (退单率, 重办率, 督办): counts from the
    accountability view."""

    day: date
    unit: str
    cadre: str | None
    category: str
    locality: str | None
    assigned: int = 0
    returned: int = 0
    resolved: int = 0
    reopened: int = 0
    supervised: int = 0
    escalated: int = 0


@dataclass(frozen=True)
class Period:
    """A calendar month (``2026-11``) in the city's time zone."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str, field: str = "period") -> Period:
        try:
            year, month = (int(part) for part in text.split("-"))
            date(year, month, 1)
        except ValueError:
            raise InvalidField(
                field, f"期间格式不符 {text!r} is not a month like 2026-11"
            ) from None
        return cls(year, month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, monthrange(self.year, self.month)[1])

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end): midnight of the first day to midnight after the last."""
        start = datetime.combine(self.first_day, time(0), tz)
        end = datetime.combine(self.last_day + timedelta(days=1), time(0), tz)
        return start, end

    def contains(self, instant: datetime, tz: tzinfo) -> bool:
        start, end = self.bounds(tz)
        return start <= instant < end
