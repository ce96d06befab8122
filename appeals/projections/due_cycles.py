"""What the escalation scheduler asks the timeliness view: the running stage
cycles (evaluation windows and the centre's dispatch stage included) whose
deadline has passed, and those still ahead of their deadline not yet warned
of (预警). A reader only; the view is kept current by the projection
runtime."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from appeals.infra.database import Database, Sql
from appeals.projections import timeliness
from appeals.projections.lifecycle import read_instant
from appeals.projections.runtime.model import Projection
from appeals.projections.runtime.storage import LIVE, Copy, transaction


@dataclass(frozen=True)
class OpenCycle:
    """A running (open, not paused) stage cycle as the read model holds it."""

    appeal_id: UUID
    ticket: str
    stage: str
    due: datetime
    escalation_level: int | None


def due_cycles(
    database: Database, view: Projection, now: datetime, top_rung: int
) -> list[OpenCycle]:
    """The running cycles of the live timeliness ``view`` past their deadline
    and below the ladder's ``top_rung`` (``SlaPolicy.top_rung``)."""
    rows = _select(
        database,
        view,
        lambda sql, table, now: timeliness.select_due(sql, table, now, top_rung),
        now,
    )
    return [
        OpenCycle(
            appeal_id=UUID(appeal_id),
            ticket=ticket,
            stage=stage,
            due=read_instant(due),
            escalation_level=level,
        )
        for appeal_id, ticket, stage, due, level in rows
    ]


@dataclass(frozen=True)
class WarnableCycle:
    """A running cycle whose deadline is still ahead, not yet warned of."""

    appeal_id: UUID
    ticket: str
    stage: str
    started_at: datetime
    due: datetime
    paused_seconds: int


def warnable_cycles(
    database: Database, view: Projection, now: datetime
) -> list[WarnableCycle]:
    """The running cycles of the live timeliness ``view`` a warning may be due for."""
    rows = _select(database, view, timeliness.select_warnable, now)
    return [
        WarnableCycle(
            appeal_id=UUID(appeal_id),
            ticket=ticket,
            stage=stage,
            started_at=read_instant(started_at),
            due=read_instant(due),
            paused_seconds=paused,
        )
        for appeal_id, ticket, stage, started_at, due, paused in rows
    ]


Row = TypeVar("Row")


def _select(
    database: Database,
    view: Projection,
    select: Callable[[Sql, str, datetime], list[Row]],
    now: datetime,
) -> list[Row]:
    """``select`` over the live cycles table of the timeliness ``view``."""
    table = Copy(database, view, LIVE).qualified(timeliness.CYCLES)
    with transaction(database, write=False) as sql:
        return select(sql, table, now)
