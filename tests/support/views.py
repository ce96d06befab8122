"""Every projection, built with the calendar and policy a test ledger uses."""

from __future__ import annotations

from appeals.domain.deadlines import Timekeeping
from appeals.infra.calendar_data import build_calendar
from appeals.projections.registry import projections

PROJECTIONS = projections(Timekeeping(build_calendar()))
