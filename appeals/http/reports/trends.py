"""``GET /reports/trend`` (an indicator month by month, compared between a
baseline and a compared month) and ``GET /reports/hotspots`` (categories ×
localities), from appeals.application.trends."""

from __future__ import annotations

from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appeals.application.trends import VIEWS, Answer, Trends
from appeals.domain.assessment import Period
from appeals.domain.permissions import read_filter
from appeals.domain.trends import GROUPS, MEASURES
from appeals.http.auth import authenticate
from appeals.http.columns import Column, column, named
from appeals.http.context import context_of, ledger_of
from appeals.http.freshness import await_position
from appeals.http.parameters import invalid
from appeals.http.reports.query import choice, day_range, month
from appeals.http.tabular import (
    header_language,
    json_response,
    table_response,
    wants_table,
)

DEFAULT_MONTHS = 6


async def trend_report(request: Request) -> Response:
    actor = await authenticate(request)
    scope = read_filter("trends", actor)
    ledger = ledger_of(request)
    for view in VIEWS:
        await await_position(request, view)
    indicator = request.query_params.get("indicator", "response_rate")
    if indicator not in MEASURES:
        reason = "must be one of: " + ", ".join(MEASURES)
        raise invalid([{"field": "indicator", "reason": reason}])
    group_by = choice(request, "group_by", "city", GROUPS)
    params = request.query_params
    now = ledger.clock.now()
    last = _period(params.get("to"), "to") or Period(now.year, now.month)
    first = _period(params.get("from"), "from") or _months_before(last)
    baseline = _period(params.get("baseline"), "baseline") or first
    compare = _period(params.get("compare"), "compare") or last
    answer: Answer = await run_in_threadpool(
        trends_of(request).trend,
        indicator,
        group_by,
        first,
        last,
        baseline,
        compare,
        scope.unit,
    )
    body = answer.body
    if wants_table(request):
        kind = MEASURES[indicator].kind
        header: list[str | Column] = [
            "group" if group_by == "city" else column(group_by),
            "label",
            *(named(p, p, p, kind) for p in body["periods"]),
            named("baseline", f"基期{baseline}", f"Baseline {baseline}", kind),
            named("compare", f"对比期{compare}", f"Compared {compare}", kind),
            named("change", "变化", "Change", kind),
            "relative_change",
        ]
        lines = (
            [
                item["group"] or "",
                item["label"][header_language(request)],
                *(v["value"] for v in item["values"]),
                item["baseline"],
                item["compare"],
                item["change"],
                item["relative_change"],
            ]
            for item in body["items"]
        )
        return table_response(
            request,
            f"trend-{indicator}.csv",
            header,
            lines,
            answer.position,
            answer.complete,
        )
    return json_response(body, answer.position, answer.complete)


async def hotspot_report(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("hotspots", actor)  # city-wide: no filter, or refused
    for view in VIEWS:
        await await_position(request, view)
    first, last = day_range(request, default_days=30)
    answer: Answer = await run_in_threadpool(trends_of(request).hotspots, first, last)
    if wants_table(request):
        header: list[str | Column] = [
            "category",
            "category_zh",
            "locality",
            "locality_name",
            "received",
            named("due", "到期件数", "Resolve stages due", "count"),
            named("late", "超期件数", "Late", "count"),
            "late_rate",
        ]
        lines = (
            [
                item["category"],
                item["category_label"]["zh"],
                item["locality"],
                item["locality_label"]["zh"],
                item["received"],
                item["due"],
                item["late"],
                item["late_rate"],
            ]
            for item in answer.body["items"]
        )
        return table_response(
            request, "hotspots.csv", header, lines, answer.position, answer.complete
        )
    return json_response(answer.body, answer.position, answer.complete)


def _period(raw: str | None, field: str) -> Period | None:
    text = month(raw, field)
    return None if text is None else Period.parse(text, field)


def trends_of(request: Request) -> Trends:
    """Trends naming rows from the service's remembered names, counting
    months past from what the service remembers of them."""
    context = context_of(request)
    return Trends(context.ledger, context.names, context.remembered)


def _months_before(last: Period) -> Period:
    day = last.first_day
    for _ in range(DEFAULT_MONTHS - 1):
        day = (day - timedelta(days=1)).replace(day=1)
    return Period(day.year, day.month)
