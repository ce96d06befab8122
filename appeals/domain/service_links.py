"""挂钩服务: cadres and deputies linked to enterprises and projects, and the
visits (走访) they make, each a chained record like the organisation's
(appeals.domain.master_data), so who was linked to whom, when, and what each
visit found stays auditable.

- a **project** (项目): code, name, the enterprise it belongs to, park, kind,
  investment (万元);
- a **link** (挂钩): a registered cadre linked to an enterprise or a project as
  挂钩干部, 联络专员 or 人大代表 from a start date until it is ended (and may be
  linked again later); one record per (cadre, target);
- a **visit** (走访): by a cadre linked to the enterprise on that day, its mode
  (on site, phone, salon), the people met and findings; every problem found
  can be filed as an appeal from the visit (channel ``visit``), which the
  visit records (``ProblemRaised``) in the same transaction.

The application (appeals.application.service_links) checks what needs the
registries (the cadre, the enterprise, the project exist); these records
decide the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from appeals.domain.errors import CommandNotAllowed, InvalidField
from appeals.domain.master_data import MasterCreated, MasterEvent, MasterRecord
from appeals.domain.permissions import authorize
from appeals.domain.values import Actor, Labelled, text

NAMESPACE = uuid5(NAMESPACE_URL, "https://appeal-ledger.invalid/service-links")


class LinkRole(Labelled):
    """Who is linked (挂钩) to an enterprise or project."""

    LINKED_CADRE = ("linked_cadre", "挂钩干部", "linked cadre")
    LIAISON_OFFICER = ("liaison_officer", "联络专员", "liaison officer")
    DEPUTY = ("deputy", "人大代表", "people's deputy")


class VisitMode(Labelled):
    """How a visit (走访) was made."""

    ON_SITE = ("on_site", "实地走访", "on site")
    PHONE = ("phone", "电话走访", "by phone")
    SALON = ("salon", "政企沙龙", "at a salon")


class TargetKind(Labelled):
    ENTERPRISE = ("enterprise", "企业", "enterprise")
    PROJECT = ("project", "项目", "project")


def project_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"project:{code}")


def link_id(cadre: str, kind: str, target: str) -> UUID:
    return uuid5(NAMESPACE, f"link:{cadre}:{kind}:{target}")


# ---- commands -------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterProject:
    """``POST /projects``: a project of a registered enterprise."""

    code: str
    name: str
    uscc: str
    park: str = ""
    kind: str = ""
    investment: int | None = None
    """Planned investment in 万元 (ten thousand yuan)."""


@dataclass(frozen=True)
class LinkCadre:
    """``POST /links``: a registered cadre linked to an enterprise (``uscc``)
    or a project (``project``) from ``start``."""

    cadre: str
    start: date
    uscc: str | None = None
    project: str | None = None
    role: LinkRole = LinkRole.LINKED_CADRE


@dataclass(frozen=True)
class EndLink:
    """``POST /links/end``: the link ends on ``end`` (inclusive)."""

    cadre: str
    end: date
    uscc: str | None = None
    project: str | None = None


@dataclass(frozen=True)
class RecordVisit:
    """``POST /visits``: a linked cadre's visit to an enterprise."""

    cadre: str
    uscc: str
    day: date
    mode: VisitMode
    findings: str
    people_met: str = ""


def target_of(uscc: str | None, project: str | None) -> tuple[TargetKind, str]:
    """The link's target: an enterprise or a project, exactly one."""
    if (uscc is None) == (project is None):
        raise InvalidField(
            "uscc", "须指定企业或项目之一 give either uscc (an enterprise) or project"
        )
    if uscc is not None:
        return TargetKind.ENTERPRISE, uscc
    assert project is not None
    return TargetKind.PROJECT, text(project, "item")


# ---- records ----------------------------------------------------------------------


class Project(MasterRecord, created_event_name="Registered"):
    """A project (项目) of an enterprise, by its code."""

    TOPIC = "Project"

    class Event(MasterEvent):
        TOPIC = "Project.Event"

    class Created(Event, MasterCreated):
        TOPIC = "Project.Created"

    class Registered(Created):
        TOPIC = "Project.Registered"
        code: str
        name: str
        uscc: str
        park: str
        kind: str
        investment: int | None

        def apply(self, project: Project) -> None:
            project.code, project.name, project.uscc = self.code, self.name, self.uscc

    if TYPE_CHECKING:
        code: str
        name: str
        uscc: str

    @classmethod
    def register(cls, command: RegisterProject, actor: Actor, at: datetime) -> Project:
        authorize("manage_links", actor, unit=None, uscc=None)
        investment = command.investment
        if investment is not None and (isinstance(investment, bool) or investment < 0):
            raise InvalidField("investment", "万元, a whole number >= 0")
        return cls._register(
            cls.Registered,
            id=project_id(text(command.code, "item")),
            actor=actor,
            at=at,
            code=command.code,
            name=text(command.name, "title"),
            uscc=command.uscc,
            park=text(command.park, "address", required=False),
            kind=text(command.kind, "item", required=False),
            investment=investment,
        )


