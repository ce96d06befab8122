"""Counts of changes per hour of a view's rows (an hour of deadlines, an hour
of completions): how many times a row of the hour was written. A period
whose count has not moved has not changed, so what a reader counted of it
may be used again (:class:`appeals.projections.reading.Remembered`). Kept
per ``part`` of a split rebuild (0 live) and summed by the reader
(``Projection.summed_by_part``).

Periods are hours, prefixes of the stored (UTC) instants (``YYYY-MM-DDTHH``);
a reader's period (a day or a month of its time zone) overlaps some of them,
exactly the hours it holds when its zone is a whole number of hours from
UTC (Asia/Shanghai). Days of UTC, as kept before December 2026, made a
change to one of the reader's days count as a change to the day before or
after too (today's completions before 08:00 in Shanghai moved yesterday's
count); rows of such days left in a table are never written again, so they
change nothing a reader remembers.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, tzinfo

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
PERIOD = len("YYYY-MM-DDTHH")
"""A period: this many characters of a stored instant (its hour)."""


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


def day_spans(
    first: date, last: date, tz: tzinfo
) -> list[tuple[datetime, datetime, date]]:
    """Each day ``first``..``last`` of ``tz``: [its midnight, the next one),
    and the day (what a reader remembers per day counts in)."""
    spans = []
    day = first
    while day <= last:
        after = day + timedelta(days=1)
        start = datetime.combine(day, datetime.min.time(), tz)
        spans.append((start, datetime.combine(after, datetime.min.time(), tz), day))
        day = after
    return spans


def versions(
    sql: Sql,
    database: Database,
    table: Table,
    spans: Sequence[tuple[datetime, datetime]],
) -> list[tuple[tuple[str, int], ...]]:
    """Per span [start, end), the count of changes of each (UTC) hour it
    overlaps that has one: what moves when one of its rows is written."""
    if not spans:
        return []
    overlaps = [
        (stored_instant(start)[:PERIOD], stored_instant(end - US)[:PERIOD])
        for start, end in spans
    ]
    statement = (
        f"SELECT period, SUM(changes) FROM {live_table(database, table)} "
        "WHERE period >= ? AND period <= ? GROUP BY period ORDER BY period"
    )
    bounds = [min(first for first, _ in overlaps), max(last for _, last in overlaps)]
    found = [(str(hour), int(n)) for hour, n in sql.execute(statement, bounds).all()]
    hours = [hour for hour, _ in found]
    return [
        tuple(found[bisect_left(hours, first) : bisect_right(hours, last)])
        for first, last in overlaps
    ]
