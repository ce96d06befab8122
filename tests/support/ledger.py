"""Givens on a real ledger shared by store-level tests: a received appeal,
an appeal five events into its life, and direct SQL on the events table
(what a tamperer would run)."""

from __future__ import annotations

from uuid import UUID

from appeals.application.service import AppealLedger, CommandResult
from appeals.domain.values import Category, Channel, Priority
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    HANDLER,
    INTAKE,
    SUPERVISOR,
    UNIT,
    USCC,
)


def receive(
    ledger: AppealLedger, external_id: str | None = None, title: str = "融资需求"
) -> CommandResult:
    return ledger.receive(
        INTAKE,
        uscc=USCC,
        enterprise_name="张家港某某纺织有限公司",
        channel=Channel.HOTLINE,
        category=Category.FINANCING,
        priority=Priority.NORMAL,
        title=title,
        description="企业反映：流动资金贷款审批超过一个月仍无进展。\n请协调。",
        external_id=external_id,
    )


def five_events(ledger: AppealLedger) -> UUID:
    appeal_id = receive(ledger).appeal_id
    ledger.assign(appeal_id, DISPATCHER, unit=UNIT)
    ledger.accept(appeal_id, HANDLER)
    ledger.note_progress(appeal_id, HANDLER, note="已约谈企业")
    ledger.supervise(appeal_id, SUPERVISOR, level=1, note="请加快")
    return appeal_id


def run_sql(ledger: AppealLedger, statement: str, *params: object) -> None:
    table = ledger.database.table(ledger.recorder.events_table_name)  # type: ignore[attr-defined]
    with ledger.database.transaction() as cursor:
        cursor.execute(statement.format(table=table), params)


def originator(ledger: AppealLedger, appeal_id: UUID) -> object:
    return appeal_id.hex if ledger.database.engine == "sqlite" else appeal_id
