"""Counts of changes per period of a view's rows (a month of deadlines, a day
of completions): how many times a row of the period was written. A period
whose count has not moved has not changed, so what a reader counted of it
may be used again (:class:`appeals.projections.reading.Remembered`). Kept
per ``part`` of a split rebuild (0 live) and summed by the reader
(``Projection.summed_by_part``).

Periods are prefixes of the stored (UTC) instants: ``YYYY-MM`` or
``YYYY-MM-DD``; a period of the reader's time zone overlaps one or two.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from appeals.infra.database import Database, Sql
from appeals.projections.lifecycle import stored_instant
from appeals.projections.reading import live_table
from appeals.projections.runtime.model import Change, Put, State, Table

CREATE = """
CREATE TABLE IF NOT EXISTS {table} (
    period TEXT NOT NULL,
    part INTEGER NOT NULL,
    changes BIGINT NOT NULL,
    PRIMARY KEY (period, part)
)
"""
US = timedelta(microseconds=1)


def counter_table(name: str) -> Table:
    """A view's table of changes per period."""
    return Table(
        name=name,
        columns=("period", "part", "changes"),
        key=("period", "part"),
        create=CREATE,
    )


def counted(state: State, table: Table, periods: Iterable[str]) -> list[Change]:
    """One more change in each of ``periods`` (this part's rows)."""
    changes: list[Change] = []
    for period in sorted(set(periods)):
        found = state.get(table, (period, state.part))
        done = 0 if found is None else found["changes"]
        row = {"period": period, "part": state.part, "changes": done + 1}
        changes.append(Put(table, row))
    return changes


def versions(
    sql: Sql,
    database: Database,
    table: Table,
    spans: Sequence[tuple[datetime, datetime]],
    width: int,
) -> list[tuple[int, ...]]:
    """Per span [start, end), the counts of changes of each period of
    ``width`` characters (7: months, 10: days) it overlaps."""
    overlaps = []
    for start, end in spans:
        first, last = stored_instant(start)[:width], stored_instant(end - US)[:width]
        overlaps.append((first, last) if first != last else (first,))
    if not overlaps:
        return []
    statement = (
        f"SELECT period, SUM(changes) FROM {live_table(database, table)} "
        "WHERE period >= ? AND period <= ? GROUP BY period"
    )
    found = sql.execute(statement, [overlaps[0][0], overlaps[-1][-1]]).all()
    counts = {str(period): int(n) for period, n in found}
    return [tuple(counts.get(p, 0) for p in periods) for periods in overlaps]
