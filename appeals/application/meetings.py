"""Joint meetings (会办) as a service: held with registered units, cadres and
existing appeals, their follow-up tasks assigned and completed
(appeals.domain.meetings)."""

from __future__ import annotations

from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.domain.errors import CommandNotAllowed, InvalidField
from appeals.domain.meetings import AssignTask, CompleteTask, HoldMeeting, Meeting
from appeals.domain.organisation import RecordNotFound
from appeals.domain.values import Actor


class Meetings:
    """The joint meetings of one ledger."""

    def __init__(self, ledger: AppealLedger) -> None:
        self.ledger = ledger
        self.registry = Registry(ledger)

    def hold(self, command: HoldMeeting, actor: Actor) -> Meeting:
        for unit in command.units:
            entry = self.registry.unit(unit)
            if entry is None or entry.retired:
                raise InvalidField(
                    "units", f"单位 '{unit}' 未登记或已撤销 is not registered"
                )
        for cadre in command.cadres:
            if self.registry.cadre(cadre) is None:
                raise InvalidField("cadres", f"干部 '{cadre}' 未登记 is not registered")
        for appeal in command.appeals:
            try:
                self.ledger.get(UUID(appeal))
            except (ValueError, AggregateNotFoundError, LookupError):
                raise InvalidField("appeals", f"no appeal {appeal}") from None
        meeting = Meeting.hold(command, uuid4(), actor, self.ledger.clock.now())
        self.ledger.save(meeting)
        return meeting

    def assign_task(self, meeting_id: UUID, command: AssignTask, actor: Actor) -> int:
        meeting = self.meeting(meeting_id)
        number = meeting.assign(command, actor, self.ledger.clock.now())
        self._save(meeting)
        return number

    def complete_task(
        self, meeting_id: UUID, number: int, command: CompleteTask, actor: Actor
    ) -> Meeting:
        meeting = self.meeting(meeting_id)
        meeting.complete(number, command, actor, self.ledger.clock.now())
        self._save(meeting)
        return meeting

    def meeting(self, meeting_id: UUID) -> Meeting:
        found = self.ledger.find(meeting_id, Meeting)
        if found is None:
            raise RecordNotFound("meeting", str(meeting_id))
        return found

    def _save(self, meeting: Meeting) -> None:
        try:
            self.ledger.save(meeting)
        except IntegrityError:
            raise CommandNotAllowed(
                "meeting", "changed", "the meeting was changed at the same time; retry"
            ) from None
