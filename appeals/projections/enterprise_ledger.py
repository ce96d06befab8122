"""The enterprise ledger (问题台账, "一企业一台账"): per credit code, its appeals
and a summary — how many, how many still open, the last activity, and how the
enterprise judged the results.

Satisfaction counts every evaluation (每次回访): an appeal reopened after an
unsatisfied evaluation and then judged satisfied counts once in each column,
so a reopen never hides the first verdict. The reader (:func:`read_ledger`,
:func:`export`) answers ``GET /enterprises/{uscc}/ledger``; its overdue count
comes from the timeliness view, through the overdue reader.

The summary is kept per ``part`` (``Projection.summed_by_part``): counters
summed by the reader, the last activity its greatest. So a rebuild splits the
ledger by appeal over its processes like the views of one appeal's rows, and
no process is left folding it alone (measured: at ten million events it was
the costliest view not split, 62.5 s a million events). The name shown is
chosen by the reader: the registered one (登记名称, rows written by the
registry's events, in the part that holds the enterprise), else the one given
on the enterprise's newest appeal.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from appeals.domain.appeal import Appeal
from appeals.domain.organisation import Enterprise
from appeals.domain.values import Satisfaction
from appeals.infra.database import Database, Sql
from appeals.projections import overdue
from appeals.projections.lifecycle import (
    APPEAL_EVENTS,
    is_open,
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
    PART,
    Change,
    Projection,
    Put,
    State,
    Table,
    id_text,
    require,
)

CREATE_APPEALS = """
CREATE TABLE IF NOT EXISTS {table} (
    appeal_id TEXT NOT NULL PRIMARY KEY,
    uscc TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    ticket TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    unit TEXT,
    received_at TEXT NOT NULL,
    last_activity TEXT NOT NULL,
    satisfaction TEXT
)
"""
INDEX_APPEALS_BY_USCC = (
    "CREATE INDEX IF NOT EXISTS {name}_by_uscc "
    "ON {table} (uscc, received_at, appeal_id)"
)
CREATE_ENTERPRISES = f"""
CREATE TABLE IF NOT EXISTS {{table}} (
    uscc TEXT NOT NULL,
    {PART} INTEGER NOT NULL,
    appeals INTEGER NOT NULL,
    open_appeals INTEGER NOT NULL,
    last_activity TEXT NOT NULL,
    satisfied INTEGER NOT NULL,
    basically_satisfied INTEGER NOT NULL,
    unsatisfied INTEGER NOT NULL,
    PRIMARY KEY (uscc, {PART})
)
"""

APPEALS = Table(
    name="ledger_appeals",
    columns=(
        "appeal_id",
        "uscc",
        "enterprise_name",
        "ticket",
        "title",
        "status",
        "unit",
        "received_at",
        "last_activity",
        "satisfaction",
    ),
    key=("appeal_id",),
    per_appeal=True,
    create=CREATE_APPEALS,
    indexes=(INDEX_APPEALS_BY_USCC,),
)
CREATE_REGISTERED = """
CREATE TABLE IF NOT EXISTS {table} (
    uscc TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL
)
"""
REGISTERED = Table(
    name="ledger_registered_names",
    columns=("uscc", "name"),
    key=("uscc",),
    create=CREATE_REGISTERED,
    written_only=True,
)
"""The registered name of each enterprise in the registry (登记名称): the
ledger shows it, never a name typed at intake. Written only by the
enterprise's own events, so a split rebuild writes each row in one part;
never read by the fold (the reader picks the name), so never carried."""

ENTERPRISES = Table(
    name="ledger_enterprises",
    columns=(
        "uscc",
        PART,
        "appeals",
        "open_appeals",
        "last_activity",
        "satisfied",
        "basically_satisfied",
        "unsatisfied",
    ),
    key=("uscc", PART),
    create=CREATE_ENTERPRISES,
    greatest=("last_activity",),
)
"""Per enterprise and part, its counters and its last activity."""

SATISFACTION_COLUMNS = {
    Satisfaction.SATISFIED.value: "satisfied",
    Satisfaction.BASIC.value: "basically_satisfied",
    Satisfaction.UNSATISFIED.value: "unsatisfied",
}


def apply(event: Any, state: State) -> list[Change]:
    """The appeal's ledger line and its enterprise's summary after ``event``."""
    if isinstance(event, Enterprise.Registered | Enterprise.Renamed):
        return [Put(REGISTERED, {"uscc": event.uscc, "name": event.name})]
    at = stored_instant(event.timestamp)
    if isinstance(event, Appeal.Received):
        return received(event, state, at)
    appeal = dict(require(state, APPEALS, (id_text(event.originator_id),)))
    enterprise = dict(require(state, ENTERPRISES, (appeal["uscc"], state.part)))
    before = appeal["status"]
    appeal["status"] = status_after(event) or before
    appeal["last_activity"] = max(appeal["last_activity"], at)
    if isinstance(event, Appeal.Assigned):
        appeal["unit"] = event.unit
    elif isinstance(event, Appeal.Returned):
        appeal["unit"] = None
    elif isinstance(event, Appeal.Evaluated):
        appeal["satisfaction"] = event.satisfaction
        column = SATISFACTION_COLUMNS[event.satisfaction]
        enterprise[column] += 1
    elif isinstance(event, Appeal.Reopened):
        appeal["satisfaction"] = None
    enterprise["open_appeals"] += int(is_open(appeal["status"])) - int(is_open(before))
    enterprise["last_activity"] = max(enterprise["last_activity"], at)
    return [Put(APPEALS, appeal), Put(ENTERPRISES, enterprise)]


def received(event: Appeal.Received, state: State, at: str) -> list[Change]:
    appeal = {
        "appeal_id": id_text(event.originator_id),
        "uscc": event.uscc,
        "enterprise_name": event.enterprise_name,
        "ticket": event.ticket,
        "title": event.title,
        "status": status_after(event),
        "unit": None,
        "received_at": at,
        "last_activity": at,
        "satisfaction": None,
    }
    known = state.get(ENTERPRISES, (event.uscc, state.part))
    enterprise: dict[str, Any] = (
        dict(known)
        if known is not None
        else {
            "uscc": event.uscc,
            PART: state.part,
            "appeals": 0,
            "open_appeals": 0,
            "last_activity": at,
            "satisfied": 0,
            "basically_satisfied": 0,
            "unsatisfied": 0,
        }
    )
    enterprise["appeals"] += 1
    enterprise["open_appeals"] += 1
    enterprise["last_activity"] = max(enterprise["last_activity"], at)
    return [Put(APPEALS, appeal), Put(ENTERPRISES, enterprise)]


PROJECTION = Projection(
    name="enterprise_ledger",
    tables=(APPEALS, ENTERPRISES, REGISTERED),
    topics=topics_of(*APPEAL_EVENTS) | {"Enterprise.Registered", "Enterprise.Renamed"},
    apply=apply,
    description="问题台账: per credit code, its appeals and their outcome",
    cost=2,
    summed_by_part=True,
)

# ---- reading ------------------------------------------------------------------

OVER_PARTS = tuple(c for c in ENTERPRISES.columns if c not in ENTERPRISES.key)
SELECT_ENTERPRISE = (
    f"SELECT {', '.join(ENTERPRISES.combined(c) for c in OVER_PARTS)} "
    "FROM {table} WHERE uscc = ?"
)
SELECT_NAME = (
    "SELECT COALESCE((SELECT name FROM {registered} WHERE uscc = ?), "
    "(SELECT enterprise_name FROM {appeals} WHERE uscc = ? "
    "ORDER BY received_at DESC, appeal_id DESC LIMIT 1))"
)
"""The registered name, else the one given on the newest appeal (an
enterprise on appeals from before the registry)."""
SELECT_APPEALS = (
    "SELECT {columns} FROM {table} WHERE uscc = ?{after} "
    "ORDER BY received_at DESC, appeal_id DESC LIMIT ?"
)
AFTER = " AND (received_at, appeal_id) < (?, ?)"


def select_enterprise(sql: Sql, table: str, uscc: str) -> dict[str, Any]:
    """The enterprise's counters summed over its parts (none when it has no
    appeal)."""
    row = sql.execute(SELECT_ENTERPRISE.format(table=table), (uscc,)).one()
    if row is None or row[0] is None:
        return {}
    return dict(zip(OVER_PARTS, row, strict=True))


def select_name(sql: Sql, registered: str, appeals: str, uscc: str) -> str | None:
    statement = SELECT_NAME.format(registered=registered, appeals=appeals)
    row = sql.execute(statement, (uscc, uscc)).one()
    return None if row is None else row[0]


def select_appeals(
    sql: Sql, table: str, uscc: str, after: tuple[str, str] | None, limit: int
) -> list[dict[str, Any]]:
    """The enterprise's appeals, newest first, after a keyset position."""
    statement = SELECT_APPEALS.format(
        columns=", ".join(APPEALS.columns),
        table=table,
        after=AFTER if after is not None else "",
    )
    params: list[Any] = [uscc, *(after or ()), limit]
    rows = sql.execute(statement, params).all()
    return [dict(zip(APPEALS.columns, row, strict=True)) for row in rows]


