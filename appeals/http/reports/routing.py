"""``GET /reports/routing``: how the catalogue and the dispatchers route
appeals — 退单 rate, re-dispatches and time to acceptance per catalogue item
and unit, the catalogue's coverage, the 直接答复率 and counts per locality —
from the routing view's reader (appeals.projections.routing)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appeals.domain.permissions import read_filter
from appeals.http.auth import authenticate
from appeals.http.context import reads_of
from appeals.http.freshness import await_position
from appeals.http.reports.query import month
from appeals.http.tabular import report_json, report_table, wants_table
from appeals.projections import routing

CSV_HEADER = (
    "item",
    "unit",
    *routing.ITEM_COUNTERS,
    "return_rate",
    "mean_working_hours_to_accept",
)


async def routing_report(request: Request) -> Response:
    """Routing per catalogue item and unit for months ``from``..``to``."""
    actor = await authenticate(request)
    scope = read_filter("routing", actor)
    params = request.query_params
    first, last = month(params.get("from"), "from"), month(params.get("to"), "to")
    await await_position(request, routing.NAME)
    seen, body = await run_in_threadpool(
        routing.report, reads_of(request), first, last, scope
    )
    if wants_table(request):
        lines = iter([[row[name] for name in CSV_HEADER] for row in body["items"]])
        return await report_table(request, "routing.csv", CSV_HEADER, lines, seen)
    return await report_json(request, {"from": first, "to": last, **body}, seen)
