"""The appeal list (工单列表): one row per appeal, as ``GET /appeals`` shows it
(and Open311's ``GET requests``: ``item`` is the catalogue item the appeal is
filed or routed under, its ``service_code``).

Answers "which appeals are where, with whom": filters on status, unit, cadre,
category, channel, priority, enterprise and receipt time, in a stable order
(receipt time, then id) paged by keyset, so page N costs the same as page 1
and a row never appears twice while appeals keep arriving.

The reader (:func:`read_page`, :func:`export`) answers the list's questions;
``overdue`` asks the timeliness view's cycles, through the overdue reader
(:func:`appeals.projections.overdue.overdue_condition`), in the same read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from appeals.domain.appeal import Appeal
from appeals.domain.divisions import locality_of
from appeals.domain.trends import Receipt
from appeals.infra.database import Database, Sql
from appeals.projections import overdue
from appeals.projections.lifecycle import (
    APPEAL_EVENTS,
    read_instant,
    status_after,
    stored_instant,
    topics_of,
)
from appeals.projections.reading import (
    SortKey,
    keyset_pages,
    live_table,
    position,
    read,
)
from appeals.projections.runtime.model import (
    Change,
    Projection,
    Put,
    Row,
    State,
    Table,
    id_text,
    require,
)

CREATE_APPEALS = """
CREATE TABLE IF NOT EXISTS {table} (
    appeal_id TEXT NOT NULL PRIMARY KEY,
    ticket TEXT NOT NULL,
    status TEXT NOT NULL,
    uscc TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    priority TEXT NOT NULL,
    title TEXT NOT NULL,
    unit TEXT,
    cadre TEXT,
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    paused INTEGER NOT NULL,
    extension_pending INTEGER NOT NULL,
    reopen_count INTEGER NOT NULL,
    return_count INTEGER NOT NULL,
    supervision_level INTEGER NOT NULL,
    needs_supervisor INTEGER NOT NULL,
    outcome TEXT,
    satisfaction TEXT,
    merged_into TEXT,
    version INTEGER NOT NULL,
    item TEXT
)
"""
# Every list is ordered by (received_at, appeal_id); the common filters lead.
INDEX_BY_RECEIPT = (
    "CREATE INDEX IF NOT EXISTS {name}_by_receipt ON {table} (received_at, appeal_id)"
)
INDEX_BY_STATUS = (
    "CREATE INDEX IF NOT EXISTS {name}_by_status "
    "ON {table} (status, received_at, appeal_id)"
)
INDEX_BY_UNIT = (
    "CREATE INDEX IF NOT EXISTS {name}_by_unit "
    "ON {table} (unit, received_at, appeal_id)"
)
INDEX_BY_USCC = (
    "CREATE INDEX IF NOT EXISTS {name}_by_uscc "
    "ON {table} (uscc, received_at, appeal_id)"
)

APPEALS = Table(
    name="appeal_list",
    columns=(
        "appeal_id",
        "ticket",
        "status",
        "uscc",
        "enterprise_name",
        "channel",
        "category",
        "priority",
        "title",
        "unit",
        "cadre",
        "received_at",
        "updated_at",
        "paused",
        "extension_pending",
        "reopen_count",
        "return_count",
        "supervision_level",
        "needs_supervisor",
        "outcome",
        "satisfaction",
        "merged_into",
        "version",
        "item",
    ),
    key=("appeal_id",),
    per_appeal=True,
    create=CREATE_APPEALS,
    indexes=(INDEX_BY_RECEIPT, INDEX_BY_STATUS, INDEX_BY_UNIT, INDEX_BY_USCC),
)

Update = Callable[[Any, Row], Mapping[str, Any]]

UPDATES: dict[type[Appeal.Event], Update] = {
    Appeal.Assigned: lambda e, row: {
        "unit": e.unit,
        "cadre": e.cadre,
        "item": e.item or row["item"],
    },
    Appeal.AnsweredOnTheSpot: lambda e, row: {"item": e.item},
    Appeal.Returned: lambda e, row: {
        "unit": None,
        "cadre": None,
        "paused": 0,
        "extension_pending": 0,
        "return_count": row["return_count"] + 1,
    },
    Appeal.Paused: lambda e, row: {"paused": 1},
    Appeal.Resumed: lambda e, row: {"paused": 0},
    Appeal.ExtensionRequested: lambda e, row: {"extension_pending": 1},
    Appeal.ExtensionApproved: lambda e, row: {"extension_pending": 0},
    Appeal.ExtensionRefused: lambda e, row: {"extension_pending": 0},
    Appeal.Supervised: lambda e, row: {
        "supervision_level": max(row["supervision_level"], e.level)
    },
    # The system's escalation for a missed deadline (its level only).
    Appeal.Escalated: lambda e, row: {
        "supervision_level": max(row["supervision_level"], e.level)
    },
    Appeal.Resolved: lambda e, row: {"outcome": e.outcome},
    Appeal.Evaluated: lambda e, row: {"satisfaction": e.satisfaction},
    Appeal.Reopened: lambda e, row: {
        "reopen_count": row["reopen_count"] + 1,
        "needs_supervisor": 0,
        "paused": 0,
        "outcome": None,
        "satisfaction": None,
    },
    Appeal.ReferredToSupervisor: lambda e, row: {"needs_supervisor": 1},
    Appeal.Closed: lambda e, row: {"needs_supervisor": 0},
    Appeal.Merged: lambda e, row: {"merged_into": str(e.into)},
}
"""What each event changes in the row besides status, time and version."""


def received_row(event: Appeal.Received) -> dict[str, Any]:
    at = stored_instant(event.timestamp)
    return {
        "appeal_id": id_text(event.originator_id),
        "ticket": event.ticket,
        "status": status_after(event),
        "uscc": event.uscc,
        "enterprise_name": event.enterprise_name,
        "channel": event.channel,
        "category": event.category,
        "priority": event.priority,
        "title": event.title,
        "unit": None,
        "cadre": None,
        "received_at": at,
        "updated_at": at,
        "paused": 0,
        "extension_pending": 0,
        "reopen_count": 0,
        "return_count": 0,
        "supervision_level": 0,
        "needs_supervisor": 0,
        "outcome": None,
        "satisfaction": None,
        "merged_into": None,
        "version": event.originator_version,
        "item": event.item,
    }


def apply(event: Appeal.Event, state: State) -> list[Change]:
    """The row after ``event``: the receipt creates it, later events update it."""
    if isinstance(event, Appeal.Received):
        return [Put(APPEALS, received_row(event))]
    row = require(state, APPEALS, (id_text(event.originator_id),))
    update = UPDATES.get(type(event))
    changed = dict(row)
    if update is not None:
        changed.update(update(event, row))
    changed["status"] = status_after(event) or row["status"]
    changed["updated_at"] = stored_instant(event.timestamp)
    changed["version"] = event.originator_version
    return [Put(APPEALS, changed)]


PROJECTION = Projection(
    name="appeal_list",
    tables=(APPEALS,),
    topics=topics_of(*APPEAL_EVENTS),
    apply=apply,
    description="one row per appeal, for GET /appeals",
    by_appeal=True,
)

# ---- reading ------------------------------------------------------------------

FILTER_COLUMNS = frozenset(
    {"unit", "cadre", "category", "channel", "priority", "uscc", "item"}
)
SELECT_PAGE = "SELECT {columns} FROM {table}{where} ORDER BY {order} LIMIT ?"


@dataclass(frozen=True)
class ListQuery:
    """Filters (all must hold), an order and a page of the appeal list.

    ``equals`` pairs a column of FILTER_COLUMNS with a value; a column may
    appear twice (a handler's own unit and the unit asked for). Receipt
    bounds are stored instants, ``received_from`` inclusive and
    ``received_before`` exclusive. ``after`` is the (received_at, appeal_id)
    of the last row of the previous page.
    """

    equals: tuple[tuple[str, str], ...] = ()
    statuses: tuple[str, ...] = ()
    received_from: str | None = None
    received_before: str | None = None
    newest_first: bool = True
    after: tuple[str, str] | None = None
    limit: int = 50
    # ``overdue_at``: only appeals with a running stage past its deadline at
    # that instant (from the timeliness view, read in the same transaction).
    overdue_at: datetime | None = None


def select_page(sql: Sql, table: str, query: ListQuery) -> list[dict[str, Any]]:
    """One page of rows, in the query's order."""
    conditions: list[str] = []
    params: list[Any] = []
    for column, value in query.equals:
        if column not in FILTER_COLUMNS:
            raise ValueError(f"cannot filter on {column!r}")
        conditions.append(f"{column} = ?")
        params.append(value)
    if query.statuses:
        conditions.append(f"status IN ({', '.join('?' for _ in query.statuses)})")
        params.extend(query.statuses)
    if query.received_from is not None:
        conditions.append("received_at >= ?")
        params.append(query.received_from)
    if query.received_before is not None:
        conditions.append("received_at < ?")
        params.append(query.received_before)
    if query.overdue_at is not None:
        conditions.append(overdue.overdue_condition(sql.database))
        params.append(stored_instant(query.overdue_at))
    direction = "DESC" if query.newest_first else "ASC"
    if query.after is not None:
        conditions.append(
            f"(received_at, appeal_id) {'<' if query.newest_first else '>'} (?, ?)"
        )
        params.extend(query.after)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    statement = SELECT_PAGE.format(
        columns=", ".join(APPEALS.columns),
        table=table,
        where=where,
        order=f"received_at {direction}, appeal_id {direction}",
    )
    rows = sql.execute(statement, [*params, query.limit]).all()
    return [dict(zip(APPEALS.columns, row, strict=True)) for row in rows]


def read_page(database: Database, query: ListQuery) -> tuple[int, list[dict[str, Any]]]:
    """The view's position and one page of rows, with one row more than
    ``query.limit`` when a next page exists."""
    table = live_table(database, APPEALS)
    wanted = replace(query, limit=query.limit + 1)
    return read(database, PROJECTION.name, lambda sql: select_page(sql, table, wanted))


def export(
    database: Database, query: ListQuery
) -> tuple[int, Iterator[dict[str, Any]]]:
    """The view's position and every row the query matches (read page by
    page, lazily, for a CSV export)."""
    table = live_table(database, APPEALS)

    def page(sql: Sql, after: SortKey | None, limit: int) -> list[dict[str, Any]]:
        return select_page(sql, table, replace(query, after=after, limit=limit))

    seen = position(database, PROJECTION.name)
    return seen, (row for rows in keyset_pages(database, page) for row in rows)


SELECT_RECEIPTS = (
    "SELECT received_at, category, unit, uscc FROM {table} "
    "WHERE received_at >= ? AND received_at < ?"
)

COUNT_RECEIPTS = (
    "SELECT category, substr(uscc, 3, 6), COUNT(*) FROM {table} "
    "WHERE received_at >= ? AND received_at < ? GROUP BY 1, 2"
)
"""Receipts per category and locality (``locality_of``: the credit code's
characters 3–8), counted in SQL."""


def received_counts(
    database: Database, start: datetime, end: datetime
) -> tuple[int, dict[tuple[str, str], int]]:
    """The view's position and how many appeals were received in [start,
    end) per (category, locality): what hotspots read of the receipts."""
    table = live_table(database, APPEALS)

    def load(sql: Sql) -> dict[tuple[str, str], int]:
        bounds = [stored_instant(start), stored_instant(end)]
        rows = sql.execute(COUNT_RECEIPTS.format(table=table), bounds).all()
        return {(str(c), str(loc)): int(n) for c, loc, n in rows}

    return read(database, PROJECTION.name, load)


def receipts(
    database: Database, start: datetime, end: datetime
) -> tuple[int, list[Receipt]]:
    """The view's position and every appeal received in [start, end), as
    volumes count it (the unit holding it now; the locality of its credit
    code, like the assessment view's)."""
    table = live_table(database, APPEALS)

    def load(sql: Sql) -> list[Receipt]:
        bounds = [stored_instant(start), stored_instant(end)]
        rows = sql.execute(SELECT_RECEIPTS.format(table=table), bounds).all()
        return [
            Receipt(read_instant(at), category, unit, locality_of(uscc))
            for at, category, unit, uscc in rows
        ]

    return read(database, PROJECTION.name, load)
