"""Task forces (专班, 一企业一专班): formed for an enterprise (or one of its
projects) with a lead cadre and members from several units, to see the
enterprise's hard problems through; the enterprise's open appeals are its
board. One task force per enterprise or project at a time; it may be
disbanded and formed again. A chained record like the organisation's
(appeals.domain.master_data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID, uuid5

from appeals.domain.errors import CommandNotAllowed, InvalidField
from appeals.domain.master_data import MasterCreated, MasterEvent, MasterRecord
from appeals.domain.permissions import authorize
from appeals.domain.service_links import NAMESPACE
from appeals.domain.values import Actor, text


def task_force_id(uscc: str, project: str | None) -> UUID:
    return uuid5(NAMESPACE, f"taskforce:{uscc}:{project or ''}")


@dataclass(frozen=True)
class FormTaskForce:
    """``POST /taskforces``: a lead cadre and members (registered cadres)."""

    name: str
    uscc: str
    lead: str
    members: tuple[str, ...]
    formed_on: date
    project: str | None = None


@dataclass(frozen=True)
class DisbandTaskForce:
    """``POST /taskforces/{id}/disband``: its work done (or handed over)."""

    disbanded_on: date
    reason: str


class TaskForce(MasterRecord, created_event_name="Formed"):
    """An enterprise's (or project's) task force and its periods."""

    TOPIC = "TaskForce"

    class Event(MasterEvent):
        TOPIC = "TaskForce.Event"

    class Created(Event, MasterCreated):
        TOPIC = "TaskForce.Created"

    class Formed(Created):
        """组建专班."""

        TOPIC = "TaskForce.Formed"
        name: str
        uscc: str
        project: str | None
        lead: str
        members: list[str]
        units: list[str]
        """The members' units (several, as the seed's 专班 are)."""
        formed_on: str

        def apply(self, force: TaskForce) -> None:
            _formed(force, self)

    class Reformed(Event):
        """Formed again after it was disbanded."""

        TOPIC = "TaskForce.Reformed"
        name: str
        lead: str
        members: list[str]
        units: list[str]
        formed_on: str

        def apply(self, force: TaskForce) -> None:
            _formed(force, self)

    class Disbanded(Event):
        """撤销专班."""

        TOPIC = "TaskForce.Disbanded"
        disbanded_on: str
        reason: str

        def apply(self, force: TaskForce) -> None:
            force.active = False

    if TYPE_CHECKING:
        name: str
        uscc: str
        project: str | None
        lead: str
        members: list[str]
        units: list[str]
        formed_on: date
        active: bool

    @classmethod
    def form(
        cls,
        command: FormTaskForce,
        units: list[str],
        actor: Actor,
        at: datetime,
    ) -> TaskForce:
        """``units``: each member's unit, in the order of ``members``
        (looked up in the registry by the application)."""
        authorize("manage_links", actor, unit=None, uscc=None)
        return cls._register(
            cls.Formed,
            id=task_force_id(command.uscc, command.project),
            actor=actor,
            at=at,
            uscc=command.uscc,
            project=command.project,
            **_fields(command, units),
        )

    def reform(
        self, command: FormTaskForce, units: list[str], actor: Actor, at: datetime
    ) -> None:
        authorize("manage_links", actor, unit=None, uscc=None)
        if self.active:
            raise CommandNotAllowed(
                "form_task_force", "formed", f"a task force {self.name} is in place"
            )
        self._record(self.Reformed, actor, at, **_fields(command, units))

    def disband(self, command: DisbandTaskForce, actor: Actor, at: datetime) -> None:
        authorize("manage_links", actor, unit=None, uscc=None)
        if not self.active:
            raise CommandNotAllowed("disband", "disbanded", "it is already disbanded")
        if command.disbanded_on < self.formed_on:
            raise InvalidField("disbanded_on", f"must not be before {self.formed_on}")
        self._record(
            self.Disbanded,
            actor,
            at,
            disbanded_on=command.disbanded_on.isoformat(),
            reason=text(command.reason, "reason"),
        )


def _fields(command: FormTaskForce, units: list[str]) -> dict[str, object]:
    members = list(dict.fromkeys([command.lead, *command.members]))
    if len(members) < 2:
        raise InvalidField(
            "members", "专班至少两人 a task force has a lead and members"
        )
    return {
        "name": text(command.name, "title"),
        "lead": command.lead,
        "members": members,
        "units": list(dict.fromkeys(units)),
        "formed_on": command.formed_on.isoformat(),
    }


def _formed(force: TaskForce, event: TaskForce.Formed | TaskForce.Reformed) -> None:
    if isinstance(event, TaskForce.Formed):
        force.uscc, force.project = event.uscc, event.project
    force.name, force.lead = event.name, event.lead
    force.members, force.units = list(event.members), list(event.units)
    force.formed_on = date.fromisoformat(event.formed_on)
    force.active = True
