"""For auditors: an appeal's complete history, its chain check, and the
global event feed. Read-only; scoped by the permissions table like every
read (auditors see all, handlers their unit's appeals, enterprises their own)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appeals.application.audit import internal, record_entry
from appeals.domain.disclosure import for_enterprise
from appeals.domain.errors import AppealNotFound
from appeals.domain.permissions import check_read, read_filter, reads_internal_text
from appeals.domain.scope import appeal_scope
from appeals.domain.values import Actor
from appeals.http.auth import authenticate
from appeals.http.context import ledger_of
from appeals.http.parameters import text_filter
from appeals.http.requests import (
    optional_instant,
    optional_positive_int,
    path_uuid,
)
from appeals.http.responses import OrjsonResponse
from appeals.http.tabular import list_page, page_cursor
from appeals.infra.event_log import StoredRecord

FEED_LIMIT = 1000


async def get_history(request: Request) -> Response:
    """Every event of one appeal, in order, as stored."""
    actor = await authenticate(request)
    appeal_id = path_uuid(request)
    records = await readable_records(request, actor, appeal_id)
    entries = [record_entry(r) for r in records]
    if not reads_internal_text(actor):  # the enterprise: no internal text
        entries = [e for e in map(disclosed, entries) if e is not None]
    return OrjsonResponse(
        {
            "appeal": str(appeal_id),
            "ticket": records[0].state.get("ticket"),
            "events": entries,
        }
    )


def disclosed(entry: dict[str, Any]) -> dict[str, Any] | None:
    """A history entry as the enterprise reads it (appeals.domain.disclosure)."""
    payload = for_enterprise(entry["type"], entry["payload"])
    return None if payload is None else {**entry, "payload": payload}


async def readable_records(
    request: Request, actor: Actor, appeal_id: UUID
) -> list[StoredRecord]:
    """The appeal's stored events, if the actor may read them. The scope is
    read from the stored events themselves, so a damaged history can still be
    inspected and verified."""
    ledger = ledger_of(request)
    records = await run_in_threadpool(ledger.event_log.history, appeal_id)
    if not records or records[0].topic != "Appeal.Received":
        raise AppealNotFound(appeal_id)
    scope = appeal_scope((record.topic, record.state) for record in records)
    check_read(actor, unit=scope.unit, uscc=scope.uscc, co_units=scope.co_units)
    return records


async def verify_appeal(request: Request) -> Response:
    """Checks the appeal's stored events against their hash chain."""
    actor = await authenticate(request)
    appeal_id = path_uuid(request)
    records = await readable_records(request, actor, appeal_id)
    ledger = ledger_of(request)
    broken = await run_in_threadpool(ledger.verify_appeal, appeal_id)
    if broken is None:
        return OrjsonResponse(
            {"appeal": str(appeal_id), "intact": True, "events": len(records)}
        )
    position = await run_in_threadpool(ledger.position_of, appeal_id, broken.version)
    return OrjsonResponse(
        {
            "appeal": str(appeal_id),
            "intact": False,
            "first_broken": {
                "version": broken.version,
                "position": position,
                "reason": broken.reason,
            },
        }
    )


async def event_feed(request: Request) -> Response:
    """``GET /events?cursor=N&limit=M&type=Appeal.Assigned&from=..&to=..``:
    the business events in commit order (not the ledger's own bookkeeping);
    ``next`` is the cursor of the following page (``after``, its older name,
    still works)."""
    actor = await authenticate(request)
    read_filter("feed", actor)  # those who audit see it all, others nothing
    field, _ = page_cursor(request.query_params, "after")
    after = optional_positive_int(request, field, minimum=0) or 0
    limit = min(optional_positive_int(request, "limit") or 100, FEED_LIMIT)
    topics = [
        topic
        for raw in request.query_params.getlist("type")
        if (topic := text_filter(raw, "type"))
    ]
    start = optional_instant(request, "from")
    end = optional_instant(request, "to")
    ledger = ledger_of(request)
    records = await run_in_threadpool(ledger.event_log.after, after, limit, topics)
    items = []
    for record in records:
        timestamp = record.state.get("timestamp")
        if start and isinstance(timestamp, datetime) and timestamp < start:
            continue
        if end and isinstance(timestamp, datetime) and timestamp >= end:
            continue
        if internal(record.topic):
            continue  # the ledger's bookkeeping, not a business event
        items.append(record_entry(record))
    following = str(records[-1].position) if len(records) == limit else None
    return OrjsonResponse(list_page(items, following))


def audit_routes() -> list[Route]:
    return [
        Route("/events", event_feed),
        Route("/appeals/{appeal_id}/history", get_history),
        Route("/appeals/{appeal_id}/verify", verify_appeal),
    ]
