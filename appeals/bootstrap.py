"""The composition root: settings in, a ready application out."""

from __future__ import annotations

from collections.abc import Mapping

from appeals.application.service import AppealLedger
from appeals.domain.working_time import OfficeHours
from appeals.infra.clock import Clock
from appeals.infra.settings import ConfigurationError, Settings
from appeals.infra.sla_policy import PolicyFileError, load_policy
from appeals.infra.store import eventsourcing_env, prepare_database


def open_ledger(settings: Settings, *, clock: Clock | None = None) -> AppealLedger:
    """Prepares the database (or raises ConfigurationError) and opens the ledger."""
    try:
        office_hours = OfficeHours.parse(*settings.office_hours)
    except ValueError as error:
        raise ConfigurationError(f"APPEALS_OFFICE_HOURS: {error}") from None
    try:
        policy = (
            load_policy(settings.sla_policy_file)
            if settings.sla_policy_file
            else load_policy()
        )
    except (OSError, PolicyFileError) as error:
        raise ConfigurationError(f"APPEALS_SLA_POLICY: {error}") from None
    prepare_database(settings.database)
    return AppealLedger(
        eventsourcing_env(settings),
        clock=clock,
        max_reopens=settings.max_reopens,
        snapshot_interval=settings.snapshot_interval,
        policy=policy,
        office_hours=office_hours,
        create_tables=settings.create_tables,
    )


def open_ledger_from_env(
    env: Mapping[str, str], *, clock: Clock | None = None
) -> AppealLedger:
    return open_ledger(Settings.from_env(env), clock=clock)
