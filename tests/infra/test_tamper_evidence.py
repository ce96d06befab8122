"""Tampering with stored events is detected, on SQLite and PostgreSQL: a
direct UPDATE of a payload, a deleted event and a swapped pair."""

from __future__ import annotations

from uuid import UUID

import pytest

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


def test_an_untouched_history_verifies_after_the_round_trip(
    ledger: AppealLedger,
) -> None:
    assert ledger.verify_appeal(five_events(ledger)) is None


def test_an_updated_payload_is_detected(ledger: AppealLedger) -> None:
    appeal_id = five_events(ledger)
    (stored,) = [
        e for e in ledger.recorder.select_events(appeal_id) if e.originator_version == 4
    ]
    forged = stored.state.replace("已约谈企业".encode(), "已办结".encode())
    run_sql(
        ledger,
        "UPDATE {table} SET state = ? "
        "WHERE originator_id = ? AND originator_version = 4",
        forged,
        originator(ledger, appeal_id),
    )
    broken = ledger.verify_appeal(appeal_id)
    assert broken is not None
    assert broken.version == 4


def test_a_deleted_event_is_detected(ledger: AppealLedger) -> None:
    appeal_id = five_events(ledger)
    run_sql(
        ledger,
        "DELETE FROM {table} WHERE originator_id = ? AND originator_version = 3",
        originator(ledger, appeal_id),
    )
    broken = ledger.verify_appeal(appeal_id)
    assert broken is not None
    assert broken.version == 3


@pytest.mark.parametrize("first", [2, 3])
def test_a_swapped_pair_is_detected(ledger: AppealLedger, first: int) -> None:
    appeal_id = five_events(ledger)
    key = originator(ledger, appeal_id)
    # Swap the contents of two versions, keeping their version numbers.
    run_sql(
        ledger,
        "UPDATE {table} SET originator_version = -1 "
        "WHERE originator_id = ? AND originator_version = ?",
        key,
        first,
    )
    run_sql(
        ledger,
        "UPDATE {table} SET originator_version = ? "
        "WHERE originator_id = ? AND originator_version = ?",
        first,
        key,
        first + 1,
    )
    run_sql(
        ledger,
        "UPDATE {table} SET originator_version = ? "
        "WHERE originator_id = ? AND originator_version = -1",
        first + 1,
        key,
    )
    broken = ledger.verify_appeal(appeal_id)
    assert broken is not None
    assert broken.version == first
