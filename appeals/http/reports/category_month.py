"""``GET /reports/category-month``: appeals received per category per month,
from the category-month view's reader (appeals.projections.category_month)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appeals.domain.permissions import read_filter
from appeals.domain.values import Category
from appeals.http.auth import authenticate
from appeals.http.context import reads_of
from appeals.http.freshness import await_position
from appeals.http.reports.query import month
from appeals.http.tabular import report_json, report_table, wants_table
from appeals.projections import category_month


async def category_month_report(request: Request) -> Response:
    """Appeals received per category per month (``from``/``to``: YYYY-MM)."""
    actor = await authenticate(request)
    as_csv = wants_table(request)
    read_filter("category_month", actor)  # city-wide: no filter, or refused
    params = request.query_params
    first, last = month(params.get("from"), "from"), month(params.get("to"), "to")
    category = params.get("category") or None
    if category is not None:
        category = Category.parse(category, "category").value
    await await_position(request, category_month.PROJECTION.name)
    seen, rows = await run_in_threadpool(
        category_month.read_counts, reads_of(request), first, last, category
    )
    for row in rows:
        row["category_label"] = Category.of(row["category"]).label()
    if as_csv:
        header = ("month", "category", "category_zh", "appeals")
        lines = iter(
            [r["month"], r["category"], r["category_label"]["zh"], r["appeals"]]
            for r in rows
        )
        return await report_table(request, "category-month.csv", header, lines, seen)
    return await report_json(request, {"rows": rows}, seen)
