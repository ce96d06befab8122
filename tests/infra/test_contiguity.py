"""The store refuses an event whose predecessor is not stored (a deleted
newest event must not leave a hole a cached appeal writes after)."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from appeals.application.service import AppealLedger
from tests.support.stored_events import probe_event as stored


def test_an_event_after_a_missing_version_is_refused(ledger: AppealLedger) -> None:
    originator = uuid4()
    ledger.recorder.insert_events([stored(originator, 1)])
    with pytest.raises(IntegrityError):
        ledger.recorder.insert_events([stored(originator, 3)])
    with pytest.raises(IntegrityError):
        ledger.recorder.insert_events([stored(uuid4(), 2)])
    # Several versions in one save follow each other: accepted.
    ledger.recorder.insert_events([stored(originator, 2), stored(originator, 3)])
    found = ledger.recorder.select_events(originator)
    assert [e.originator_version for e in found] == [1, 2, 3]
