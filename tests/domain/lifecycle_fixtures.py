"""Given-when-then helpers for pure domain tests: appeals in every status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import uuid4

from appeals.domain.appeal import Appeal
from appeals.domain.commands import (
    Accept,
    Assign,
    Close,
    Evaluate,
    Merge,
    Receive,
    Reply,
    Resolve,
    Withdraw,
)
from appeals.domain.events import Event
from appeals.domain.values import (
    Category,
    Channel,
    Outcome,
    Priority,
    Satisfaction,
)
from appeals.infra.clock import SHANGHAI
from tests.builders import (
    ADMIN,
    AUDITOR,
    CADRE,
    CALENDAR_2026,
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    INTAKE,
    OTHER_ENTERPRISE,
    OTHER_HANDLER,
    OTHER_USCC,
    RULES,
    SUPERVISOR,
    T0,
    TK,
    UNIT,
    USCC,
    at,
    given,
    when,
)

__all__ = [  # the givens' cast (tests/builders.py), imported from here too
    "ADMIN",
    "AUDITOR",
    "CALENDAR_2026",
    "DISPATCHER",
    "ENTERPRISE",
    "HANDLER",
    "INTAKE",
    "OTHER_ENTERPRISE",
    "OTHER_HANDLER",
    "OTHER_USCC",
    "SUPERVISOR",
    "T0",
    "TK",
    "UNIT",
    "USCC",
    "at",
]


def received(*, collect: bool = True) -> Appeal:
    appeal = Appeal.receive(
        Receive(
            uscc=USCC,
            enterprise_name="苏州某某科技有限公司",
            channel=Channel.HOTLINE,
            category=Category.FINANCING,
            priority=Priority.NORMAL,
            title="贷款贴息政策咨询",
            description="企业申请科技贷款贴息，材料已提交两周未有回复。",
            contact="王经理 138****0000",
            external_id="12345-0001",
        ),
        appeal_id=uuid4(),
        ticket="20261008-000001",
        actor=INTAKE,
        at=T0,
        rules=RULES,
    )
    if collect:
        appeal.collect_events()
    return appeal


def t(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def receive(at: datetime, priority: Priority = Priority.NORMAL) -> Appeal:
    return Appeal.receive(
        Receive(
            uscc=USCC,
            enterprise_name="张家港某某化工有限公司",
            channel=Channel.HOTLINE,
            category=Category.FINANCING,
            priority=priority,
            title="节前资金周转",
            description="",
        ),
        appeal_id=uuid4(),
        ticket="20260213-000001",
        actor=INTAKE,
        at=at,
        rules=RULES,
    )


Step = Callable[[Appeal], None]

STEPS: dict[str, Step] = {
    "assigned": lambda a: when(a, Assign(UNIT, CADRE), DISPATCHER, at(1)),
    "in_progress": lambda a: when(a, Accept(), HANDLER, at(2)),
    "resolved": lambda a: when(
        a, Resolve(Outcome.RESOLVED, "已办理贴息"), HANDLER, at(3)
    ),
    "replied": lambda a: when(a, Reply(Channel.HOTLINE, "已电话告知"), HANDLER, at(4)),
    "evaluated": lambda a: when(
        a, Evaluate(True, Satisfaction.SATISFIED, ""), ENTERPRISE, at(5)
    ),
    "closed": lambda a: when(a, Close("对账完成"), DISPATCHER, at(6)),
}
PATH = list(STEPS)


def appeal_in(status: str) -> Appeal:
    """A fresh appeal brought to ``status`` through the normal path: folded
    from the events those commands recorded, nothing pending."""
    appeal = given(history_in(status))
    assert appeal.status == status
    return appeal


def history_in(status: str) -> list[Event]:
    """The events that bring a fresh appeal to ``status`` (the normal path)."""
    appeal = received(collect=False)
    if status == "withdrawn":
        when(appeal, Withdraw("问题已自行解决"), ENTERPRISE, at(1))
    elif status == "merged":
        when(appeal, Merge(uuid4(), "与另一诉求重复"), DISPATCHER, at(1))
    elif status != "received":
        for step in PATH[: PATH.index(status) + 1]:
            STEPS[step](appeal)
    return appeal.collect_events()


ALL_STATUSES = [
    "received",
    "assigned",
    "in_progress",
    "resolved",
    "replied",
    "evaluated",
    "closed",
    "withdrawn",
    "merged",
]
