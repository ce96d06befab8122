"""The composition root creates every table once, in one place, and opens a
ledger that creates none, on SQLite and PostgreSQL."""

from __future__ import annotations

from appeals.bootstrap import create_storage, events_of, open_ledger
from appeals.infra.checkpoints import CheckpointStore
from appeals.infra.clock import FixedClock
from appeals.infra.settings import Settings
from appeals.infra.tokens import TokenStore
from appeals.projections.runtime.storage import LIVE
from appeals.projections.runtime.tracking import Tracking
from tests.support.views import PROJECTIONS


def test_storage_is_created_once_and_again_changes_nothing(
    settings: Settings, clock: FixedClock
) -> None:
    create_storage(settings)
    create_storage(settings)  # idempotent: a second process finds it done
    with open_ledger(settings, clock=clock, storage_ready=True) as ledger:
        database = events_of(ledger).database
        tracked = {(t.projection, t.target) for t in Tracking(database).all()}
        assert tracked == {(p.name, LIVE) for p in PROJECTIONS}
        assert CheckpointStore(database).all() == []
        assert TokenStore(database).list() == []
        assert ledger.calendars.load() == ()
