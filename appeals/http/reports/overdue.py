"""``GET /reports/overdue``: open appeals past a deadline, by ageing bucket,
from the overdue reader over the timeliness view (appeals.projections.overdue)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appeals.domain.permissions import read_filter
from appeals.http.auth import authenticate
from appeals.http.context import ledger_of, reads_of
from appeals.http.freshness import await_position
from appeals.http.parameters import invalid
from appeals.http.reports.query import equal_filters
from appeals.http.tabular import page_size, report_json, report_table, wants_table
from appeals.projections import overdue, timeliness

OVERDUE_CSV = (
    "ticket", "stage", "unit", "cadre", "category", "due",
    "late_working_days", "bucket", "escalation_level", "appeal_id",
)  # fmt: skip


async def overdue_report(request: Request) -> Response:
    actor = await authenticate(request)
    scope = read_filter("overdue", actor)
    ledger = ledger_of(request)
    await await_position(request, timeliness.NAME)
    stage = request.query_params.get("stage")
    if stage is not None and stage not in overdue.LATE_STAGES:
        reason = f"must be one of: {', '.join(overdue.LATE_STAGES)}"
        raise invalid([{"field": "stage", "reason": reason}])
    equals = [*equal_filters(request, ("unit", "cadre", "category", "stage")),
              *scope.equals()]  # fmt: skip
    as_csv = wants_table(request)
    limit = None if as_csv else page_size(request)
    seen, found = await run_in_threadpool(
        overdue.report,
        reads_of(request),
        ledger.rules.timekeeping,
        ledger.clock.now(),
        equals,
        limit,
    )
    if as_csv:
        lines = iter([[item[c] for c in OVERDUE_CSV] for item in found.items])
        return await report_table(request, "overdue.csv", OVERDUE_CSV, lines, seen)
    body = {
        "as_of": found.now.isoformat(),
        "total": found.total,
        "buckets": found.buckets,
        "items": found.items,
    }
    return await report_json(request, body, seen)
