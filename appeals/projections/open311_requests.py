"""Open311 service requests (GeoReport v2 ``GET requests``): one row per
appeal holding what a service request shows, so a list of up to 1,000
requests is one indexed query instead of 1,000 histories read and folded.

The row follows every appeal event, as the appeal's own view does
(:func:`appeals.application.queries.view_of`): the status, the unit holding
it, the catalogue item it is routed under (``service_code``: the routed item,
else the one the filer chose), the deadlines the service notice names, the
time of its latest event and its latest public text (``status_notes``,
:func:`appeals.domain.disclosure.public_text`). The reader
(:func:`read_requests`) lists them newest first within a receipt window,
filtered by status, service code and the reader's scope (unit or enterprise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.utils import get_topic

from appeals.domain import events
from appeals.domain.appeal import Appeal
from appeals.domain.disclosure import public_text
from appeals.infra.database import Database, Sql
from appeals.projections import appeal_list
from appeals.projections.lifecycle import (
    status_after,
    stored_instant,
    stored_or_none,
    topics_of,
)
from appeals.projections.reading import live_table, read
from appeals.projections.runtime.model import (
    Change,
    Projection,
    Put,
    State,
    Table,
    id_text,
    require,
)

CREATE_REQUESTS = """
CREATE TABLE IF NOT EXISTS {table} (
    appeal_id TEXT NOT NULL PRIMARY KEY,
    ticket TEXT NOT NULL,
    status TEXT NOT NULL,
    uscc TEXT NOT NULL,
    unit TEXT,
    item TEXT,
    requested_item TEXT,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    address TEXT NOT NULL,
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    resolve_due TEXT,
    dispatch_due TEXT,
    status_notes TEXT
)
"""
REQUESTS = Table(
    name="open311_requests",
    columns=(
        "appeal_id",
        "ticket",
        "status",
        "uscc",
        "unit",
        "item",
        "requested_item",
        "category",
        "title",
        "description",
        "address",
        "received_at",
        "updated_at",
        "resolve_due",
        "dispatch_due",
        "status_notes",
    ),
    key=("appeal_id",),
    per_appeal=True,
    create=CREATE_REQUESTS,
    # newest first within a receipt window, a scoped reader's unit or
    # enterprise leading: the appeal list's keyset indexes
    indexes=(
        appeal_list.INDEX_BY_RECEIPT,
        appeal_list.INDEX_BY_UNIT,
        appeal_list.INDEX_BY_USCC,
    ),
)

EVERY_APPEAL_EVENT: tuple[type[Appeal.Event], ...] = tuple(
    value
    for value in vars(events).values()
    if isinstance(value, type)
    and issubclass(value, events.Event)
    and value not in (events.Event, events.Created)
)
"""Every event an appeal stores: each moves its ``updated_datetime`` and may
carry its latest public text."""


def received_row(event: Appeal.Received) -> dict[str, Any]:
    at = stored_instant(event.timestamp)
    return {
        "appeal_id": id_text(event.originator_id),
        "ticket": event.ticket,
        "status": status_after(event),
        "uscc": event.uscc,
        "unit": None,
        "item": None,
        "requested_item": event.item,
        "category": event.category,
        "title": event.title,
        "description": event.description,
        "address": event.address,
        "received_at": at,
        "updated_at": at,
        "resolve_due": None,
        "dispatch_due": stored_or_none(event.dispatch_due),
        "status_notes": None,
    }


def changes_of(event: Appeal.Event) -> dict[str, Any]:
    """What ``event`` changes in the row besides status, time and notes."""
    changed: dict[str, Any]
    match event:
        case Appeal.Assigned():
            return {
                "unit": event.unit,
                "item": event.item,
                "resolve_due": stored_or_none(event.resolve_due),
            }
        case Appeal.AnsweredOnTheSpot():
            return {"item": event.item}
        case Appeal.Returned():
            changed = {"unit": None, "item": None, "resolve_due": None}
            if event.dispatch_due is not None:
                changed["dispatch_due"] = stored_or_none(event.dispatch_due)
            return changed
        case Appeal.Resumed():
            return {"resolve_due": stored_or_none(event.resolve_due)}
        case Appeal.ExtensionApproved():
            return {"resolve_due": stored_or_none(event.new_deadline)}
        case Appeal.Reopened():
            changed = {"resolve_due": stored_or_none(event.resolve_due)}
            if event.dispatch_due is not None:  # answered on the spot
                changed["dispatch_due"] = stored_or_none(event.dispatch_due)
            return changed
    return {}


def apply(event: Appeal.Event, state: State) -> list[Change]:
    """The request after ``event``: the receipt makes it, later events move it."""
    if isinstance(event, Appeal.Received):
        return [Put(REQUESTS, received_row(event))]
    row = dict(require(state, REQUESTS, (id_text(event.originator_id),)))
    row.update(changes_of(event))
    row["status"] = status_after(event) or row["status"]
    row["updated_at"] = stored_instant(event.timestamp)
    note = public_text(get_topic(type(event)), vars(event))
    if note is not None:
        row["status_notes"] = note
    return [Put(REQUESTS, row)]


PROJECTION = Projection(
    name="open311_requests",
    tables=(REQUESTS,),
    topics=topics_of(*EVERY_APPEAL_EVENT),
    apply=apply,
    description="Open311 GET requests: one service request per appeal",
    by_appeal=True,
)

# ---- reading ------------------------------------------------------------------

FILTER_COLUMNS = frozenset({"unit", "uscc"})
SELECT_REQUESTS = (
    "SELECT {columns} FROM {table} WHERE received_at >= ? AND received_at < ?"
    "{where} ORDER BY received_at DESC, appeal_id DESC LIMIT ?"
)
SERVICE_CODE = "COALESCE(item, requested_item)"


@dataclass(frozen=True)
class RequestQuery:
    """The requests received in [``received_from``, ``received_before``)
    (stored instants), newest first, at most ``limit``: with one of
    ``statuses`` (appeal statuses; any if empty), one of ``codes`` (service
    codes; any if empty), and every (column, value) of ``equals`` (the
    reader's scope, over ``unit`` and ``uscc``)."""

    received_from: str
    received_before: str
    limit: int
    statuses: Sequence[str] = ()
    codes: Sequence[str] = ()
    equals: Sequence[tuple[str, str]] = ()


def select_requests(sql: Sql, table: str, query: RequestQuery) -> list[dict[str, Any]]:
    conditions: list[str] = []
    params: list[Any] = [query.received_from, query.received_before]
    for column, value in query.equals:
        if column not in FILTER_COLUMNS:
            raise ValueError(f"cannot filter on {column!r}")
        conditions.append(f" AND {column} = ?")
        params.append(value)
    for column, values in (("status", query.statuses), (SERVICE_CODE, query.codes)):
        if values:
            conditions.append(f" AND {column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    statement = SELECT_REQUESTS.format(
        columns=", ".join(REQUESTS.columns), table=table, where="".join(conditions)
    )
    rows = sql.execute(statement, [*params, query.limit]).all()
    return [dict(zip(REQUESTS.columns, row, strict=True)) for row in rows]


def read_requests(
    database: Database, query: RequestQuery
) -> tuple[int, list[dict[str, Any]]]:
    """The view's position and the requests the query asks for."""
    table = live_table(database, REQUESTS)
    return read(
        database, PROJECTION.name, lambda sql: select_requests(sql, table, query)
    )
