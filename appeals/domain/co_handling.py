"""Co-handling (主办/协办) of :class:`appeals.domain.appeal.Appeal`: the
assignment names co-handling units besides the lead (the catalogue item's,
and any the dispatcher adds); each accepts and reports its own part under its
own clock (the accept and resolve limits from the assignment, measured in the
timeliness fold as stages ``co_accept`` and ``co_report`` charged to the
co-unit); the lead unit cannot resolve until every part is reported or a
supervisor has waived it, with the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from appeals.domain import events
from appeals.domain.commands import AcceptPart, ReportPart, Rules, WaivePart
from appeals.domain.errors import InvalidField
from appeals.domain.guards import AppealState
from appeals.domain.values import Actor, Role, Status, text

PART_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)
"""While the lead unit has the appeal, its co-units work on their parts."""


class CoHandling(AppealState):
    """The co-handling decisions of :class:`appeals.domain.appeal.Appeal`."""

    if TYPE_CHECKING:
        co_parts: dict[str, dict[str, Any]]
        """Co-unit -> {accepted, reported, waived} for the current assignment."""
    else:
        co_parts = {}  # replaced, never changed in place

    def accept_part(
        self, command: AcceptPart, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        unit = self._part_unit(command.unit, actor, "accept_part")
        if self.co_parts[unit]["accepted"]:
            self._refuse("accept_part", f"{unit} has already accepted its part")
        self._record(events.PartAccepted, actor, at, unit=unit)

    def report_part(
        self, command: ReportPart, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        report = text(command.report, "note")
        unit = self._part_unit(command.unit, actor, "report_part")
        if self.co_parts[unit]["reported"]:
            self._refuse("report_part", f"{unit} has already reported its part")
        self._record(
            events.PartReported,
            actor,
            at,
            unit=unit,
            report=report,
            public=command.public,
        )

    def waive_part(
        self, command: WaivePart, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        reason = text(command.reason, "reason")
        self.check_permitted("waive_part", actor)
        self.check_status("waive_part", *PART_STATUSES)
        unit = self._co_unit(command.unit)
        part = self.co_parts[unit]
        if part["reported"] or part["waived"]:
            self._refuse("waive_part", f"{unit}'s part is already in")
        self._record(events.PartWaived, actor, at, unit=unit, reason=reason)

    def check_parts_in(self, command: str) -> None:
        """The lead resolves only when every co-unit reported or was waived."""
        waiting = [
            unit
            for unit, part in self.co_parts.items()
            if not (part["reported"] or part["waived"])
        ]
        if waiting:
            self._refuse(
                command,
                f"协办单位尚未反馈 co-handling units have not reported: "
                f"{', '.join(waiting)} (or a supervisor waives them)",
            )

    def _part_unit(self, given: str | None, actor: Actor, command: str) -> str:
        """The co-unit acting: a handler's own unit, else the one named."""
        unit = actor.unit if actor.role is Role.HANDLER else given
        if unit is None:
            raise InvalidField("unit", "name the co-handling unit whose part this is")
        self.check_permitted(command, actor)  # a co-unit's own part
        self.check_status(command, *PART_STATUSES)
        return self._co_unit(unit)

    def _co_unit(self, unit: str) -> str:
        if unit not in self.co_parts:
            raise InvalidField(
                "unit", f"{unit} 不是本诉求的协办单位 is not a co-handling unit of it"
            )
        return unit
