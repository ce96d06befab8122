"""Deadlines as the domain computes them: a calendar and a policy, passed in.

A deadline is computed when its stage starts and recorded in the event with
the policy version (docs/domain.md, "Time limits"), so a later change of policy or
calendar never rewrites what a unit was told.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from appeals.domain.sla import DEFAULT_POLICY, Limit, SlaPolicy, Stage
from appeals.domain.working_time import WorkingCalendar


@dataclass(frozen=True)
class Timekeeping:
    """The official working-time calendar and the SLA policy in force."""

    calendar: WorkingCalendar
    policy: SlaPolicy = DEFAULT_POLICY

    @property
    def version(self) -> str:
        return self.policy.version

    def limit(
        self,
        stage: Stage,
        priority: str,
        category: str,
        *,
        kind: str | None = None,
        limits: Mapping[str, str] | None = None,
    ) -> Limit:
        """The limit for ``stage``: a catalogue item's (``limits``, stage name ->
        limit text like ``"5d"``) if it states one for this stage, otherwise the
        policy's for the priority, category and 诉求类型 ``kind`` (``SlaPolicy``
        documents the lookup order). An item's text that is not a limit raises
        ``InvalidLimitError`` (a ``ValueError``)."""
        override = (limits or {}).get(Stage(stage).value)
        if override is not None:
            return Limit.parse(override)
        return self.policy.limit(stage, priority, category, kind)

    def due(
        self,
        stage: Stage,
        start: datetime,
        priority: str,
        category: str,
        *,
        kind: str | None = None,
        limits: Mapping[str, str] | None = None,
    ) -> datetime:
        """When ``stage``, starting at ``start``, must be done: the :meth:`limit`
        counted by :meth:`counting` (an item's whole days, too, are counted by
        the policy's day convention)."""
        limit = self.limit(stage, priority, category, kind=kind, limits=limits)
        return limit.due(self.calendar, start, self.policy.day_counting)

    def due_after(self, limit: Limit, start: datetime) -> datetime:
        """When ``limit`` runs out from ``start`` under the policy's day
        counting (a limit outside the stage table: an order's reply)."""
        return limit.due(self.calendar, start, self.policy.day_counting)

    def counting(
        self,
        stage: Stage,
        priority: str,
        category: str,
        *,
        kind: str | None = None,
        limits: Mapping[str, str] | None = None,
    ) -> str:
        """The counting convention :meth:`due` applies to this stage (recorded
        beside each deadline): ``"next_day"`` for a whole-day limit when the
        policy counts days from the next day (次日起), ``"office_hours"`` for
        hour, minute and fractional-day limits or when the policy counts days
        as office hours."""
        limit = self.limit(stage, priority, category, kind=kind, limits=limits)
        return self.policy.counting(limit).value

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
