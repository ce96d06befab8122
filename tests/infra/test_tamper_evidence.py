"""Tampering with stored events is detected, on SQLite and PostgreSQL: a
direct UPDATE of a payload, a deleted event and a swapped pair; and after
the newest event was deleted, writes go on and verification reports it."""

from __future__ import annotations

import pytest

from appeals.application.audit import extend_checkpoints, verify_log
from appeals.application.service import AppealLedger
from appeals.domain import commands as cmd
from appeals.infra.checkpoints import CheckpointStore
from tests.builders import HANDLER, receive
from tests.support.ledger import five_events, originator, run_sql


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


def delete_newest_event(ledger: AppealLedger) -> int:
    """What a tamperer runs: the newest row of the log goes. Its position."""
    head = ledger.event_log.head()
    column = ledger.event_log.position_column
    run_sql(ledger, f"DELETE FROM {{table}} WHERE {column} = ?", head)
    assert ledger.event_log.head() < head
    return head


def test_writes_go_on_after_the_newest_event_was_deleted(
    ledger: AppealLedger,
) -> None:
    appeal_id = five_events(ledger)
    deleted = delete_newest_event(ledger)
    result = ledger.execute(appeal_id, cmd.NoteProgress(note="继续办理"), HANDLER)
    assert result.version == 5  # version 5 (the supervision) is gone
    assert receive(ledger).position is not None
    if ledger.database.engine == "sqlite":  # PostgreSQL's sequence never reuses
        assert result.position is not None
        assert result.position > deleted


def test_verify_reports_a_deleted_newest_event_after_later_writes(
    ledger: AppealLedger,
) -> None:
    """SQLite keeps a witness of every position it recorded; PostgreSQL needs
    a checkpoint taken before the deletion."""
    appeal_id = five_events(ledger)
    store = CheckpointStore(ledger.database)
    if ledger.database.engine == "postgres":
        extend_checkpoints(ledger.event_log, store, ledger.clock.now())
    deleted = delete_newest_event(ledger)
    ledger.execute(appeal_id, cmd.NoteProgress(note="继续办理"), HANDLER)
    result = verify_log(ledger.event_log, store.all())
    assert result.finding is not None
    assert result.finding.position == deleted
    assert str(deleted) in result.finding.describe()
