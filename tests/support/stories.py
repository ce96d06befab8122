"""A story: one appeal's events told command by command through the domain
(the command table), for view tests that fold events without a database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from appeals.domain import commands as cmd
from appeals.domain.appeal import Appeal
from appeals.domain.values import (
    Actor,
    Category,
    Channel,
    Outcome,
    Priority,
    Satisfaction,
)
from tests.builders import CADRE, DIRECTORY, when
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    INTAKE,
    T0,
    TK,
    UNIT,
    USCC,
)

RULES = cmd.Rules(TK, directory=DIRECTORY)


class Story:
    """One appeal's events, told command by command, an hour apart."""

    def __init__(
        self,
        *,
        uscc: str = USCC,
        category: Category = Category.FINANCING,
        at: datetime = T0,
        name: str = "苏州某某科技有限公司",
    ) -> None:
        self.at = at
        self.appeal = Appeal.receive(
            cmd.Receive(
                uscc=uscc,
                enterprise_name=name,
                channel=Channel.HOTLINE,
                category=category,
                priority=Priority.NORMAL,
                title="贷款贴息政策咨询",
                description="企业申请科技贷款贴息。",
            ),
            appeal_id=uuid4(),
            ticket="20261009-000001",
            actor=INTAKE,
            at=at,
            rules=RULES,
        )

    @property
    def id(self) -> UUID:
        return self.appeal.id

    def then(self, actor: Actor, command: cmd.Command) -> Story:
        self.at += timedelta(hours=1)
        when(self.appeal, command, actor, self.at, RULES)
        return self

    def through(self, *statuses: str) -> Story:
        """Takes the normal path through ``statuses`` (as far as asked)."""
        path: dict[str, tuple[Actor, cmd.Command]] = {
            "assigned": (DISPATCHER, cmd.Assign(unit=UNIT, cadre=CADRE)),
            "in_progress": (HANDLER, cmd.Accept()),
            "resolved": (HANDLER, cmd.Resolve(Outcome.RESOLVED, "已办理")),
            "replied": (HANDLER, cmd.Reply(Channel.HOTLINE, "已电话告知")),
            "evaluated": (ENTERPRISE, cmd.Evaluate(True, Satisfaction.SATISFIED)),
            "closed": (DISPATCHER, cmd.Close("对账完成")),
        }
        for status in statuses:
            self.then(*path[status])
        return self

    def events(self) -> list[Any]:
        return list(self.appeal.collect_events())


FULL_PATH = ("assigned", "in_progress", "resolved", "replied", "evaluated", "closed")