def read_ledger(
    database: Database, uscc: str, after: SortKey | None, limit: int, now: datetime
) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    """The view's position, the enterprise's summary (its overdue appeals at
    ``now`` included) and a page of its appeals, newest first, with one row
    more than ``limit`` when a next page exists."""
    appeals = live_table(database, APPEALS)
    summaries = live_table(database, ENTERPRISES)
    names = live_table(database, REGISTERED)

    def load(sql: Sql) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        # Tables in the order a rebuild's swap locks them: a reader holding
        # the second while waiting for the first could deadlock with it.
        found = select_appeals(sql, appeals, uscc, after, limit + 1)
        counted = select_enterprise(sql, summaries, uscc)
        if counted:
            counted["enterprise_name"] = select_name(sql, names, appeals, uscc)
        return counted, found

    seen, (found, rows) = read(database, PROJECTION.name, load)
    late = overdue.count_appeals(database, now, uscc)
    return seen, summary(uscc, found, late), rows


def summary(uscc: str, row: dict[str, Any], late: int) -> dict[str, Any]:
    """The ledger's head: counts, last activity and satisfaction verdicts."""
    counts = {column: row.get(column, 0) for column in SATISFACTION_COLUMNS.values()}
    last = row.get("last_activity")
    return {
        "uscc": uscc,
        "name": row.get("enterprise_name"),
        "appeals": row.get("appeals", 0),
        "open_appeals": row.get("open_appeals", 0),
        "overdue_appeals": late,
        "last_activity": read_instant(last).isoformat() if last else None,
        "satisfaction": {**counts, "evaluations": sum(counts.values())},
    }


def export(database: Database, uscc: str) -> tuple[int, Iterator[dict[str, Any]]]:
    """The view's position and every appeal of the enterprise, newest first
    (read page by page, lazily, for a CSV export)."""
    table = live_table(database, APPEALS)

    def page(sql: Sql, after: SortKey | None, limit: int) -> list[dict[str, Any]]:
        return select_appeals(sql, table, uscc, after, limit)

    seen = position(database, PROJECTION.name)
    return seen, (row for rows in keyset_pages(database, page) for row in rows)
