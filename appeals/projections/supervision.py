"""The supervision view (督办): every order a rung of the escalation ladder
issued, to whom, whether it was answered, and until when its stage ran late.

An order is a rung (``Escalated``) recorded with its addressee and reply
deadline (appeals.domain.late_stages); ``OrderAnswered`` answers it. It is
*settled* once the deadline it was about is no longer running (the stage was
done, ended, or its deadline moved by a pause or an extension), read from
the same :class:`~appeals.domain.timeliness.TimelinessFold` the timeliness
view keeps. Rungs recorded before orders existed are kept with no addressee
and no reply deadline.

Readers: :func:`orders` (``GET /supervision/orders``), :func:`overdue_orders`
(the scheduler: unanswered past their reply deadline, so the next rung is
recorded at once) and :func:`notice_rows` (the monthly 通报: orders of the
ladder's last rung whose stage was still late at some time in the month).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from appeals.domain.appeal import Appeal
from appeals.domain.timeliness import StageCycle, TimelinessFold
from appeals.infra.database import Database, Sql
from appeals.projections.lifecycle import (
    APPEAL_EVENTS,
    read_instant,
    stored_instant,
    stored_or_none,
    topics_of,
)
from appeals.projections.reading import live_table, read
from appeals.projections.runtime.model import (
    Apply,
    Change,
    Projection,
    Put,
    State,
    Table,
)
from appeals.projections.timeliness import advance, fold_table

NAME = "supervision"

FOLDS = fold_table("supervision_folds")
CREATE_ORDERS = """
CREATE TABLE IF NOT EXISTS {table} (
    appeal_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    due TEXT NOT NULL,
    level INTEGER NOT NULL,
    ticket TEXT NOT NULL,
    uscc TEXT NOT NULL,
    category TEXT NOT NULL,
    unit TEXT,
    addressee_kind TEXT,
    addressee_unit TEXT,
    addressee TEXT,
    issued_at TEXT NOT NULL,
    reply_due TEXT,
    answered_at TEXT,
    answer_by TEXT,
    settled_at TEXT,
    PRIMARY KEY (appeal_id, stage, due, level)
)
"""
INDEX_OPEN = "CREATE INDEX IF NOT EXISTS {name}_open ON {table} (settled_at, reply_due)"
INDEX_LEVEL = "CREATE INDEX IF NOT EXISTS {name}_level ON {table} (level, issued_at)"
ORDER_COLUMNS = (
    "appeal_id",
    "stage",
    "due",
    "level",
    "ticket",
    "uscc",
    "category",
    "unit",
    "addressee_kind",
    "addressee_unit",
    "addressee",
    "issued_at",
    "reply_due",
    "answered_at",
    "answer_by",
    "settled_at",
)
ORDERS = Table(
    name="supervision_orders",
    columns=ORDER_COLUMNS,
    key=("appeal_id", "stage", "due", "level"),
    create=CREATE_ORDERS,
    indexes=(INDEX_OPEN, INDEX_LEVEL),
)
CREATE_OPEN = """
CREATE TABLE IF NOT EXISTS {table} (
    appeal_id TEXT NOT NULL PRIMARY KEY,
    orders TEXT NOT NULL
)
"""
OPEN = Table(
    name="supervision_open",
    columns=("appeal_id", "orders"),
    key=("appeal_id",),
    create=CREATE_OPEN,
    per_appeal=True,
)
"""Per appeal, the keys ``[stage, due, level]`` of its unsettled orders."""


def _running(fold: TimelinessFold, stage: str, due: str) -> StageCycle | None:
    """The open cycle of ``stage`` if its deadline is still ``due``."""
    index = fold.open_index.get(stage)
    if index is None:
        return None
    cycle = fold.cycles[index]
    return cycle if stored_instant(cycle.due) == due else None


def make_apply() -> Apply:

    def apply(event: Any, state: State) -> list[Change]:
        row, _, after = advance(event, state, FOLDS)
        appeal_id = row["appeal_id"]
        changes: list[Change] = [Put(FOLDS, row)]
        kept = state.get(OPEN, (appeal_id,))
        keys: list[list[Any]] = [] if kept is None else orjson.loads(kept["orders"])
        at = stored_instant(event.timestamp)
        if isinstance(event, Appeal.Escalated):
            due = stored_instant(event.due)
            running = _running(after, event.stage, due)
            order = {
                "appeal_id": appeal_id,
                "stage": event.stage,
                "due": due,
                "level": event.level,
                "ticket": row["ticket"],
                "uscc": row["uscc"],
                "category": row["category"],
                "unit": None if running is None else running.unit,
                "addressee_kind": getattr(event, "addressee_kind", None),
                "addressee_unit": getattr(event, "addressee_unit", None),
                "addressee": getattr(event, "addressee", None),
                "issued_at": at,
                "reply_due": stored_or_none(getattr(event, "reply_due", None)),
                "answered_at": None,
                "answer_by": None,
                "settled_at": None if running is not None else at,
            }
            changes.append(Put(ORDERS, order))
            if running is not None:
                keys.append([event.stage, due, event.level])
        elif isinstance(event, Appeal.OrderAnswered):
            key = (appeal_id, event.stage, stored_instant(event.due), event.level)
            answered = state.get(ORDERS, key)
            if answered is not None:
                by = event.actor.get("unit") or event.actor.get("role")
                changes.append(
                    Put(ORDERS, {**answered, "answered_at": at, "answer_by": by})
                )
        still: list[list[Any]] = []
        for stage, due, level in keys:
            if _running(after, stage, due) is not None:
                still.append([stage, due, level])
                continue
            settled = state.get(ORDERS, (appeal_id, stage, due, level))
            if settled is not None:
                changes.append(Put(ORDERS, {**settled, "settled_at": at}))
        if still or kept is not None:
            orders = orjson.dumps(still).decode()
            changes.append(Put(OPEN, {"appeal_id": appeal_id, "orders": orders}))
        return changes

    return apply


PROJECTION = Projection(
    name=NAME,
    tables=(FOLDS, ORDERS, OPEN),
    topics=topics_of(*APPEAL_EVENTS, Appeal.OrderAnswered),
    apply=make_apply(),
    description="supervision orders (督办单): addressees, answers, the 通报 list",
    cost=3,
    by_appeal=True,
)


# ---- reading ------------------------------------------------------------------

INSTANTS = ("due", "issued_at", "reply_due", "answered_at", "settled_at")


def _order(values: Sequence[Any]) -> dict[str, Any]:
    row = dict(zip(ORDER_COLUMNS, values, strict=True))
    for column in INSTANTS:
        if row[column] is not None:
            row[column] = read_instant(row[column]).isoformat()
    return row


def orders(
    database: Database,
    *,
    settled: bool = False,
    equals: Sequence[tuple[str, str]] = (),
    limit: int = 500,
) -> tuple[int, list[dict[str, Any]]]:
    """Orders whose stage still runs late (or, with ``settled``, every one),
    the oldest first; ``equals`` on ``unit``, ``addressee_unit``,
    ``addressee``, ``stage`` or ``level``."""
    allowed = {"unit", "addressee_unit", "addressee", "stage", "level"}
    conditions = [] if settled else ["settled_at IS NULL"]
    params: list[Any] = []
    for column, value in equals:
        if column not in allowed:
            raise ValueError(f"cannot filter on {column!r}")
        conditions.append(f"{column} = ?")
        params.append(int(value) if column == "level" else value)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""

    def load(sql: Sql) -> list[dict[str, Any]]:
        statement = (
            f"SELECT {', '.join(ORDER_COLUMNS)} FROM {live_table(database, ORDERS)}"
            f"{where} ORDER BY issued_at, appeal_id, stage, level LIMIT ?"
        )
        return [_order(row) for row in sql.execute(statement, [*params, limit]).all()]

    return read(database, NAME, load)


@dataclass(frozen=True)
class OverdueOrder:
    """An unanswered order past its reply deadline on a still-running stage."""

    appeal_id: UUID
    ticket: str
    stage: str
    due: datetime
    level: int
    reply_due: datetime


SELECT_OVERDUE = (
    "SELECT appeal_id, ticket, stage, due, level, reply_due FROM {table} "
    "WHERE settled_at IS NULL AND answered_at IS NULL AND reply_due IS NOT NULL "
    "AND reply_due < ? ORDER BY reply_due, appeal_id"
)


def overdue_orders(database: Database, now: datetime) -> list[OverdueOrder]:
    """The scheduler's question: which orders went unanswered past their
    reply deadline (their stage still late)."""

    def load(sql: Sql) -> list[OverdueOrder]:
        statement = SELECT_OVERDUE.format(table=live_table(database, ORDERS))
        rows = sql.execute(statement, [stored_instant(now)]).all()
        return [
            OverdueOrder(
                UUID(appeal_id),
                ticket,
                stage,
                read_instant(due),
                int(level),
                read_instant(reply_due),
            )
            for appeal_id, ticket, stage, due, level, reply_due in rows
        ]

    return read(database, NAME, load)[1]


SELECT_NOTICE = (
    "SELECT {columns} FROM {table} WHERE level >= ? AND issued_at < ? "
    "AND (settled_at IS NULL OR settled_at >= ?) ORDER BY unit, issued_at, appeal_id"
)


def notice_rows(
    database: Database, level: int, start: datetime, end: datetime
) -> tuple[int, list[dict[str, Any]]]:
    """The 通报 list of [start, end): orders of ``level`` (the ladder's last
    rung) or above issued before ``end`` whose stage was still late at
    ``start`` or later."""

    def load(sql: Sql) -> list[dict[str, Any]]:
        statement = SELECT_NOTICE.format(
            columns=", ".join(ORDER_COLUMNS), table=live_table(database, ORDERS)
        )
        values = [level, stored_instant(end), stored_instant(start)]
        return [_order(row) for row in sql.execute(statement, values).all()]

    return read(database, NAME, load)
