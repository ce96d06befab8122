"""The overdue reader, over the timeliness view's cycles (split from
:mod:`appeals.projections.timeliness`, which owns the table and its fold).

Answers "which running stages are past their deadline now, and by how much":
``GET /reports/overdue`` (ageing buckets of working days), the appeal list's
``overdue=true`` filter and the enterprise ledger's overdue count. Lateness
of open stages grows with the clock, so it is measured when read, with the
ledger's official calendar. The centre's late dispatches (stage
``dispatch``, unit ``CENTRE_UNIT``) are listed like a unit's late stages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from appeals.domain import late_stages
from appeals.domain.deadlines import Timekeeping
from appeals.infra.database import Database, Sql
from appeals.projections.lifecycle import read_instant, stored_instant
from appeals.projections.reading import live_table, read
from appeals.projections.timeliness import (
    CYCLE_COLUMNS,
    CYCLES,
    NAME,
    RUNNING_LATE_STAGES,
    filter_conditions,
)

LATE_STAGES = late_stages.LATE_STAGES
LATE = "FROM {table} WHERE " + RUNNING_LATE_STAGES + " AND due < ?"
"""Running stage cycles (evaluation windows aside) past their deadline, read
from their partial index (``INDEX_RUNNING_LATE``)."""
SELECT_LATE = "SELECT {columns} " + LATE + "{where} ORDER BY due, appeal_id, stage"
COUNT_LATE = "(SELECT COUNT(*) " + LATE + "{where} AND due <= ?{older})"
OVERDUE_APPEALS = "SELECT appeal_id " + LATE
BUCKETS = (("under_1", 0, 1), ("1_to_3", 1, 3), ("3_to_5", 3, 5), ("over_5", 5, None))
"""Ageing buckets: (name, from, to) in working days late."""


def select_late(
    sql: Sql,
    table: str,
    now: datetime,
    equals: Sequence[tuple[str, str]] = (),
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Open, running stage cycles past their deadline at ``now``, the
    longest overdue first (the first ``limit`` of them, if given)."""
    where, params = filter_conditions(equals)
    statement = SELECT_LATE.format(
        columns=", ".join(CYCLE_COLUMNS), table=table, where=where
    )
    values: list[Any] = [stored_instant(now), *params]
    if limit is not None:
        statement += " LIMIT ?"
        values.append(limit)
    rows = sql.execute(statement, values).all()
    return [dict(zip(CYCLE_COLUMNS, row, strict=True)) for row in rows]


def count_late(
    sql: Sql,
    table: str,
    now: datetime,
    edges: Sequence[datetime],
    equals: Sequence[tuple[str, str]] = (),
) -> list[int]:
    """How many of the cycles :func:`select_late` finds are due at or before
    each of ``edges`` (latest first). Counted in the database, between each
    edge and the next, so that each row of the index is stepped over once
    and only counted (a city's backlog is a hundred thousand rows), then
    added up from the oldest."""
    where, params = filter_conditions(equals)
    bounds = [stored_instant(edge) for edge in edges]
    parts, values = [], []
    for i, edge in enumerate(bounds):
        older = bounds[i + 1 : i + 2]  # none for the last: every one before
        parts.append(
            COUNT_LATE.format(
                table=table, where=where, older=" AND due > ?" if older else ""
            )
        )
        values += [stored_instant(now), *params, edge, *older]
    row = sql.execute("SELECT " + ", ".join(parts), values).one()
    assert row is not None
    between = [int(value) for value in row]
    return [sum(between[i:]) for i in range(len(between))]


def overdue_condition(database: Database) -> str:
    """A condition on ``appeal_id`` for other views' queries: overdue now
    (the one parameter is the stored instant of now)."""
    table = live_table(database, CYCLES)
    return f"appeal_id IN ({OVERDUE_APPEALS.format(table=table)})"


def count_appeals(database: Database, now: datetime, uscc: str) -> int:
    """How many of the enterprise's appeals have a running stage past its
    deadline at ``now``."""
    table = live_table(database, CYCLES)

    def load(sql: Sql) -> int:
        late = select_late(sql, table, now, [("uscc", uscc)])
        return len({row["appeal_id"] for row in late})

    return read(database, NAME, load)[1]


# ---- GET /reports/overdue ------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """Late running stages at ``now``: how many, per bucket, and the first
    ``limit`` of them (the longest overdue first)."""

    now: datetime
    total: int
    buckets: dict[str, int]
    items: list[dict[str, Any]]


def report(
    database: Database,
    tk: Timekeeping,
    now: datetime,
    equals: Sequence[tuple[str, str]],
    limit: int | None,
) -> tuple[int, Overdue]:
    """The view's position and the overdue report at ``now``."""
    table = live_table(database, CYCLES)
    # Buckets from three instants found once (the latest deadline that is 1,
    # 3 and 5 working days behind now), counted in the database: measuring
    # the working time of every late stage took most of this report's time.
    edges = [late_since(tk, now, low) for _, low, _ in BUCKETS]

    def load(sql: Sql) -> tuple[list[int], list[dict[str, Any]]]:
        counts = count_late(sql, table, now, edges, equals)
        return counts, select_late(sql, table, now, equals, limit)

    seen, (at_or_before, rows) = read(database, NAME, load)
    buckets = {
        name: at_or_before[i] - (at_or_before[i + 1] if i + 1 < len(edges) else 0)
        for i, (name, _, _) in enumerate(BUCKETS)
    }
    items = [overdue_item(row, edges, tk, now) for row in rows]
    return seen, Overdue(now, at_or_before[0], buckets, items)


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
    row: dict[str, Any], edges: Sequence[datetime], tk: Timekeeping, now: datetime
) -> dict[str, Any]:
    """A late stage as the report lists it, with its bucket (``edges``: the
    latest deadline of each bucket, as :func:`late_since` finds them)."""
    due = read_instant(row["due"])
    bucket = next(
        name
        for (name, _, _), edge in zip(reversed(BUCKETS), reversed(edges), strict=True)
        if due <= edge
    )
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
