"""``GET /reports/timeliness``: on-time rates and median working times by
stage (or stage and unit), from the timeliness view's reader
(appeals.projections.timeliness)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appeals.domain.permissions import read_filter
from appeals.http.auth import authenticate
from appeals.http.context import context_of, ledger_of, reads_of
from appeals.http.freshness import await_position
from appeals.http.reports.query import choice, day_range, equal_filters
from appeals.http.tabular import report_json, report_table, wants_table
from appeals.projections import timeliness


async def timeliness_report(request: Request) -> Response:
    actor = await authenticate(request)
    scope = read_filter("timeliness", actor)
    ledger = ledger_of(request)
    await await_position(request, timeliness.NAME)
    first, last = day_range(request)
    equals = [*equal_filters(request, ("unit", "category")), *scope.equals()]
    group_by = choice(request, "group_by", "stage", ("stage", "unit"))
    seen, items = await run_in_threadpool(
        timeliness.report,
        reads_of(request),
        first,
        last,
        ledger.rules.timekeeping.calendar.tz,
        equals,
        group_by,
        context_of(request).remembered,
    )
    if wants_table(request):
        header = tuple(items[0]) if items else ("stage",)
        return await report_table(
            request,
            "timeliness.csv",
            header,
            iter([list(i.values()) for i in items]),
            seen,
        )
    body = {"from": first.isoformat(), "to": last.isoformat(), "items": items}
    return await report_json(request, body, seen)
