"""挂钩服务 in the demo: each registered enterprise linked to a liaison cadre
(挂钩干部, 联络专员) or deputy from the first day, visited once or twice in most
months, one task force (专班) per key enterprise (重点核心), and the appeals
the demo receives through the visit channel filed from a visit by the linked
cadre's unit."""

from __future__ import annotations

import csv
from contextlib import suppress
from datetime import date
from random import Random

from appeals.application.service import AppealLedger, CommandResult
from appeals.application.service_links import ServiceLinks
from appeals.application.task_forces import TaskForces
from appeals.demo.organisation import DATA, REGISTRAR
from appeals.domain import commands as cmd
from appeals.domain.errors import AppealError
from appeals.domain.service_links import LinkCadre, LinkRole, RecordVisit, VisitMode
from appeals.domain.task_forces import FormTaskForce
from appeals.domain.values import Actor, Channel, Role
from appeals.infra.clock import SHANGHAI

ROLES = {
    "liaison_cadre": LinkRole.LINKED_CADRE,
    "liaison_officer": LinkRole.LIAISON_OFFICER,
    "deputy": LinkRole.DEPUTY,
}
FINDINGS = (
    "企业生产经营正常，了解扩产用地需求。",
    "企业反映招工难，已记录用工需求。",
    "走访了解企业技改项目进展，暂无新问题。",
    "企业咨询研发费用加计扣除政策，已现场解答。",
    "企业反映园区道路施工影响物流，已记录。",
)


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


class DemoService:
    """Links, visits and task forces of the demo, driven by its clock."""

    def __init__(self, ledger: AppealLedger, start: date, seed: int) -> None:
        self.ledger, self.start = ledger, start
        self.rng = Random(seed)  # noqa: S311 (synthetic data, not security)
        self.links = ServiceLinks(ledger)
        self.linked: dict[str, tuple[str, str]] = {}  # uscc -> (cadre, unit)
        self.visits: dict[tuple[str, str], set[int]] = {}  # (uscc, month) -> days
        self.counts = {"visits": 0, "raised": 0, "task_forces": 0}

    def ensure_linked(self) -> None:
        """Links every registered enterprise (once), round robin over the
        liaison cadres, and forms a task force per key enterprise."""
        if self.linked:
            return
        liaisons = [
            (row["code"], row["unit"], ROLES[role])
            for row in _rows("cadres.csv")
            for role in row["roles"].split(";")
            if role in ROLES
        ]
        enterprises = _rows("enterprises.csv")
        for n, row in enumerate(enterprises):
            cadre, unit, role = liaisons[n % len(liaisons)]
            command = LinkCadre(cadre, self.start, uscc=row["uscc"], role=role)
            with suppress(AppealError):  # linked by an earlier run
                self.links.link(command, REGISTRAR)
            self.linked[row["uscc"]] = (cadre, unit)
        self._task_forces(enterprises, [c for c, _, _ in liaisons])

    def _task_forces(
        self, enterprises: list[dict[str, str]], cadres: list[str]
    ) -> None:
        forces = TaskForces(self.ledger)
        for row in enterprises:
            if row.get("service_list") != "key_core":
                continue
            lead, _ = self.linked[row["uscc"]]
            members = tuple(self.rng.sample([c for c in cadres if c != lead], 2))
            command = FormTaskForce(
                name=f"{row['name']}专班",
                uscc=row["uscc"],
                lead=lead,
                members=members,
                formed_on=self.start,
            )
            with suppress(AppealError):  # formed by an earlier run
                forces.form(command, REGISTRAR)
                self.counts["task_forces"] += 1

    def morning(self) -> None:
        """The day's planned visits (once or twice in most months)."""
        self.ensure_linked()
        today = self.ledger.clock.now().astimezone(SHANGHAI).date()
        for uscc, (cadre, unit) in self.linked.items():
            if today.day not in self._days(uscc, today):
                continue
            mode = self.rng.choice(
                (VisitMode.ON_SITE, VisitMode.ON_SITE, VisitMode.PHONE)
            )
            visit = RecordVisit(cadre, uscc, today, mode, self.rng.choice(FINDINGS))
            try:
                self.links.record_visit(visit, self._handler(unit))
            except AppealError:
                continue
            self.counts["visits"] += 1

    def _days(self, uscc: str, today: date) -> set[int]:
        key = (uscc, today.strftime("%Y-%m"))
        if key not in self.visits:
            count = self.rng.choices((0, 1, 2), (25, 55, 20))[0]
            self.visits[key] = set(self.rng.sample(range(2, 27), count))
        return self.visits[key]

    def receive(self, command: cmd.Receive, actor: Actor) -> CommandResult:
        """A visit-channel appeal of a linked enterprise is filed from a
        visit made today; any other is received as usual."""
        self.ensure_linked()
        linked = self.linked.get(command.uscc)
        if command.channel is not Channel.VISIT or linked is None:
            return self.ledger.receive_appeal(command, actor)
        cadre, unit = linked
        today = self.ledger.clock.now().astimezone(SHANGHAI).date()
        handler = self._handler(unit)
        findings = f"走访发现问题：{command.title}"
        visit = self.links.record_visit(
            RecordVisit(cadre, command.uscc, today, VisitMode.ON_SITE, findings),
            handler,
        )
        self.counts["visits"] += 1
        self.counts["raised"] += 1
        return self.links.file_from_visit(visit.id, command, handler)

    def describe(self) -> str:
        c = self.counts
        return (
            f"挂钩服务: {len(self.linked)} enterprises linked, {c['visits']} visits "
            f"({c['raised']} raised an appeal), {c['task_forces']} task forces"
        )

    @staticmethod
    def _handler(unit: str) -> Actor:
        return Actor(f"demo-{unit}", Role.HANDLER, f"{unit} 挂钩干部", unit=unit)
