"""Read-your-writes for reports: ``?position=N`` and ``Projection-Position``.

A command answers with the log ``position`` of its last event. A report asked
with ``?position=N`` waits (at most APPEALS_PROJECTION_WAIT_MS) until its
projection has taken the log up to N into account; if it has not by then, the
answer is a 503 problem with ``Retry-After`` rather than data that silently
lacks the caller's own write. Every report reads the projection's position
before its rows, so the rows reflect at least the position it reports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from appeals.http.context import context_of, ledger_of
from appeals.http.problems import HttpProblem
from appeals.http.requests import invalid
from appeals.infra.database import Database, Sql
from appeals.projections.runtime.model import Projection
from appeals.projections.runtime.runner import wait_for
from appeals.projections.runtime.storage import LIVE, transaction
from appeals.projections.runtime.tracking import Tracking

T = TypeVar("T")
POSITION_HEADER = "Projection-Position"


async def await_position(request: Request, projection: Projection) -> None:
    """Honours ``?position=N``: waits for the view, or raises a 503 problem."""
    raw = request.query_params.get("position")
    if raw is None:
        return
    if not raw.isdigit():
        raise invalid([{"field": "position", "reason": "must be a whole number"}])
    wanted = int(raw)
    settings = context_of(request).projection_settings
    tracking = Tracking(ledger_of(request).database)
    reached = await wait_for(tracking, projection.name, wanted, settings.max_wait)
    if reached < wanted:
        raise HttpProblem(
            503,
            "projection-behind",
            "The report is not up to date yet",
            f"{projection.name} has reached position {reached}, not {wanted}; "
            "retry shortly",
            headers={"Retry-After": "1", POSITION_HEADER: str(reached)},
            projection=projection.name,
            position=wanted,
            projection_position=reached,
        )


async def read(
    database: Database, projection: Projection, load: Callable[[Sql], T]
) -> tuple[int, T]:
    """The view's position, then what ``load`` reads (reflecting at least it)."""

    def run() -> tuple[int, T]:
        with transaction(database, write=False) as sql:
            position = Tracking(database).position_in(sql, projection.name, LIVE)
            return position, load(sql)

    return await run_in_threadpool(run)
