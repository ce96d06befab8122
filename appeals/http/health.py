"""Liveness and readiness: is the process up, does the database answer, how
far behind the log is each view.

``/healthz`` touches nothing but the event loop, so it answers at once even
while the database is down. ``/readyz`` opens one new connection and reads
the events table on threads of its own (the request threadpool may be full of
requests waiting for the database), and answers 503 after
``READY_TIMEOUT`` seconds at most. Then it reads every view's position
against the log's head: a view more than ``APPEALS_READY_MAX_LAG`` events
behind, or stopped at an event it cannot apply, makes the answer
``"status": "degraded"`` with the figures, still 200. A lagging view slows
reports and ``?position=`` waits, not commands; and every API process reads
the same views, so a 503 would take all of them out of a load balancer's
rotation at once for what one projection worker can mend
(docs/observability.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from appeals.http.context import ledger_of
from appeals.http.responses import OrjsonResponse
from appeals.infra.availability import RETRY_AFTER_SECONDS
from appeals.infra.event_source import EventSource
from appeals.projections.runtime.storage import LIVE
from appeals.projections.runtime.tracking import Tracking

READY_TIMEOUT = 0.8
"""Seconds ``/readyz`` waits for the database before answering 503."""

FIGURES_TIMEOUT = 0.2
"""Seconds at least that ``/readyz`` gives the views' figures after the
probe answered."""

_PROBES = anyio.CapacityLimiter(4)


@dataclass(frozen=True)
class Watch:
    """What readiness and the metrics read figures from, set by the app's
    lifespan: the log, the names of the views and the lag allowed."""

    source: EventSource
    views: tuple[str, ...]
    max_lag: int


def watch_of(request: Request) -> Watch:
    watch: Watch = request.app.state.watch
    return watch


@dataclass(frozen=True)
class ViewLag:
    """One view's live copy against the log's head."""

    name: str
    position: int
    lag: int
    """Positions behind the head (on PostgreSQL a position a rolled-back
    transaction skipped counts too)."""
    error_position: int | None
    """The event the view stopped at, if it failed to apply one."""


def view_lags(watch: Watch) -> tuple[int, list[ViewLag]]:
    """The log's head and every view's lag behind it (a view with no
    tracking row yet is at position 0)."""
    head = watch.source.head()
    tracked = {
        row.projection: row
        for row in Tracking(watch.source.database).all()
        if row.target == LIVE
    }
    lags = []
    for name in watch.views:
        row = tracked.get(name)
        position = 0 if row is None else row.position
        failure = None if row is None else row.failure
        lags.append(
            ViewLag(
                name,
                position,
                max(0, head - position),
                None if failure is None else failure.position,
            )
        )
    return head, lags


async def healthz(request: Request) -> Response:
    """The process is up."""
    return OrjsonResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """The database answers a new connection (else 503); ``degraded`` when a
    view is further behind than allowed or has stopped."""
    ledger = ledger_of(request)
    events_table: str = getattr(ledger.recorder, "events_table_name")  # noqa: B009
    reason = "timeout"
    answered = False
    with anyio.move_on_after(READY_TIMEOUT) as scope:
        try:
            await anyio.to_thread.run_sync(
                ledger.database.probe,
                READY_TIMEOUT,
                events_table,
                abandon_on_cancel=True,
                limiter=_PROBES,
            )
        except Exception as error:  # any failure means not ready
            reason = type(error).__name__
        else:
            answered = True
    if answered:
        left = scope.deadline - anyio.current_time()
        return await _ready(watch_of(request), max(left, FIGURES_TIMEOUT))
    return OrjsonResponse(
        {"status": "unavailable", "reason": reason},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _ready(watch: Watch, timeout: float) -> Response:
    """200 ready or degraded, with every view's lag; ``views`` is null when
    the figures could not be read in time (the pool busy): the store
    answered, so the process stays ready."""
    figures: tuple[int, list[ViewLag]] | None = None
    with anyio.move_on_after(timeout):
        try:
            figures = await anyio.to_thread.run_sync(
                view_lags, watch, abandon_on_cancel=True, limiter=_PROBES
            )
        except Exception:  # the probe answered; figures are a bonus
            figures = None
    if figures is None:
        return OrjsonResponse(
            {"status": "ready", "max_lag": watch.max_lag, "views": None}
        )
    head, lags = figures
    behind = [lag.name for lag in lags if lag.lag > watch.max_lag]
    failed = [lag.name for lag in lags if lag.error_position is not None]
    body: dict[str, object] = {
        "status": "degraded" if behind or failed else "ready",
        "head": head,
        "max_lag": watch.max_lag,
        "views": {
            lag.name: {"position": lag.position, "lag": lag.lag}
            | (
                {}
                if lag.error_position is None
                else {"error_position": lag.error_position}
            )
            for lag in lags
        },
    }
    if behind:
        body["behind"] = behind
    if failed:
        body["failed"] = failed
    return OrjsonResponse(body)
