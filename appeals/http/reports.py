"""Report endpoints, answered from projections only (never by loading an
aggregate): ``GET /appeals``, ``GET /enterprises/{uscc}/ledger`` and
``GET /reports/category-month`` (docs/projections.md).

Each answers JSON or CSV (appeals.http.tabular), carries the position its
data reflects and honours ``?position=N`` (appeals.http.freshness).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appeals.domain.errors import NotPermitted
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import Actor, Category, Channel, Priority, Role, Status
from appeals.http.auth import authenticate
from appeals.http.context import ledger_of
from appeals.http.freshness import await_position, read
from appeals.http.requests import invalid
from appeals.http.tabular import (
    SortKey,
    csv_response,
    json_response,
    keyset_pages,
    next_cursor,
    page_size,
    read_cursor,
    wants_csv,
)
from appeals.infra.clock import SHANGHAI
from appeals.infra.database import Sql
from appeals.projections import (
    appeal_list,
    category_month,
    enterprise_ledger,
    timeliness,
)
from appeals.projections.lifecycle import read_instant, stored_instant
from appeals.projections.runtime.storage import LIVE, Copy


def report_routes() -> list[Route]:
    return [
        Route("/appeals", list_appeals, methods=["GET"]),
        Route("/enterprises/{uscc}/ledger", enterprise_ledger_report, methods=["GET"]),
        Route("/reports/category-month", category_month_report, methods=["GET"]),
    ]


# ---- GET /appeals ----------------------------------------------------------------

APPEAL_CSV = (
    "ticket", "status", "status_zh", "uscc", "enterprise_name", "channel",
    "category", "category_zh", "priority", "title", "unit", "cadre",
    "received_at", "updated_at", "paused", "reopen_count", "return_count",
    "supervision_level", "needs_supervisor", "outcome", "satisfaction", "id",
)  # fmt: skip


async def list_appeals(request: Request) -> Response:
    """The appeal list, filtered, newest first (``order=oldest`` reverses),
    scoped like single reads: a handler sees its unit's, an enterprise its own."""
    actor = await authenticate(request)
    as_csv = wants_csv(request)
    params = request.query_params
    order = params.get("order", "newest")
    if order not in ("newest", "oldest"):
        raise invalid([{"field": "order", "reason": "must be newest or oldest"}])
    statuses = [s for raw in params.getlist("status") for s in raw.split(",") if s]
    query = appeal_list.ListQuery(
        equals=(*list_filters(request), *list_scope(actor)),
        statuses=tuple(Status.parse(s, "status").value for s in statuses),
        received_from=day_bound(params.get("received_from"), "received_from", 0),
        received_before=day_bound(params.get("received_to"), "received_to", 1),
        newest_first=order == "newest",
        after=read_cursor(params.get("cursor"), order),
        limit=page_size(request),
        overdue=overdue_filter(request, params.get("overdue")),
    )
    projection, database = appeal_list.PROJECTION, ledger_of(request).database
    await await_position(request, projection)
    table = Copy(database, projection, LIVE).qualified(appeal_list.APPEALS)

    def page(sql: Sql, after: SortKey | None, limit: int) -> list[dict[str, Any]]:
        wanted = replace(query, after=after, limit=limit)
        return appeal_list.select_page(sql, table, wanted)

    if as_csv:
        seen, _ = await read(database, projection, lambda sql: None)
        pages = keyset_pages(database, page)
        lines = (appeal_csv_line(row) for rows in pages for row in rows)
        return csv_response("appeals.csv", APPEAL_CSV, lines, seen)
    seen, rows = await read(
        database, projection, lambda sql: page(sql, query.after, query.limit + 1)
    )
    body = {
        "items": [appeal_item(row) for row in rows[: query.limit]],
        "next_cursor": next_cursor(rows, query.limit, order),
    }
    return json_response(body, seen)


def overdue_filter(request: Request, raw: str | None) -> tuple[str, str] | None:
    """``overdue=true``: appeals with a running stage past its deadline now
    (from the timeliness view, read in the same transaction)."""
    if raw is None or raw == "false":
        return None
    if raw != "true":
        raise invalid([{"field": "overdue", "reason": "must be true or false"}])
    ledger = ledger_of(request)
    view = timeliness.projection(ledger.rules.timekeeping)
    table = Copy(ledger.database, view, LIVE).qualified(timeliness.CYCLES)
    return timeliness.overdue_condition(table), stored_instant(ledger.clock.now())


