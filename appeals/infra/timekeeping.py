"""The timekeeping the settings name: office hours, the SLA policy file and
the official calendar with the operator's loaded schedules on top."""

from __future__ import annotations

from appeals.domain.deadlines import Timekeeping
from appeals.domain.sla import SlaPolicy
from appeals.domain.working_time import OfficeHours
from appeals.infra.calendar_data import build_calendar
from appeals.infra.calendar_store import CalendarStore
from appeals.infra.database import Database
from appeals.infra.settings import ConfigurationError, Settings
from appeals.infra.sla_policy import PolicyFileError, load_policy


def office_hours(settings: Settings) -> OfficeHours:
    try:
        return OfficeHours.parse(*settings.office_hours)
    except ValueError as error:
        raise ConfigurationError(f"APPEALS_OFFICE_HOURS: {error}") from None


def sla_policy(settings: Settings) -> SlaPolicy:
    try:
        if settings.sla_policy_file:
            return load_policy(settings.sla_policy_file)
        return load_policy()
    except (OSError, PolicyFileError) as error:
        raise ConfigurationError(f"APPEALS_SLA_POLICY: {error}") from None


def load_timekeeping(settings: Settings, database: Database) -> Timekeeping:
    """What the ledger decides deadlines with, for readers of the log."""
    calendar = build_calendar(office_hours(settings), CalendarStore(database).load())
    return Timekeeping(calendar, sla_policy(settings))
