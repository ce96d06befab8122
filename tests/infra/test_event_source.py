"""The event source: the log as the ledger wrote it, read and decoded without
the application that takes commands, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from appeals.application.service import AppealLedger
from appeals.bootstrap import events_of
from appeals.infra.event_source import open_event_source
from appeals.infra.settings import Settings
from tests.builders import receive


def test_an_opened_source_reads_what_the_ledger_wrote(
    ledger: AppealLedger, settings: Settings
) -> None:
    for _ in range(3):
        receive(ledger)
    shared = events_of(ledger)
    with open_event_source(settings) as source:
        assert source.head() == shared.head() == ledger.recorder.max_notification_id()
        read = source.read(1, 100)
        assert [n.id for n in read] == [n.id for n in shared.read(1, 100)]
        assert [source.decode(n) for n in read] == [shared.decode(n) for n in read]
        assert source.read(source.head() + 1, 10) == []


@pytest.mark.empty_organisation
def test_a_source_on_an_empty_log_is_at_position_zero(
    ledger: AppealLedger, settings: Settings
) -> None:
    with open_event_source(settings) as source:
        assert source.head() == 0
        assert source.read(1, 10) == []
