"""The composition root: settings in, a ready application out."""

from __future__ import annotations

from collections.abc import Mapping

from appeals.application import AppealLedger
from appeals.infra.clock import Clock
from appeals.infra.settings import Settings
from appeals.infra.store import eventsourcing_env, prepare_database


def open_ledger(settings: Settings, *, clock: Clock | None = None) -> AppealLedger:
    """Prepares the database (or raises ConfigurationError) and opens the ledger."""
    prepare_database(settings.database)
    return AppealLedger(
        eventsourcing_env(settings),
        clock=clock,
        max_reopens=settings.max_reopens,
        snapshot_interval=settings.snapshot_interval,
    )


def open_ledger_from_env(
    env: Mapping[str, str], *, clock: Clock | None = None
) -> AppealLedger:
    return open_ledger(Settings.from_env(env), clock=clock)