def list_filters(request: Request) -> list[tuple[str, str]]:
    params = request.query_params
    equals = [
        (name, value) for name in ("unit", "cadre") if (value := params.get(name))
    ]
    for name, codes in (
        ("category", Category),
        ("channel", Channel),
        ("priority", Priority),
    ):
        if params.get(name):
            equals.append((name, codes.parse(params[name], name).value))
    if params.get("enterprise"):
        equals.append(("uscc", validate_uscc(params["enterprise"], "enterprise")))
    return equals


def list_scope(actor: Actor) -> list[tuple[str, str]]:
    """The rule of ``may_read``, as filters."""
    if actor.role is Role.HANDLER:
        return [("unit", actor.unit or "")]
    if actor.role is Role.ENTERPRISE:
        return [("uscc", actor.uscc or "")]
    if actor.role is Role.SYSTEM:
        raise NotPermitted("read", actor.role, "reports are for people")
    return []


def appeal_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["appeal_id"],
        "ticket": row["ticket"],
        "status": row["status"],
        "status_label": Status.of(row["status"]).label(),
        "enterprise": {"uscc": row["uscc"], "name": row["enterprise_name"]},
        "channel": row["channel"],
        "category": row["category"],
        "category_label": Category.of(row["category"]).label(),
        "priority": row["priority"],
        "title": row["title"],
        "unit": row["unit"],
        "cadre": row["cadre"],
        "received_at": read_instant(row["received_at"]).isoformat(),
        "updated_at": read_instant(row["updated_at"]).isoformat(),
        "paused": bool(row["paused"]),
        "extension_pending": bool(row["extension_pending"]),
        "reopen_count": row["reopen_count"],
        "return_count": row["return_count"],
        "supervision_level": row["supervision_level"],
        "needs_supervisor": bool(row["needs_supervisor"]),
        "outcome": row["outcome"],
        "satisfaction": row["satisfaction"],
        "merged_into": row["merged_into"],
        "version": row["version"],
    }


def appeal_csv_line(row: dict[str, Any]) -> list[Any]:
    derived = {
        "id": row["appeal_id"],
        "status_zh": Status.of(row["status"]).zh,
        "category_zh": Category.of(row["category"]).zh,
        "received_at": read_instant(row["received_at"]).isoformat(),
        "updated_at": read_instant(row["updated_at"]).isoformat(),
    }
    return [derived[c] if c in derived else row[c] for c in APPEAL_CSV]


# ---- GET /enterprises/{uscc}/ledger ----------------------------------------------

LEDGER_CSV = ("ticket", "title", "status", "unit", "received_at", "last_activity",
              "satisfaction", "appeal_id")  # fmt: skip


async def enterprise_ledger_report(request: Request) -> Response:
    """问题台账 of one enterprise: an enterprise reads only its own, handlers
    none (their scope is a unit, not an enterprise), other roles any."""
    actor = await authenticate(request)
    as_csv = wants_csv(request)
    uscc = validate_uscc(request.path_params["uscc"])
    if actor.role in (Role.HANDLER, Role.SYSTEM) or (
        actor.role is Role.ENTERPRISE and actor.uscc != uscc
    ):
        raise NotPermitted("read", actor.role, "the ledger is outside your scope")
    after = read_cursor(request.query_params.get("cursor"), "ledger")
    limit = page_size(request)
    projection, database = enterprise_ledger.PROJECTION, ledger_of(request).database
    await await_position(request, projection)
    copy = Copy(database, projection, LIVE)
    appeals = copy.qualified(enterprise_ledger.APPEALS)
    summaries = copy.qualified(enterprise_ledger.ENTERPRISES)

    def page(sql: Sql, after: SortKey | None, limit: int) -> list[dict[str, Any]]:
        return enterprise_ledger.select_appeals(sql, appeals, uscc, after, limit)

    if as_csv:
        seen, _ = await read(database, projection, lambda sql: None)
        pages = keyset_pages(database, page)
        lines = ([row[c] for c in LEDGER_CSV] for rows in pages for row in rows)
        return csv_response(f"ledger-{uscc}.csv", LEDGER_CSV, lines, seen)

    def load(sql: Sql) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        # Tables in the order a rebuild's swap locks them: a reader holding
        # the second while waiting for the first could deadlock with it.
        found = page(sql, after, limit + 1)
        summary = enterprise_ledger.select_enterprise(sql, summaries, uscc)
        return summary or {}, found

    seen, (summary, rows) = await read(database, projection, load)
    overdue = await count_overdue(request, uscc)
    counts = {
        column: summary.get(column, 0)
        for column in enterprise_ledger.SATISFACTION_COLUMNS.values()
    }
    last = summary.get("last_activity")
    body = {
        "enterprise": {
            "uscc": uscc,
            "name": summary.get("enterprise_name"),
            "appeals": summary.get("appeals", 0),
            "open_appeals": summary.get("open_appeals", 0),
            "overdue_appeals": overdue,
            "last_activity": read_instant(last).isoformat() if last else None,
            "satisfaction": {**counts, "evaluations": sum(counts.values())},
        },
        "appeals": [ledger_item(row) for row in rows[:limit]],
        "next_cursor": next_cursor(rows, limit, "ledger"),
    }
    return json_response(body, seen)


