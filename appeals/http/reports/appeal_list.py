"""``GET /appeals``: the appeal list, from the appeal-list view's reader
(appeals.projections.appeal_list), as JSON pages or one CSV export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appeals.domain.permissions import read_filter
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import Category, Channel, Priority, Status
from appeals.http.auth import authenticate
from appeals.http.context import ledger_of, reads_of
from appeals.http.freshness import await_position
from appeals.http.parameters import invalid, text_filter
from appeals.http.reports.query import choice, day_bound
from appeals.http.tabular import (
    next_cursor,
    page_size,
    read_cursor,
    report_json,
    report_table,
    wants_table,
)
from appeals.projections import appeal_list
from appeals.projections.lifecycle import read_instant

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
    scope = read_filter("appeals", actor)
    as_csv = wants_table(request)
    params = request.query_params
    order = choice(request, "order", "newest", ("newest", "oldest"))
    statuses = [s for raw in params.getlist("status") for s in raw.split(",") if s]
    query = appeal_list.ListQuery(
        equals=(*list_filters(request), *scope.equals()),
        statuses=tuple(Status.parse(s, "status").value for s in statuses),
        received_from=day_bound(params.get("received_from"), "received_from", 0),
        received_before=day_bound(params.get("received_to"), "received_to", 1),
        newest_first=order == "newest",
        after=read_cursor(params.get("cursor"), order),
        limit=page_size(request),
        overdue_at=overdue_at(request, params.get("overdue")),
    )
    database = reads_of(request)
    await await_position(request, appeal_list.PROJECTION.name)
    if as_csv:
        seen, rows = await run_in_threadpool(appeal_list.export, database, query)
        lines = (appeal_csv_line(row) for row in rows)
        return await report_table(request, "appeals.csv", APPEAL_CSV, lines, seen)
    seen, found = await run_in_threadpool(appeal_list.read_page, database, query)
    body = {
        "items": [appeal_item(row) for row in found[: query.limit]],
        "next": next_cursor(found, query.limit, order),
    }
    return await report_json(request, body, seen)


def overdue_at(request: Request, raw: str | None) -> datetime | None:
    """``overdue=true``: appeals with a running stage past its deadline now."""
    if raw is None or raw == "false":
        return None
    if raw != "true":
        raise invalid([{"field": "overdue", "reason": "must be true or false"}])
    return ledger_of(request).clock.now()


def list_filters(request: Request) -> list[tuple[str, str]]:
    params = request.query_params
    equals = [
        (name, value)
        for name in ("unit", "cadre")
        if (value := text_filter(params.get(name), name))
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
