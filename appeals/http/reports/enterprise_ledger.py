"""``GET /enterprises/{uscc}/ledger``: one enterprise's 问题台账, from the
enterprise-ledger view's reader (appeals.projections.enterprise_ledger)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appeals.application.service_links import ServiceLinks
from appeals.domain.errors import NotPermitted
from appeals.domain.permissions import read_filter
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import Status
from appeals.http.auth import authenticate
from appeals.http.context import ledger_of, reads_of
from appeals.http.freshness import await_position
from appeals.http.tabular import (
    list_page,
    next_cursor,
    page_size,
    read_cursor,
    report_json,
    report_table,
    wants_table,
)
from appeals.projections import enterprise_ledger
from appeals.projections.lifecycle import read_instant

LEDGER_CSV = ("ticket", "title", "status", "unit", "received_at", "last_activity",
              "satisfaction", "appeal_id")  # fmt: skip


async def enterprise_ledger_report(request: Request) -> Response:
    """问题台账 of one enterprise: an enterprise reads only its own, handlers
    none (their scope is a unit, not an enterprise), other roles any."""
    actor = await authenticate(request)
    as_csv = wants_table(request)
    uscc = validate_uscc(request.path_params["uscc"])
    if not read_filter("ledger", actor).admits(unit=None, uscc=uscc):
        raise NotPermitted("read", actor.role, "the ledger is outside your scope")
    after = read_cursor(request.query_params.get("cursor"), "ledger")
    limit = page_size(request)
    ledger = ledger_of(request)
    await await_position(request, enterprise_ledger.PROJECTION.name)
    if as_csv:
        seen, rows = await run_in_threadpool(
            enterprise_ledger.export, reads_of(request), uscc
        )
        lines = ([row[c] for c in LEDGER_CSV] for row in rows)
        return await report_table(
            request, f"ledger-{uscc}.csv", LEDGER_CSV, lines, seen
        )
    seen, summary, found = await run_in_threadpool(
        enterprise_ledger.read_ledger,
        reads_of(request),
        uscc,
        after,
        limit,
        ledger.clock.now(),
    )
    service = await run_in_threadpool(ServiceLinks(ledger).profile, uscc)
    body = {
        "enterprise": summary,
        "service": service,  # 挂钩服务: linked cadres, projects, visits, 专班
        **list_page(
            [ledger_item(row) for row in found[:limit]],
            next_cursor(found, limit, "ledger"),
        ),
    }
    return await report_json(request, body, seen)


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
