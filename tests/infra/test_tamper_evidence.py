"""Tampering with stored events is detected, on SQLite and PostgreSQL: a
direct UPDATE of a payload, a deleted event and a swapped pair."""

from __future__ import annotations

import pytest

from appeals.application.service import AppealLedger
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
