"""The callback (回访) reads, from the callback view's readers
(appeals.projections.callbacks): ``GET /callbacks/queue``, the rounds the
centre's staff should call now, and ``GET /reports/callbacks``, per unit the
rounds concluded in a period with 有效回访率 and 抽查满意率. Attempts are
recorded with ``POST /appeals/{id}/callback``."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appeals.domain.permissions import read_filter
from appeals.http import parameters
from appeals.http.auth import authenticate
from appeals.http.context import ledger_of, reads_of
from appeals.http.freshness import await_position
from appeals.http.reports.query import choice, day_range
from appeals.http.tabular import (
    page_size,
    report_items,
    report_json,
    report_table,
    wants_table,
)
from appeals.infra.clock import SHANGHAI
from appeals.projections import callbacks

PURPOSES = ("reply", "expired", "sample")


async def callback_queue(request: Request) -> Response:
    """Pending callback rounds, the longest due first (``due=now``, the
    default, or ``all`` to see those not yet due); ``unit`` and ``purpose``
    filter."""
    actor = await authenticate(request)
    read_filter("callbacks", actor)
    params = request.query_params
    due = choice(request, "due", "now", ("now", "all"))
    unit = parameters.text_filter(params.get("unit"), "unit")
    purpose = params.get("purpose") or None
    if purpose is not None:
        purpose = choice(request, "purpose", purpose, PURPOSES)
    limit = page_size(request)
    ledger = ledger_of(request)
    await await_position(request, callbacks.NAME)
    seen, rows = await run_in_threadpool(
        partial(callbacks.queue, due_only=due == "now"),
        reads_of(request),
        ledger.clock.now(),
        unit=unit,
        purpose=purpose,
        limit=limit,
    )
    body = {"due": due, "items": rows}
    return await report_items(request, body, seen, "callback-queue.csv", QUEUE_COLUMNS)


QUEUE_COLUMNS = ("ticket", "round", "purpose", "unit", "category", "opened_at",
                 "due", "state", "attempts", "last_outcome", "last_attempt_at",
                 "uscc", "appeal_id")  # fmt: skip


async def callback_report(request: Request) -> Response:
    """Per unit, callbacks concluded from ``from`` to ``to`` (days, both
    inclusive): reached, 无法回访, 有效回访率, samples and 抽查满意率."""
    actor = await authenticate(request)
    read_filter("callbacks", actor)
    first, last = day_range(request)
    start = datetime.combine(first, datetime.min.time(), SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), SHANGHAI)
    await await_position(request, callbacks.NAME)
    seen, items = await run_in_threadpool(
        callbacks.figures, reads_of(request), start, end
    )
    if wants_table(request):
        header = (
            "unit",
            "reached",
            "unreachable",
            "sampled",
            "sampled_satisfied",
            "valid_callback_rate",
            "sample_satisfaction_rate",
        )
        lines = iter([[item[h] for h in header] for item in items])
        return await report_table(request, "callbacks.csv", header, lines, seen)
    body = {"from": first.isoformat(), "to": last.isoformat(), "items": items}
    return await report_json(request, body, seen)
