"""``GET /reports/accountability``: per unit, cadre or category and period,
the counts and the rates of what happened, from the accountability view's
reader (appeals.projections.accountability). The ranking is the monthly
assessment's (``GET /assessments/{period}``)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appeals.domain.permissions import read_filter
from appeals.http.auth import authenticate
from appeals.http.context import reads_of
from appeals.http.freshness import await_position
from appeals.http.parameters import invalid
from appeals.http.reports.query import choice, day_range
from appeals.http.tabular import report_json, report_table, wants_table
from appeals.projections import accountability


async def accountability_report(request: Request) -> Response:
    actor = await authenticate(request)
    scope = read_filter("accountability", actor)
    await await_position(request, accountability.NAME)
    group_by = request.query_params.get("group_by", "unit")
    if group_by not in accountability.GROUPS:
        reason = f"must be one of: {', '.join(accountability.GROUPS)}"
        raise invalid([{"field": "group_by", "reason": reason}])
    period = choice(request, "period", "all", accountability.PERIODS)
    first, last = day_range(request)
    seen, items = await run_in_threadpool(
        accountability.report,
        reads_of(request),
        group_by,
        period,
        first,
        last,
        scope.unit,
    )
    body = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "group_by": group_by,
        "period": period,
        "items": items,
    }
    if wants_table(request):
        header = tuple(items[0]) if items else ("period", group_by)
        return await report_table(
            request,
            "accountability.csv",
            header,
            iter([list(i.values()) for i in items]),
            seen,
        )
    return await report_json(request, body, seen)
