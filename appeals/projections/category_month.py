"""Appeals received per category per month (Asia/Shanghai months): the worked
example of docs/projections.md, "Adding a report".

One counter row per (month, category), moved by each receipt. Rebuilding it
(``appeals projections rebuild category_month``) counts all history, so the
report exists for every month since the first appeal, not only since the day
the report was written. :func:`read_counts` answers the report.
"""

from __future__ import annotations

from typing import Any

from appeals.domain.appeal import Appeal
from appeals.infra.database import Database, Sql
from appeals.projections.lifecycle import shanghai_month, topics_of
from appeals.projections.reading import live_table, read
from appeals.projections.runtime.model import Change, Projection, Put, State, Table

CREATE_COUNTS = """
CREATE TABLE IF NOT EXISTS {table} (
    month TEXT NOT NULL,
    category TEXT NOT NULL,
    appeals INTEGER NOT NULL,
    PRIMARY KEY (month, category)
)
"""

COUNTS = Table(
    name="category_month",
    columns=("month", "category", "appeals"),
    key=("month", "category"),
    create=CREATE_COUNTS,
)


def apply(event: Appeal.Received, state: State) -> list[Change]:
    """One more appeal in the receipt's month and category."""
    key = (shanghai_month(event.timestamp), event.category)
    row = state.get(COUNTS, key)
    count = 0 if row is None else row["appeals"]
    return [Put(COUNTS, {"month": key[0], "category": key[1], "appeals": count + 1})]


PROJECTION = Projection(
    name="category_month",
    tables=(COUNTS,),
    topics=topics_of(Appeal.Received),
    apply=apply,
    description="appeals received per category per month",
)

# ---- reading ------------------------------------------------------------------

SELECT_COUNTS = (
    "SELECT month, category, appeals FROM {table}{where} ORDER BY month, category"
)


def select_counts(
    sql: Sql,
    table: str,
    *,
    first: str | None = None,
    last: str | None = None,
    category: str | None = None,
) -> list[dict[str, Any]]:
    """Counts for months ``first``..``last`` (``YYYY-MM``, both inclusive)."""
    conditions: list[str] = []
    params: list[str] = []
    for condition, value in (
        ("month >= ?", first),
        ("month <= ?", last),
        ("category = ?", category),
    ):
        if value is not None:
            conditions.append(condition)
            params.append(value)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = sql.execute(SELECT_COUNTS.format(table=table, where=where), params).all()
    return [dict(zip(COUNTS.columns, row, strict=True)) for row in rows]


def read_counts(
    database: Database, first: str | None, last: str | None, category: str | None
) -> tuple[int, list[dict[str, Any]]]:
    """The view's position and its counts (see :func:`select_counts`)."""
    table = live_table(database, COUNTS)
    return read(
        database,
        PROJECTION.name,
        lambda sql: select_counts(
            sql, table, first=first, last=last, category=category
        ),
    )
