"""Test builders: givens from events, and commands decided the way the
application decides them (its command table), so tests take the path HTTP
takes.

Domain tests read given / when / then::

    appeal = given(*history)                      # folded from events
    when(appeal, Assign(unit=UNIT), DISPATCHER, at(1))
    assert [type(e) for e in appeal.collect_events()] == [Assigned]

Application and HTTP-level tests call ``ledger.receive_appeal(command, actor)``
and ``ledger.execute(appeal_id, command, actor)``: the very methods the HTTP
handlers call with the command they parsed from the body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from appeals.application.service import AppealLedger, CommandResult, decide
from appeals.domain.appeal import Appeal
from appeals.domain.commands import Command, Receive, Rules
from appeals.domain.deadlines import Timekeeping
from appeals.domain.directory import (
    CadreEntry,
    CatalogueEntry,
    InMemoryDirectory,
    UnitEntry,
)
from appeals.domain.events import Event
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.values import (
    Actor,
    Category,
    Channel,
    Priority,
    Role,
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
# The registered organisation the tests route through: the domain tests'
# in-memory DIRECTORY, and registered in every ledger fixture's store
# (tests.support.organisation). Codes, as the registries require.
UNIT = "SZ-RSJ"
TAX_UNIT = "SZ-SWJ"
MARKET_UNIT = "SZ-SCJGJ"
RETIRED_UNIT = "SZ-OLD"
CADRE = "C-ZHANGSAN"
TAX_CADRE = "C-LISI"
ITEM = "HR-007"
"""稳岗返还: routed to UNIT with TAX_UNIT co-handling; resolve within 3 days."""
ITEM_WITHOUT_ANSWER = "TAX-012"
RETIRED_ITEM = "HR-001"
LEADER = "C-ZHAOLIU"
"""UNIT's registered leader (分管领导): its supervision orders' addressee."""
DIRECTORY = InMemoryDirectory(
    units=[
        UnitEntry(CENTRE_UNIT, "12345热线中心", "12345 hotline centre", "centre"),
        UnitEntry(UNIT, "苏州市人力资源和社会保障局", "Suzhou HR and Social Security"),
        UnitEntry(TAX_UNIT, "国家税务总局苏州市税务局", "Suzhou Tax Bureau"),
        UnitEntry(MARKET_UNIT, "苏州市市场监督管理局", "Suzhou Market Regulation"),
        UnitEntry("SZ-TAX", "苏州市税务局园区分局", "SIP tax branch"),
        UnitEntry(RETIRED_UNIT, "苏州市经济和信息化委员会", retired=True),
    ],
    cadres=[
        CadreEntry(CADRE, "张三", UNIT, ("handler",)),
        CadreEntry(TAX_CADRE, "李四", TAX_UNIT, ("handler",)),
        CadreEntry("C-WANGWU", "王五", UNIT, ("handler",), retired=True),
        CadreEntry("C-ZHAOLIU", "赵六", UNIT, ("leader",)),
        CadreEntry("C-HEAD", "钱主任", CENTRE_UNIT, ("leader",)),
    ],
    items=[
        CatalogueEntry(
            ITEM,
            version=2,
            matter_zh="稳岗返还",
            kind="consult",
            category="labour",
            lead_unit=UNIT,
            co_units=(TAX_UNIT,),
            limits={"resolve": "3d"},
            standard_answer="稳岗返还实行免申即享，符合条件的企业无需申请，"
            "资金将直接拨付至社保缴费账户。",
        ),
        CatalogueEntry(
            ITEM_WITHOUT_ANSWER,
            version=1,
            matter_zh="留抵退税",
            kind="help",
            category="tax",
            lead_unit=TAX_UNIT,
        ),
        CatalogueEntry(
            RETIRED_ITEM,
            version=3,
            matter_zh="社保补贴（旧）",
            kind="consult",
            category="labour",
            lead_unit=UNIT,
            retired=True,
        ),
    ],
)
RULES = Rules(TK, directory=DIRECTORY)

INTAKE = Actor("op-1", Role.INTAKE, "王受理")
DISPATCHER = Actor("disp-1", Role.DISPATCHER, "李派单")
HANDLER = Actor("h-1", Role.HANDLER, "张三", unit=UNIT)
OTHER_HANDLER = Actor("h-2", Role.HANDLER, "赵四", unit=TAX_UNIT)
SUPERVISOR = Actor("sup-1", Role.SUPERVISOR, "周督办")
ENTERPRISE = Actor("ent-1", Role.ENTERPRISE, "某某科技", uscc=USCC)
OTHER_ENTERPRISE = Actor("ent-2", Role.ENTERPRISE, "别家公司", uscc=OTHER_USCC)
AUDITOR = Actor("aud-1", Role.AUDITOR, "审计")
ADMIN = Actor("adm-1", Role.ADMIN, "管理员")


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def given(*history: Event | Iterable[Event]) -> Appeal:
    """The appeal these events (or lists of them) leave behind, with nothing
    pending: the state a command meets when the application loads it."""
    appeal: Appeal | None = None
    for item in history:
        for event in [item] if isinstance(item, Event) else item:
            appeal = event.mutate(appeal)
    assert appeal is not None, "a history starts with Received"
    return appeal


def when(
    appeal: Appeal,
    command: Command,
    actor: Actor,
    at: datetime,
    rules: Rules = RULES,
) -> None:
    """Lets the aggregate decide ``command`` through the application's
    command table; the new events are pending on ``appeal``."""
    decide(appeal, command, actor, at, rules)


def receive(
    ledger: AppealLedger, external_id: str | None = None, title: str = "融资需求"
) -> CommandResult:
    """A new appeal received through the application, as HTTP receives one."""
    return ledger.receive_appeal(
        Receive(
            uscc=USCC,
            enterprise_name="张家港某某纺织有限公司",
            channel=Channel.HOTLINE,
            category=Category.FINANCING,
            priority=Priority.NORMAL,
            title=title,
            description="企业反映：流动资金贷款审批超过一个月仍无进展。\n请协调。",
            external_id=external_id,
        ),
        INTAKE,
    )


# ---- over HTTP ---------------------------------------------------------------

RECEIPT = {
    "uscc": USCC,
    "enterprise_name": "苏州工业园区某某生物医药有限公司",
    "channel": "hotline",
    "category": "permits",
    "priority": "urgent",
    "title": "药品生产许可证变更审批进度",
    "description": "企业反映许可证变更申请已提交20个工作日，仍未受理。",
    "external_id": "12345-2026-0099001",
}


async def post(
    client: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    return await client.post(path, json=body, headers=headers)


async def run(
    client: httpx.AsyncClient,
    auth: Callable[[str], dict[str, str]],
    appeal: str,
    who: str,
    name: str,
    **body: Any,
) -> dict[str, Any]:
    """``POST /appeals/{appeal}/{name}`` as ``who``, which must succeed; the
    appeal as the command left it."""
    response = await post(client, f"/appeals/{appeal}/{name}", body, auth(who))
    assert response.status_code == 200, (name, response.text)
    result: dict[str, Any] = response.json()
    return result


async def received(
    client: httpx.AsyncClient, auth: Callable[[str], dict[str, str]], **changes: Any
) -> str:
    """A new appeal received over HTTP (``POST /appeals``); its id."""
    response = await post(client, "/appeals", {**RECEIPT, **changes}, auth("intake"))
    assert response.status_code == 201, response.text
    appeal_id: str = response.json()["id"]
    return appeal_id


def log_position(ledger: AppealLedger) -> int:
    return ledger.recorder.max_notification_id() or 0
