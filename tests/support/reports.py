"""Givens shared by the report tests: appeals received and moved through
their stages on a test ledger, and the views brought up to the log's head."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx

from appeals.application.service import AppealLedger
from appeals.bootstrap import events_of
from appeals.domain import commands as cmd
from appeals.domain.values import Category, Channel, Outcome, Priority, Satisfaction
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.projections.runtime.runner import Runner
from tests.builders import CADRE, receive
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    INTAKE,
    UNIT,
    USCC,
)
from tests.support.views import PROJECTIONS


def appeal(ledger: AppealLedger, clock: FixedClock, **changes: Any) -> UUID:
    """A new appeal, received a minute after the previous one."""
    clock.advance(timedelta(minutes=1))
    fields: dict[str, Any] = {
        "uscc": USCC,
        "enterprise_name": "苏州工业园区某某生物医药有限公司",
        "channel": Channel.HOTLINE,
        "category": Category.FINANCING,
        "priority": Priority.NORMAL,
        "title": "流动资金贷款续贷",
        **changes,
    }
    return ledger.receive_appeal(cmd.Receive(**fields), INTAKE).appeal_id


def closed_after_evaluation(
    ledger: AppealLedger, appeal_id: UUID, satisfaction: Satisfaction
) -> None:
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT, cadre=CADRE), DISPATCHER)
    ledger.execute(appeal_id, cmd.Accept(), HANDLER)
    ledger.execute(
        appeal_id, cmd.Resolve(outcome=Outcome.RESOLVED, result="已办结"), HANDLER
    )
    ledger.execute(
        appeal_id, cmd.Reply(channel=Channel.HOTLINE, content="已告知"), HANDLER
    )
    ledger.execute(
        appeal_id, cmd.Evaluate(resolved=True, satisfaction=satisfaction), ENTERPRISE
    )
    ledger.execute(appeal_id, cmd.Close(note="对账完成"), DISPATCHER)


def project(ledger: AppealLedger) -> int:
    """Brings every view up to the log's head (what the worker does)."""
    for projection in PROJECTIONS:
        runner = Runner(events_of(ledger), projection)
        runner.prepare()
        runner.catch_up()
    return ledger.recorder.max_notification_id() or 0


async def list_ids(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[str]:
    response = await client.get("/appeals", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def at(clock: FixedClock, month: int, day: int, hour: int, minute: int = 0) -> None:
    clock.set(datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI))


def assigned(ledger: AppealLedger, clock: FixedClock, day: int) -> UUID:
    """Received and assigned on a September working day at 10:00."""
    at(clock, 9, day, 10)
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT, cadre=CADRE), DISPATCHER)
    return appeal_id


def history(ledger: AppealLedger, clock: FixedClock) -> dict[str, UUID]:
    """Three appeals assigned Mon 14 Sep 2026: one done on time and judged
    satisfied, one accepted late and left unresolved, one never accepted."""
    done, slow, idle = (assigned(ledger, clock, 14) for _ in range(3))
    at(clock, 9, 14, 11)
    ledger.execute(done, cmd.Accept(), HANDLER)
    ledger.execute(done, cmd.NoteProgress(note="已联系"), HANDLER)
    at(clock, 9, 15, 10)
    ledger.execute(done, cmd.Resolve(outcome=Outcome.RESOLVED, result="已办"), HANDLER)
    ledger.execute(done, cmd.Reply(channel=Channel.HOTLINE, content="已告知"), HANDLER)
    at(clock, 9, 16, 10)
    ledger.execute(
        done,
        cmd.Evaluate(resolved=True, satisfaction=Satisfaction.SATISFIED),
        ENTERPRISE,
    )
    at(clock, 9, 16, 11)
    ledger.execute(slow, cmd.Accept(), HANDLER)  # due 15 Sep 10:00
    return {"done": done, "slow": slow, "idle": idle}
