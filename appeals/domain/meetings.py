"""Joint meetings (会办, 多部门会办): what cannot be settled the normal way is
settled at a meeting of several units (seed ``003_…``; Kunshan's joint site
meeting of five offices). A meeting records its subject, day, the appeals it
took up, the units and cadres who attended and what was decided, then its
follow-up tasks, each with an owner unit and a due day, tracked until done.
A chained record like the organisation's (appeals.domain.master_data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from appeals.domain.errors import CommandNotAllowed, InvalidField
from appeals.domain.master_data import MasterCreated, MasterEvent, MasterRecord
from appeals.domain.permissions import authorize
from appeals.domain.values import Actor, text


@dataclass(frozen=True)
class HoldMeeting:
    """``POST /meetings``: a joint meeting held (at least two units)."""

    subject: str
    day: date
    units: tuple[str, ...]
    decisions: str
    appeals: tuple[str, ...] = ()
    """The appeals (ids) it took up."""
    cadres: tuple[str, ...] = ()


@dataclass(frozen=True)
class AssignTask:
    """``POST /meetings/{id}/tasks``: a follow-up task for one unit."""

    task: str
    owner: str
    due: date


@dataclass(frozen=True)
class CompleteTask:
    """``POST /meetings/{id}/tasks/{number}/done``."""

    note: str = ""


class Meeting(MasterRecord, created_event_name="Held"):
    """One joint meeting and its follow-up tasks."""

    TOPIC = "Meeting"

    class Event(MasterEvent):
        TOPIC = "Meeting.Event"

    class Created(Event, MasterCreated):
        TOPIC = "Meeting.Created"

    class Held(Created):
        """会办: held, with its attendees and decisions."""

        TOPIC = "Meeting.Held"
        subject: str
        day: str
        """An ISO day."""
        units: list[str]
        cadres: list[str]
        appeals: list[str]
        decisions: str

        def apply(self, meeting: Meeting) -> None:
            meeting.units = list(self.units)
            meeting.held = {
                "subject": self.subject,
                "day": self.day,
                "units": list(self.units),
                "cadres": list(self.cadres),
                "appeals": list(self.appeals),
                "decisions": self.decisions,
            }
            meeting.tasks = []

    class TaskAssigned(Event):
        """A follow-up task with its owner unit and due day."""

        TOPIC = "Meeting.TaskAssigned"
        number: int
        task: str
        owner: str
        due: str

        def apply(self, meeting: Meeting) -> None:
            task = {
                "task": self.task,
                "owner": self.owner,
                "due": self.due,
                "done": False,
            }
            meeting.tasks = [*meeting.tasks, task]

    class TaskCompleted(Event):
        """The task done, by its owner (or the centre)."""

        TOPIC = "Meeting.TaskCompleted"
        number: int
        note: str

        def apply(self, meeting: Meeting) -> None:
            tasks = list(meeting.tasks)
            tasks[self.number - 1] = {**tasks[self.number - 1], "done": True}
            meeting.tasks = tasks

    if TYPE_CHECKING:
        units: list[str]
        held: dict[str, Any]
        tasks: list[dict[str, Any]]

    @classmethod
    def hold(
        cls, command: HoldMeeting, meeting_id: UUID, actor: Actor, at: datetime
    ) -> Meeting:
        """The application has checked the units and cadres are registered."""
        authorize("hold_meeting", actor, unit=None, uscc=None)
        units = list(dict.fromkeys(text(u, "unit") for u in command.units))
        if len(units) < 2:
            raise InvalidField(
                "units", "会办至少两个单位 a joint meeting has 2 units or more"
            )
        if command.day > at.date():
            raise InvalidField("day", "must not be in the future")
        return cls._register(
            cls.Held,
            id=meeting_id,
            actor=actor,
            at=at,
            subject=text(command.subject, "title"),
            day=command.day.isoformat(),
            units=units,
            cadres=list(dict.fromkeys(command.cadres)),
            appeals=list(dict.fromkeys(command.appeals)),
            decisions=text(command.decisions, "note"),
        )

    def assign(self, command: AssignTask, actor: Actor, at: datetime) -> int:
        """The new task's number (1, 2, ...)."""
        authorize("hold_meeting", actor, unit=None, uscc=None)
        owner = text(command.owner, "unit")
        if owner not in self.units:
            raise InvalidField(
                "owner",
                f"{owner} 未参加会办 did not attend: one of {', '.join(self.units)}",
            )
        number = len(self.tasks) + 1
        self._record(
            self.TaskAssigned,
            actor,
            at,
            number=number,
            task=text(command.task, "note"),
            owner=owner,
            due=command.due.isoformat(),
        )
        return number

    def complete(
        self, number: int, command: CompleteTask, actor: Actor, at: datetime
    ) -> None:
        if not 1 <= number <= len(self.tasks):
            raise InvalidField(
                "number", f"the meeting has tasks 1 to {len(self.tasks)}"
            )
        task = self.tasks[number - 1]
        authorize("complete_task", actor, unit=task["owner"], uscc=None)
        if task["done"]:
            raise CommandNotAllowed("complete_task", "done", f"task {number} is done")
        note = text(command.note, "note", required=False)
        self._record(self.TaskCompleted, actor, at, number=number, note=note)