async def count_overdue(request: Request, uscc: str) -> int:
    """The enterprise's appeals with a running stage past its deadline now."""
    ledger = ledger_of(request)
    view = timeliness.projection(ledger.rules.timekeeping)
    table = Copy(ledger.database, view, LIVE).qualified(timeliness.CYCLES)
    now = ledger.clock.now()

    def load(sql: Sql) -> int:
        late = timeliness.select_late(sql, table, now, [("uscc", uscc)])
        return len({row["appeal_id"] for row in late})

    _, count = await read(ledger.database, view, load)
    return count


def ledger_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["appeal_id"],
        "ticket": row["ticket"],
        "title": row["title"],
        "status": row["status"],
        "status_label": Status.of(row["status"]).label(),
        "unit": row["unit"],
        "received_at": read_instant(row["received_at"]).isoformat(),
        "last_activity": read_instant(row["last_activity"]).isoformat(),
        "satisfaction": row["satisfaction"],
    }


# ---- GET /reports/category-month -------------------------------------------------


async def category_month_report(request: Request) -> Response:
    """Appeals received per category per month (``from``/``to``: YYYY-MM)."""
    actor = await authenticate(request)
    as_csv = wants_csv(request)
    if actor.role in (Role.HANDLER, Role.ENTERPRISE, Role.SYSTEM):
        raise NotPermitted("read", actor.role, "city-wide statistics are not in scope")
    params = request.query_params
    first, last = month(params.get("from"), "from"), month(params.get("to"), "to")
    category = params.get("category") or None
    if category is not None:
        category = Category.parse(category, "category").value
    projection, database = category_month.PROJECTION, ledger_of(request).database
    await await_position(request, projection)
    table = Copy(database, projection, LIVE).qualified(category_month.COUNTS)

    def load(sql: Sql) -> list[dict[str, Any]]:
        return category_month.select_counts(
            sql, table, first=first, last=last, category=category
        )

    seen, rows = await read(database, projection, load)
    for row in rows:
        row["category_label"] = Category.of(row["category"]).label()
    if as_csv:
        header = ("month", "category", "category_zh", "appeals")
        lines = iter(
            [r["month"], r["category"], r["category_label"]["zh"], r["appeals"]]
            for r in rows
        )
        return csv_response("category-month.csv", header, lines, seen)
    return json_response({"rows": rows}, seen)


# ---- query parameters --------------------------------------------------------------


def day_bound(raw: str | None, field: str, days_after: int) -> str | None:
    """A day in Asia/Shanghai (``received_to`` includes the whole day) or an
    instant with its offset (included either way), as a stored instant."""
    if not raw:
        return None
    instant: datetime | None
    try:
        if len(raw) == len("2026-10-08"):
            day = date.fromisoformat(raw) + timedelta(days=days_after)
            instant = datetime.combine(day, datetime.min.time(), SHANGHAI)
        else:
            instant = datetime.fromisoformat(raw) + timedelta(microseconds=days_after)
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        reason = "must be a date (2026-10-08) or a time with its offset"
        raise invalid([{"field": field, "reason": reason}])
    return stored_instant(instant)


def month(raw: str | None, field: str) -> str | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(f"{raw}-01").strftime("%Y-%m")
    except ValueError:
        raise invalid(
            [{"field": field, "reason": "must be a month (2026-10)"}]
        ) from None
