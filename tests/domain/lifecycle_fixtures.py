"""Given-when-then helpers for pure domain tests: appeals in every status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
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
from appeals.domain.values import (
    Actor,
    Category,
    Channel,
    Outcome,
    Priority,
    Role,
    Satisfaction,
)
from appeals.infra.clock import SHANGHAI
from tests.builders import CALENDAR_2026, RULES, TK, given, when

__all__ = ["CALENDAR_2026", "TK"]  # also imported from here by older tests

T0 = datetime(2026, 10, 9, 9, 12, tzinfo=SHANGHAI)
USCC = "91330100716105852F"
OTHER_USCC = "9144030071526726XG"
UNIT = "市人社局"

INTAKE = Actor("op-1", Role.INTAKE, "王受理")
DISPATCHER = Actor("disp-1", Role.DISPATCHER, "李派单")
HANDLER = Actor("h-1", Role.HANDLER, "张三", unit=UNIT)
OTHER_HANDLER = Actor("h-2", Role.HANDLER, "赵四", unit="市税务局")
SUPERVISOR = Actor("sup-1", Role.SUPERVISOR, "周督办")
ENTERPRISE = Actor("ent-1", Role.ENTERPRISE, "某某科技", uscc=USCC)
OTHER_ENTERPRISE = Actor("ent-2", Role.ENTERPRISE, "别家公司", uscc=OTHER_USCC)
AUDITOR = Actor("aud-1", Role.AUDITOR, "审计")
ADMIN = Actor("adm-1", Role.ADMIN, "管理员")


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


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


Step = Callable[[Appeal], None]

STEPS: dict[str, Step] = {
    "assigned": lambda a: when(a, Assign(UNIT, "张三"), DISPATCHER, at(1)),
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
    appeal = received(collect=False)
    if status == "withdrawn":
        when(appeal, Withdraw("问题已自行解决"), ENTERPRISE, at(1))
    elif status == "merged":
        when(appeal, Merge(uuid4(), "与另一诉求重复"), DISPATCHER, at(1))
    elif status != "received":
        for step in PATH[: PATH.index(status) + 1]:
            STEPS[step](appeal)
    given_appeal = given(appeal.collect_events())
    assert given_appeal.status == status
    return given_appeal


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
