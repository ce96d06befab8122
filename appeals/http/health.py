"""Liveness and readiness: is the process up, does the database answer.

``/healthz`` touches nothing but the event loop, so it answers at once even
while the database is down. ``/readyz`` opens one new connection and reads
the events table on threads of its own (the request threadpool may be full of
requests waiting for the database), and answers 503 after
``READY_TIMEOUT`` seconds at most.
"""

from __future__ import annotations

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from appeals.http.context import ledger_of
from appeals.http.responses import OrjsonResponse
from appeals.infra.availability import RETRY_AFTER_SECONDS

READY_TIMEOUT = 0.8
"""Seconds ``/readyz`` waits for the database before answering 503."""

_PROBES = anyio.CapacityLimiter(4)


async def healthz(request: Request) -> Response:
    """The process is up."""
    return OrjsonResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """The database answers a new connection; 503 otherwise."""
    ledger = ledger_of(request)
    events_table: str = getattr(ledger.recorder, "events_table_name")  # noqa: B009
    reason = "timeout"
    with anyio.move_on_after(READY_TIMEOUT):
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
            return OrjsonResponse({"status": "ready"})
    return OrjsonResponse(
        {"status": "unavailable", "reason": reason},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
