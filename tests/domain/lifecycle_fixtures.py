"""Given-when-then helpers for pure domain tests: appeals in every status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from uuid import uuid4

from appeals.domain.appeal import Appeal
from appeals.domain.deadlines import Timekeeping
from appeals.domain.values import (
    Actor,
    Category,
    Channel,
    Outcome,
    Priority,
    Role,
    Satisfaction,
)
from appeals.domain.working_time import WorkingCalendar
from appeals.infra.clock import SHANGHAI

# 2026 as the State Council published it (国办发明电〔2025〕7号): Spring Festival
# 15-23 February with make-up Saturdays 14 and 28 February; National Day and
# Mid-Autumn 1-7 October with make-up Sunday 20 September and Saturday 10 October.
CALENDAR_2026 = WorkingCalendar(
    holidays=frozenset(
        [date(2026, 1, 1), date(2026, 1, 2)]
        + [date(2026, 2, d) for d in range(15, 24)]
        + [date(2026, 4, 6)]
        + [date(2026, 5, d) for d in range(1, 6)]
        + [date(2026, 6, 19)]
        + [date(2026, 9, 25)]
        + [date(2026, 10, d) for d in range(1, 8)]
    ),
    makeup_workdays=frozenset(
        [
            date(2026, 1, 4),
            date(2026, 2, 14),
            date(2026, 2, 28),
            date(2026, 5, 9),
            date(2026, 9, 20),
            date(2026, 10, 10),
        ]
    ),
    years=range(2026, 2027),
)
TK = Timekeeping(CALENDAR_2026)

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
        appeal_id=uuid4(),
        ticket="20261008-000001",
        actor=INTAKE,
        at=T0,
        uscc=USCC,
        enterprise_name="苏州某某科技有限公司",
        channel=Channel.HOTLINE,
        category=Category.FINANCING,
        priority=Priority.NORMAL,
        title="贷款贴息政策咨询",
        description="企业申请科技贷款贴息，材料已提交两周未有回复。",
        contact="王经理 138****0000",
        external_id="12345-0001",
        tk=TK,
    )
    if collect:
        appeal.collect_events()
    return appeal


Step = Callable[[Appeal], None]

STEPS: dict[str, Step] = {
    "assigned": lambda a: a.assign(DISPATCHER, at(1), UNIT, "张三", TK),
    "in_progress": lambda a: a.accept(HANDLER, at(2)),
    "resolved": lambda a: a.resolve(HANDLER, at(3), Outcome.RESOLVED, "已办理贴息", TK),
    "replied": lambda a: a.reply(HANDLER, at(4), Channel.HOTLINE, "已电话告知", TK),
    "evaluated": lambda a: a.evaluate(
        ENTERPRISE, at(5), True, Satisfaction.SATISFIED, "", TK
    ),
    "closed": lambda a: a.close(DISPATCHER, at(6), "对账完成"),
}
PATH = list(STEPS)


def appeal_in(status: str) -> Appeal:
    """A fresh appeal brought to ``status`` through the normal path."""
    appeal = received()
    if status == "received":
        return appeal
    if status == "withdrawn":
        appeal.withdraw(ENTERPRISE, at(1), "问题已自行解决")
    elif status == "merged":
        appeal.merge_into(DISPATCHER, at(1), uuid4(), "与另一诉求重复")
    else:
        for step in PATH[: PATH.index(status) + 1]:
            STEPS[step](appeal)
    appeal.collect_events()
    assert appeal.status == status
    return appeal


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
