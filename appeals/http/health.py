"""Liveness and readiness: is the process up, does the store answer."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appeals.http.context import ledger_of
from appeals.http.responses import OrjsonResponse


async def healthz(request: Request) -> Response:
    """The process is up."""
    return OrjsonResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """The store answers; 503 otherwise."""
    ledger = ledger_of(request)
    try:
        await run_in_threadpool(ledger.recorder.max_notification_id)
    except Exception as error:  # any failure means not ready
        return OrjsonResponse(
            {"status": "unavailable", "reason": type(error).__name__},
            status_code=503,
        )
    return OrjsonResponse({"status": "ready"})
