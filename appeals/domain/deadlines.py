"""Deadlines as the domain computes them: a calendar and a policy, passed in.

A deadline is computed when its stage starts and recorded in the event with
the policy version (DOMAIN.md, "Time limits"), so a later change of policy or
calendar never rewrites what a unit was told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from appeals.domain.sla import DEFAULT_POLICY, SlaPolicy, Stage
from appeals.domain.working_time import WorkingCalendar


@dataclass(frozen=True)
class Timekeeping:
    """The official working-time calendar and the SLA policy in force."""

    calendar: WorkingCalendar
    policy: SlaPolicy = DEFAULT_POLICY

    @property
    def version(self) -> str:
        return self.policy.version

    def due(
        self, stage: Stage, start: datetime, priority: str, category: str
    ) -> datetime:
        """When ``stage``, starting at ``start``, must be done."""
        return self.policy.deadline(self.calendar, stage, start, priority, category)

    def provisional(self, *deadlines: datetime | None) -> bool:
        """Whether any of ``deadlines`` falls in a provisional (estimated)
        calendar year: then the deadline is an estimate, and says so."""
        return any(
            d is not None and self.calendar.is_provisional_instant(d) for d in deadlines
        )

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants (0 if ``end`` is not later)."""
        return self.calendar.working_time_between(start, end)

    def moved(self, deadline: datetime, by: timedelta) -> datetime:
        """``deadline`` pushed back by ``by`` of working time (a pause)."""
        if by <= timedelta(0):
            return deadline
        return self.calendar.add_working_time(deadline, by)
