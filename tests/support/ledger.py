"""Givens on a real ledger shared by store-level tests: an appeal five events
into its life, and direct SQL on the events table (what a tamperer would run).
A received appeal is ``tests.builders.receive``."""

from __future__ import annotations

from uuid import UUID

from appeals.application.service import AppealLedger
from appeals.domain import commands as cmd
from tests.builders import receive
from tests.domain.lifecycle_fixtures import DISPATCHER, HANDLER, SUPERVISOR, UNIT


def five_events(ledger: AppealLedger) -> UUID:
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    ledger.execute(appeal_id, cmd.Accept(), HANDLER)
    ledger.execute(appeal_id, cmd.NoteProgress(note="已约谈企业"), HANDLER)
    ledger.execute(appeal_id, cmd.Supervise(level=1, note="请加快"), SUPERVISOR)
    return appeal_id


def run_sql(ledger: AppealLedger, statement: str, *params: object) -> None:
    table = ledger.database.table(ledger.recorder.events_table_name)  # type: ignore[attr-defined]
    with ledger.database.transaction() as cursor:
        cursor.execute(statement.format(table=table), params)


def originator(ledger: AppealLedger, appeal_id: UUID) -> object:
    return appeal_id.hex if ledger.database.engine == "sqlite" else appeal_id
