"""Reports on time limits and accountability, from the timeliness and
accountability views (never by loading aggregates):

- ``GET /reports/overdue``: open appeals past a deadline, by ageing bucket;
- ``GET /reports/timeliness``: on-time rates and median working times by stage;
- ``GET /reports/accountability``: per unit, cadre or category and period, the
  counts, the three rates, the composite score and the ranking.

Lateness of open stages is measured at request time with the ledger's
official calendar; everything else was measured when the stage ended.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from statistics import median, quantiles
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appeals.domain.deadlines import Timekeeping
from appeals.domain.errors import NotPermitted
from appeals.domain.rates import rates
from appeals.domain.values import Category, Role
from appeals.http.auth import authenticate
from appeals.http.context import context_of, ledger_of
from appeals.http.freshness import await_position, read
from appeals.http.reports import list_scope
from appeals.http.requests import invalid
from appeals.http.tabular import csv_response, json_response, page_size, wants_csv
from appeals.infra.database import Sql
from appeals.projections import accountability, timeliness
from appeals.projections.lifecycle import read_instant
from appeals.projections.runtime.model import Projection
from appeals.projections.runtime.storage import LIVE, Copy

BUCKETS = (("under_1", 0, 1), ("1_to_3", 1, 3), ("3_to_5", 3, 5), ("over_5", 5, None))
HOUR = 3600


def report_views(request: Request) -> tuple[Projection, Projection]:
    tk = ledger_of(request).rules.timekeeping
    return timeliness.projection(tk), accountability.projection(tk)


def _filters(request: Request, names: tuple[str, ...]) -> list[tuple[str, str]]:
    params = request.query_params
    return [
        (name, Category.parse(value, name) if name == "category" else value)
        for name in names
        if (value := params.get(name))
    ]


# ---- GET /reports/overdue ------------------------------------------------------

OVERDUE_CSV = (
    "ticket", "stage", "unit", "cadre", "category", "due",
    "late_working_days", "bucket", "escalation_level", "appeal_id",
)  # fmt: skip


async def overdue_report(request: Request) -> Response:
    actor = await authenticate(request)
    view, _ = report_views(request)
    ledger = ledger_of(request)
    await await_position(request, view)
    table = Copy(ledger.database, view, LIVE).qualified(timeliness.CYCLES)
    now = ledger.clock.now()
    stage = request.query_params.get("stage")
    if stage is not None and stage not in timeliness.LATE_STAGES:
        reason = f"must be one of: {', '.join(timeliness.LATE_STAGES)}"
        raise invalid([{"field": "stage", "reason": reason}])
    equals = [*_filters(request, ("unit", "cadre", "category", "stage")),
              *list_scope(actor)]  # fmt: skip
    tk = ledger.rules.timekeeping
    as_csv = wants_csv(request)
    limit = None if as_csv else page_size(request)
    # Buckets from three instants found once (the latest deadline that is 1,
    # 3 and 5 working days behind now), counted in the database: measuring
    # the working time of every late stage took most of this report's time.
    edges = [late_since(tk, now, low) for _, low, _ in BUCKETS]

    def load(sql: Sql) -> tuple[list[int], list[dict[str, Any]]]:
        counts = timeliness.count_late(sql, table, now, edges, equals)
        return counts, timeliness.select_late(sql, table, now, equals, limit)

    seen, (at_or_before, rows) = await read(ledger.database, view, load)
    buckets = {
        name: at_or_before[i] - (at_or_before[i + 1] if i + 1 < len(edges) else 0)
        for i, (name, _, _) in enumerate(BUCKETS)
    }
    items = []
    for row in rows:
        due = read_instant(row["due"])
        bucket = next(
            name
            for (name, _, _), edge in zip(
                reversed(BUCKETS), reversed(edges), strict=True
            )
            if due <= edge
        )
        items.append(overdue_item(row, due, bucket, tk, now))
    if as_csv:
        lines = iter([[item[c] for c in OVERDUE_CSV] for item in items])
        return csv_response("overdue.csv", OVERDUE_CSV, lines, seen)
    body = {
        "as_of": now.isoformat(),
        "total": at_or_before[0],
        "buckets": buckets,
        "items": items,
    }
    return json_response(body, seen)


def late_since(tk: Timekeeping, now: datetime, days: int) -> datetime:
    """The latest deadline that is at least ``days`` working days behind
    ``now`` (found by bisection: working time grows as the deadline recedes)."""
    if days == 0:
        return now
    wanted = tk.calendar.day_length * days
    low, high = now - timedelta(days=400 + 3 * days), now
    while high - low > timedelta(microseconds=1):
        middle = low + (high - low) / 2
        if tk.working_time(middle, now) >= wanted:
            low = middle
        else:
            high = middle
    return low


def overdue_item(
    row: dict[str, Any], due: datetime, bucket: str, tk: Timekeeping, now: datetime
) -> dict[str, Any]:
    late = tk.working_time(due, now) / tk.calendar.day_length
    return {
        "appeal_id": row["appeal_id"],
        "ticket": row["ticket"],
        "stage": row["stage"],
        "unit": row["unit"],
        "cadre": row["cadre"],
        "category": row["category"],
        "due": due.isoformat(),
        "late_working_days": round(late, 2),
        "bucket": bucket,
        "escalation_level": row["escalation_level"],
    }


# ---- GET /reports/timeliness ---------------------------------------------------


def day_range(request: Request, default_days: int = 90) -> tuple[date, date]:
    """``from``/``to`` as ISO days (both inclusive); default the last 90 days."""
    params = request.query_params
    try:
        last = date.fromisoformat(params["to"]) if "to" in params else None
    except ValueError:
        reason = "must be a day like 2026-11-30"
        raise invalid([{"field": "to", "reason": reason}]) from None
    try:
        first = date.fromisoformat(params["from"]) if "from" in params else None
    except ValueError:
        reason = "must be a day like 2026-11-01"
        raise invalid([{"field": "from", "reason": reason}]) from None
    today = ledger_of(request).clock.now().date()
    last = last or today
    first = first or last - timedelta(days=default_days - 1)
    if first > last:
        raise invalid([{"field": "from", "reason": "must not be after to"}])
    return first, last


async def timeliness_report(request: Request) -> Response:
    actor = await authenticate(request)
    view, _ = report_views(request)
    ledger = ledger_of(request)
    await await_position(request, view)
    table = Copy(ledger.database, view, LIVE).qualified(timeliness.CYCLES)
    first, last = day_range(request)
    tz = ledger.rules.timekeeping.calendar.tz
    start = datetime.combine(first, datetime.min.time(), tz)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tz)
    equals = [*_filters(request, ("unit", "category")), *list_scope(actor)]
    group_by = request.query_params.get("group_by", "stage")
    if group_by not in ("stage", "unit"):
        raise invalid([{"field": "group_by", "reason": "must be stage or unit"}])

    def load(sql: Sql) -> list[tuple[str, str | None, int | None, int | None]]:
        return timeliness.select_completed(sql, table, start, end, equals)

    seen, rows = await read(ledger.database, view, load)
    groups: dict[tuple[str, str], list[tuple[int | None, int | None]]] = defaultdict(
        list
    )
    for stage, unit, on_time, working in rows:
        key = (stage, unit or "") if group_by == "unit" else (stage, "")
        groups[key].append((on_time, working))
    items = []
    for (stage, unit), values in sorted(groups.items()):
        hours = sorted(w / HOUR for _, w in values if w is not None)
        timed = [o for o, _ in values if o is not None]
        items.append(
            {
                "stage": stage,
                **({"unit": unit} if group_by == "unit" else {}),
                "completed": len(values),
                "on_time": sum(timed),
                "on_time_rate": sum(timed) / len(timed) if timed else None,
                "median_working_hours": round(median(hours), 2) if hours else None,
                "p90_working_hours": round(quantiles(hours, n=10)[-1], 2)
                if len(hours) >= 2
                else None,
            }
        )
    body = {"from": first.isoformat(), "to": last.isoformat(), "items": items}
    if wants_csv(request):
        header = tuple(items[0]) if items else ("stage",)
        return csv_response(
            "timeliness.csv", header, iter([list(i.values()) for i in items]), seen
        )
    return json_response(body, seen)


# ---- GET /reports/accountability -------------------------------------------------


def period_of(day: str, period: str) -> str:
    value = date.fromisoformat(day)
    if period == "day":
        return day
    if period == "month":
        return day[:7]
    if period == "week":
        year, week, _ = value.isocalendar()
        return f"{year}-W{week:02d}"
    return "all"


async def accountability_report(request: Request) -> Response:
    actor = await authenticate(request)
    if actor.role in (Role.ENTERPRISE, Role.SYSTEM):
        raise NotPermitted("read", actor.role, "accountability is for government")
    _, view = report_views(request)
    ledger = ledger_of(request)
    await await_position(request, view)
    table = Copy(ledger.database, view, LIVE).qualified(accountability.DAILY)
    params = request.query_params
    group_by = params.get("group_by", "unit")
    if group_by not in accountability.GROUPS:
        reason = f"must be one of: {', '.join(accountability.GROUPS)}"
        raise invalid([{"field": "group_by", "reason": reason}])
    period = params.get("period", "all")
    if period not in ("day", "week", "month", "all"):
        raise invalid(
            [{"field": "period", "reason": "must be day, week, month or all"}]
        )
    first, last = day_range(request)
    unit = actor.unit if actor.role is Role.HANDLER else None
    seen, days = await read(
        ledger.database,
        view,
        lambda sql: accountability.select_days(
            sql, table, group_by, first.isoformat(), last.isoformat(), unit
        ),
    )
    weights = context_of(request).rate_weights
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(accountability.COUNTERS, 0)
    )
    for row in days:
        key = (period_of(row["day"], period), row["group"])
        for name in accountability.COUNTERS:
            totals[key][name] += int(row[name] or 0)
    items: list[dict[str, Any]] = []
    for (when, group), counts in sorted(totals.items()):
        items.append({"period": when, group_by: group or None, **counts,
                      **rates(counts, weights)})  # fmt: skip
    rank_within_periods(items)
    body = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "group_by": group_by,
        "period": period,
        "weights": vars(weights),
        "items": items,
    }
    if wants_csv(request):
        header = tuple(items[0]) if items else ("period", group_by)
        return csv_response(
            "accountability.csv", header, iter([list(i.values()) for i in items]), seen
        )
    return json_response(body, seen)


def rank_within_periods(items: list[dict[str, Any]]) -> None:
    """Ranks groups by composite score within each period (no score: last)."""
    by_period: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        by_period[item["period"]].append(item)
    for group in by_period.values():
        group.sort(key=lambda i: (i["composite"] is None, -(i["composite"] or 0.0)))
        for rank, item in enumerate(group, start=1):
            item["rank"] = rank


def performance_routes() -> list[Route]:
    return [
        Route("/reports/overdue", overdue_report, methods=["GET"]),
        Route("/reports/timeliness", timeliness_report, methods=["GET"]),
        Route("/reports/accountability", accountability_report, methods=["GET"]),
    ]
