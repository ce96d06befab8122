"""Task forces (专班) as a service: formed for a registered enterprise (or a
registered project of it) with registered, active cadres of several units,
disbanded when done, and their board: the enterprise's appeals with their
progress (实时统计问题化解进度), read from the appeal list and overdue views.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.domain.errors import CommandNotAllowed, InvalidField
from appeals.domain.organisation import RecordNotFound
from appeals.domain.service_links import Project, project_id
from appeals.domain.task_forces import (
    DisbandTaskForce,
    FormTaskForce,
    TaskForce,
    task_force_id,
)
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import Actor
from appeals.projections import appeal_list, overdue
from appeals.projections.lifecycle import is_open

BOARD_LIMIT = 500


class TaskForces:
    """The task forces of one ledger."""

    def __init__(self, ledger: AppealLedger) -> None:
        self.ledger = ledger
        self.registry = Registry(ledger)

    def form(self, command: FormTaskForce, actor: Actor) -> TaskForce:
        uscc = validate_uscc(command.uscc)
        if self.registry.enterprise(uscc) is None:
            raise InvalidField("uscc", f"企业 {uscc} 未登记 is not registered")
        if command.project is not None:
            project = self.ledger.find(project_id(command.project), Project)
            if project is None or project.uscc != uscc:
                raise InvalidField("project", f"{command.project} 不是该企业的项目")
        units = []
        for code in (command.lead, *command.members):
            cadre = self.registry.cadre(code)
            if cadre is None or cadre.retired:
                field = "lead" if code == command.lead else "members"
                raise InvalidField(field, f"干部 '{code}' 未登记或已停用 is not active")
            units.append(cadre.unit)
        command = replace(command, uscc=uscc)
        existing = self.ledger.find(task_force_id(uscc, command.project), TaskForce)
        now = self.ledger.clock.now()
        if existing is None:
            force = TaskForce.form(command, units, actor, now)
        else:
            existing.reform(command, units, actor, now)
            force = existing
        self._save(force)
        return force

    def disband(
        self, force_id: UUID, command: DisbandTaskForce, actor: Actor
    ) -> TaskForce:
        force = self.task_force(force_id)
        force.disband(command, actor, self.ledger.clock.now())
        self._save(force)
        return force

    def task_force(self, force_id: UUID) -> TaskForce:
        found = self.ledger.find(force_id, TaskForce)
        if not isinstance(found, TaskForce):
            raise RecordNotFound("task_force", str(force_id))
        return found

    def board(self, force_id: UUID) -> tuple[int, dict[str, Any]]:
        """The enterprise's appeals and their progress: how many, by status,
        open, overdue now, done (closed)."""
        force = self.task_force(force_id)
        query = appeal_list.ListQuery(equals=(("uscc", force.uscc),), limit=BOARD_LIMIT)
        seen, rows = appeal_list.read_page(self.ledger.database, query)
        rows = rows[:BOARD_LIMIT]
        late = overdue.count_appeals(
            self.ledger.database, self.ledger.clock.now(), force.uscc
        )
        statuses = Counter(row["status"] for row in rows)
        open_rows = [row for row in rows if is_open(row["status"])]
        progress = {
            "appeals": len(rows),
            "open": len(open_rows),
            "overdue": late,
            "closed": statuses.get("closed", 0),
            "by_status": dict(sorted(statuses.items())),
            "resolved_share": None
            if not rows
            else (len(rows) - len(open_rows)) / len(rows),
        }
        items = [
            {k: row[k] for k in ("appeal_id", "ticket", "title", "status", "unit")}
            for row in open_rows
        ]
        return seen, {"progress": progress, "open_appeals": items}

    def _save(self, force: TaskForce) -> None:
        try:
            self.ledger.save(force)
        except IntegrityError:
            raise CommandNotAllowed(
                "form_task_force", "changed", "changed at the same time; retry"
            ) from None