class Link(MasterRecord, created_event_name="Linked"):
    """A cadre's link (挂钩) to one enterprise or project, over periods."""

    TOPIC = "Link"

    class Event(MasterEvent):
        TOPIC = "Link.Event"

    class Created(Event, MasterCreated):
        TOPIC = "Link.Created"

    class Linked(Created):
        """挂钩: the first period starts."""

        TOPIC = "Link.Linked"
        cadre: str
        target_kind: str
        target: str
        uscc: str
        """The enterprise (a project's own enterprise)."""
        role: str
        start: str
        """An ISO day, like every day these records store."""

        def apply(self, link: Link) -> None:
            link.cadre, link.target_kind, link.target = (
                self.cadre,
                self.target_kind,
                self.target,
            )
            link.uscc = self.uscc
            start = date.fromisoformat(self.start)
            link.periods = [{"role": self.role, "start": start, "end": None}]

    class Renewed(Event):
        """再次挂钩: a new period after the last one ended."""

        TOPIC = "Link.Renewed"
        role: str
        start: str

        def apply(self, link: Link) -> None:
            start = date.fromisoformat(self.start)
            period = {"role": self.role, "start": start, "end": None}
            link.periods = [*link.periods, period]

    class Ended(Event):
        """解除挂钩: the current period ends (inclusive)."""

        TOPIC = "Link.Ended"
        end: str

        def apply(self, link: Link) -> None:
            *earlier, last = link.periods
            link.periods = [*earlier, {**last, "end": date.fromisoformat(self.end)}]

    if TYPE_CHECKING:
        cadre: str
        target_kind: str
        target: str
        uscc: str
        periods: list[dict[str, Any]]

    @classmethod
    def link(cls, command: LinkCadre, uscc: str, actor: Actor, at: datetime) -> Link:
        authorize("manage_links", actor, unit=None, uscc=None)
        kind, target = target_of(command.uscc, command.project)
        return cls._register(
            cls.Linked,
            id=link_id(command.cadre, kind.value, target),
            actor=actor,
            at=at,
            cadre=command.cadre,
            target_kind=kind.value,
            target=target,
            uscc=uscc,
            role=command.role.value,
            start=command.start.isoformat(),
        )

    def renew(self, command: LinkCadre, actor: Actor, at: datetime) -> None:
        authorize("manage_links", actor, unit=None, uscc=None)
        last = self.periods[-1]
        if last["end"] is None:
            raise CommandNotAllowed(
                "link",
                "linked",
                f"{self.cadre} 已挂钩 is already linked since {last['start']}",
            )
        if command.start <= last["end"]:
            raise InvalidField(
                "start", f"must be after the last period's end {last['end']}"
            )
        self._record(
            self.Renewed,
            actor,
            at,
            role=command.role.value,
            start=command.start.isoformat(),
        )

    def end(self, command: EndLink, actor: Actor, at: datetime) -> None:
        authorize("manage_links", actor, unit=None, uscc=None)
        last = self.periods[-1]
        if last["end"] is not None:
            raise CommandNotAllowed(
                "end_link", "ended", f"the link ended on {last['end']}"
            )
        if command.end < last["start"]:
            raise InvalidField("end", f"must not be before the start {last['start']}")
        self._record(self.Ended, actor, at, end=command.end.isoformat())

    def active_on(self, day: date) -> bool:
        return any(
            p["start"] <= day and (p["end"] is None or day <= p["end"])
            for p in self.periods
        )


class Visit(MasterRecord, created_event_name="Recorded"):
    """A visit (走访) and the appeals filed from it."""

    TOPIC = "Visit"

    class Event(MasterEvent):
        TOPIC = "Visit.Event"

    class Created(Event, MasterCreated):
        TOPIC = "Visit.Created"

    class Recorded(Created):
        TOPIC = "Visit.Recorded"
        cadre: str
        unit: str
        uscc: str
        day: str
        mode: str
        people_met: str
        findings: str

        def apply(self, visit: Visit) -> None:
            visit.cadre, visit.unit, visit.uscc = self.cadre, self.unit, self.uscc
            visit.day, visit.mode = date.fromisoformat(self.day), self.mode
            visit.people_met, visit.findings = self.people_met, self.findings
            visit.problems = []

    class ProblemRaised(Event):
        """A problem found, filed as an appeal (channel ``visit``)."""

        TOPIC = "Visit.ProblemRaised"
        appeal_id: UUID
        ticket: str

        def apply(self, visit: Visit) -> None:
            visit.problems = [*visit.problems, str(self.appeal_id)]

    if TYPE_CHECKING:
        cadre: str
        unit: str
        uscc: str
        day: date
        mode: str
        people_met: str
        findings: str
        problems: list[str]

    @classmethod
    def record(
        cls,
        command: RecordVisit,
        visit_id: UUID,
        unit: str,
        link: Link | None,
        actor: Actor,
        at: datetime,
    ) -> Visit:
        """By the cadre's own unit (a handler), the centre or a supervisor;
        the cadre must be linked to the enterprise on the day of the visit."""
        authorize("record_visit", actor, unit=unit, uscc=None)
        findings = text(command.findings, "note")
        if command.day > at.date():
            raise InvalidField("day", "must not be in the future")
        if link is None or not link.active_on(command.day):
            raise CommandNotAllowed(
                "record_visit",
                "not linked",
                f"{command.cadre} 未挂钩 is not linked to {command.uscc} "
                f"on {command.day}",
            )
        return cls._register(
            cls.Recorded,
            id=visit_id,
            actor=actor,
            at=at,
            cadre=command.cadre,
            unit=unit,
            uscc=command.uscc,
            day=command.day.isoformat(),
            mode=command.mode.value,
            people_met=text(command.people_met, "note", required=False),
            findings=findings,
        )

    def raise_problem(
        self, appeal_id: UUID, ticket: str, actor: Actor, at: datetime
    ) -> None:
        authorize("record_visit", actor, unit=self.unit, uscc=None)
        self._record(self.ProblemRaised, actor, at, appeal_id=appeal_id, ticket=ticket)
