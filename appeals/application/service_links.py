"""挂钩服务 as a service: projects, cadres' links to enterprises and projects,
visits (走访), and appeals filed from a visit, checked against the
registries (a registered, active cadre; a registered enterprise or project)
and recorded as chained records (appeals.domain.service_links).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from appeals.application.registry import Registry
from appeals.application.service import AppealLedger, CommandResult
from appeals.domain import commands as cmd
from appeals.domain.appeal import Appeal
from appeals.domain.errors import CommandNotAllowed, InvalidField
from appeals.domain.organisation import RecordNotFound
from appeals.domain.service_links import (
    EndLink,
    Link,
    LinkCadre,
    Project,
    RecordVisit,
    RegisterProject,
    TargetKind,
    Visit,
    link_id,
    project_id,
    target_of,
)
from appeals.domain.task_forces import TaskForce, task_force_id
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import Actor, Channel
from appeals.infra.clock import SHANGHAI
from appeals.projections import service_links as view

T = TypeVar("T")


class ServiceLinks:
    """Projects, links and visits of one ledger."""

    def __init__(self, ledger: AppealLedger) -> None:
        self.ledger = ledger
        self.registry = Registry(ledger)

    def register_project(self, command: RegisterProject, actor: Actor) -> Project:
        uscc = self._enterprise(command.uscc)
        project = Project.register(replace(command, uscc=uscc), actor, self.now())
        self._save(project, "project", command.code)
        return project

    def link(self, command: LinkCadre, actor: Actor) -> Link:
        """挂钩 (again, if an earlier link to the same target ended)."""
        self._cadre(command.cadre)
        kind, target = target_of(command.uscc, command.project)
        if kind is TargetKind.ENTERPRISE:
            target = uscc = self._enterprise(target)
            command = replace(command, uscc=uscc)
        else:
            project = self.ledger.find(project_id(target), Project)
            if project is None:
                raise InvalidField(
                    "project", f"项目 '{target}' 未登记 is not registered"
                )
            uscc = project.uscc
        existing = self.ledger.find(link_id(command.cadre, kind.value, target), Link)
        if existing is None:
            link = Link.link(command, uscc, actor, self.now())
        else:
            existing.renew(command, actor, self.now())
            link = existing
        self._save(link, "link", f"{command.cadre} → {target}")
        return link

    def end_link(self, command: EndLink, actor: Actor) -> Link:
        kind, target = target_of(command.uscc, command.project)
        if kind is TargetKind.ENTERPRISE:
            target = validate_uscc(target)
        link = self.ledger.find(link_id(command.cadre, kind.value, target), Link)
        if link is None:
            raise InvalidField(
                "cadre", f"{command.cadre} 未挂钩 is not linked to {target}"
            )
        link.end(command, actor, self.now())
        self._save(link, "link", f"{command.cadre} → {target}")
        return link

    def record_visit(self, command: RecordVisit, actor: Actor) -> Visit:
        """走访 by a cadre linked to the enterprise on that day."""
        cadre = self._cadre(command.cadre)
        uscc = validate_uscc(command.uscc)
        link = self.ledger.find(
            link_id(command.cadre, TargetKind.ENTERPRISE.value, uscc), Link
        )
        visit = Visit.record(
            replace(command, uscc=uscc), uuid4(), cadre.unit, link, actor, self.now()
        )
        self.ledger.save(visit)
        return visit

    def visit(self, visit_id: UUID) -> Visit:
        found = self.ledger.find(visit_id, Visit)
        if found is None:
            raise RecordNotFound("visit", str(visit_id))
        return found

    def file_from_visit(
        self, visit_id: UUID, command: cmd.Receive, actor: Actor
    ) -> CommandResult:
        """A problem found on the visit, filed as an appeal (channel
        ``visit``) and recorded on the visit in the same transaction."""
        visit = self.visit(visit_id)
        if validate_uscc(command.uscc) != visit.uscc:
            raise InvalidField(
                "uscc", f"须为走访企业 must be the visited enterprise {visit.uscc}"
            )

        def raised(appeal: Appeal, at: datetime) -> list[Any]:
            fresh = self.visit(visit_id)  # drawn afresh for each attempt
            fresh.raise_problem(appeal.id, appeal.ticket, actor, at)
            return [fresh]

        return self.ledger.receive_appeal(
            replace(command, channel=Channel.VISIT),
            actor,
            visit=(visit.id, visit.unit),
            with_records=raised,
        )

    def profile(self, uscc: str) -> dict[str, Any]:
        """An enterprise's 挂钩服务: service list, linked cadres, projects,
        recent visits and its task force (if one is in place)."""
        today = self.now().astimezone(SHANGHAI).date()
        _, found = view.profile_of(self.ledger.database, uscc, today)
        enterprise = self.registry.enterprise(uscc)
        force = self.ledger.find(task_force_id(uscc, None), TaskForce)
        return {
            "service_list": None if enterprise is None else enterprise.service_list,
            **found,
            "task_force": None
            if force is None or not force.active
            else {
                "id": str(force.id),
                "name": force.name,
                "lead": force.lead,
                "members": force.members,
            },
        }

    # ---- helpers ---------------------------------------------------------------

    def now(self) -> datetime:
        return self.ledger.clock.now()

    def _cadre(self, code: str) -> Any:
        cadre = self.registry.cadre(code)
        if cadre is None or cadre.retired:
            raise InvalidField(
                "cadre",
                f"干部 '{code}' 未登记或已停用 is not a registered, active cadre",
            )
        return cadre

    def _enterprise(self, uscc: str) -> str:
        code = validate_uscc(uscc)
        if self.registry.enterprise(code) is None:
            raise InvalidField("uscc", f"企业 {code} 未登记 is not registered")
        return code

    def _save(self, record: Any, kind: str, what: str) -> None:
        try:
            self.ledger.save(record)
        except IntegrityError:
            raise CommandNotAllowed(
                "register",
                "conflict",
                f"{kind} {what} was changed at the same time; retry",
            ) from None
