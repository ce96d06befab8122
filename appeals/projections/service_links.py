"""The 挂钩服务 view: every link period (a cadre linked to an enterprise or
project from a start to an end) and every visit (走访), with the appeals filed
from it.

Readers:

- :func:`coverage` (``GET /reports/visits?month=``): per cadre and month,
  每月走访率 = linked enterprises visited in the month ÷ enterprises the cadre
  was linked to at some time in the month (links to projects count their
  enterprise), with the visits made and the problems they raised;
- :func:`unvisited` (``GET /reports/unvisited?days=N``): links in force today
  whose enterprise the cadre has not visited for N days (or ever);
- :func:`links_of` (the enterprise ledger): the cadres linked to an enterprise
  today.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from eventsourcing.utils import get_topic

from appeals.domain.rates import ratio
from appeals.domain.service_links import Link, Project, Visit
from appeals.infra.database import Database, Sql
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

NAME = "service_links"

CREATE_LINKS = """
CREATE TABLE IF NOT EXISTS {table} (
    cadre TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    period INTEGER NOT NULL,
    uscc TEXT NOT NULL,
    role TEXT NOT NULL,
    start_day TEXT NOT NULL,
    end_day TEXT,
    PRIMARY KEY (cadre, target_kind, target, period)
)
"""
INDEX_LINKS_USCC = "CREATE INDEX IF NOT EXISTS {name}_uscc ON {table} (uscc)"
LINK_COLUMNS = (
    "cadre",
    "target_kind",
    "target",
    "period",
    "uscc",
    "role",
    "start_day",
    "end_day",
)
LINKS = Table(
    name="service_links",
    columns=LINK_COLUMNS,
    key=("cadre", "target_kind", "target", "period"),
    create=CREATE_LINKS,
    indexes=(INDEX_LINKS_USCC,),
)
CREATE_HEADS = """
CREATE TABLE IF NOT EXISTS {table} (
    link_id TEXT NOT NULL PRIMARY KEY,
    cadre TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    periods INTEGER NOT NULL
)
"""
HEADS = Table(
    name="service_link_heads",
    columns=("link_id", "cadre", "target_kind", "target", "periods"),
    key=("link_id",),
    create=CREATE_HEADS,
)
"""Per link record, its key and how many periods it has had."""
CREATE_VISITS = """
CREATE TABLE IF NOT EXISTS {table} (
    visit_id TEXT NOT NULL PRIMARY KEY,
    cadre TEXT NOT NULL,
    unit TEXT NOT NULL,
    uscc TEXT NOT NULL,
    day TEXT NOT NULL,
    mode TEXT NOT NULL,
    problems INTEGER NOT NULL
)
"""
INDEX_VISITS_DAY = "CREATE INDEX IF NOT EXISTS {name}_day ON {table} (day)"
INDEX_VISITS_USCC = "CREATE INDEX IF NOT EXISTS {name}_uscc ON {table} (uscc, day)"
VISIT_COLUMNS = ("visit_id", "cadre", "unit", "uscc", "day", "mode", "problems")
VISITS = Table(
    name="service_visits",
    columns=VISIT_COLUMNS,
    key=("visit_id",),
    create=CREATE_VISITS,
    indexes=(INDEX_VISITS_DAY, INDEX_VISITS_USCC),
)


CREATE_PROJECTS = """
CREATE TABLE IF NOT EXISTS {table} (
    code TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    uscc TEXT NOT NULL,
    park TEXT NOT NULL,
    kind TEXT NOT NULL,
    investment INTEGER
)
"""
INDEX_PROJECTS_USCC = "CREATE INDEX IF NOT EXISTS {name}_uscc ON {table} (uscc)"
PROJECT_COLUMNS = ("code", "name", "uscc", "park", "kind", "investment")
PROJECTS = Table(
    name="service_projects",
    columns=PROJECT_COLUMNS,
    key=("code",),
    create=CREATE_PROJECTS,
    indexes=(INDEX_PROJECTS_USCC,),
    written_only=True,
)


def apply(event: Any, state: State) -> list[Change]:
    record_id = id_text(event.originator_id)
    head: dict[str, Any]
    visit: dict[str, Any]
    if isinstance(event, Link.Linked):
        head = {
            "link_id": record_id,
            "cadre": event.cadre,
            "target_kind": event.target_kind,
            "target": event.target,
            "periods": 1,
        }
        period = {
            "cadre": event.cadre,
            "target_kind": event.target_kind,
            "target": event.target,
            "period": 1,
            "uscc": event.uscc,
            "role": event.role,
            "start_day": event.start,
            "end_day": None,
        }
        return [Put(HEADS, head), Put(LINKS, period)]
    if isinstance(event, Link.Renewed | Link.Ended):
        head = dict(require(state, HEADS, (record_id,)))
        key = (head["cadre"], head["target_kind"], head["target"])
        last = dict(require(state, LINKS, (*key, head["periods"])))
        if isinstance(event, Link.Ended):
            return [Put(LINKS, {**last, "end_day": event.end})]
        head["periods"] = int(head["periods"]) + 1
        period = {
            **last,
            "period": head["periods"],
            "role": event.role,
            "start_day": event.start,
            "end_day": None,
        }
        return [Put(HEADS, head), Put(LINKS, period)]
    if isinstance(event, Visit.Recorded):
        visit = {
            "visit_id": record_id,
            "cadre": event.cadre,
            "unit": event.unit,
            "uscc": event.uscc,
            "day": event.day,
            "mode": event.mode,
            "problems": 0,
        }
        return [Put(VISITS, visit)]
    if isinstance(event, Project.Registered):
        row = {column: getattr(event, column) for column in PROJECT_COLUMNS}
        return [Put(PROJECTS, row)]
    if isinstance(event, Visit.ProblemRaised):
        visit = dict(require(state, VISITS, (record_id,)))
        return [Put(VISITS, {**visit, "problems": int(visit["problems"]) + 1})]
    return []


PROJECTION = Projection(
    name=NAME,
    tables=(LINKS, HEADS, VISITS, PROJECTS),
    topics=frozenset(
        get_topic(cls)
        for cls in (
            Link.Linked,
            Link.Renewed,
            Link.Ended,
            Visit.Recorded,
            Visit.ProblemRaised,
            Project.Registered,
        )
    ),
    apply=apply,
    description="挂钩服务: link periods and visits (走访)",
)


# ---- reading ------------------------------------------------------------------

OVERLAPPING = (
    "SELECT cadre, uscc FROM {table} WHERE target_kind = 'enterprise' "
    "AND start_day <= ? AND (end_day IS NULL OR end_day >= ?)"
)
"""Enterprise links in force at some time between two days (both inclusive)."""
VISITED = "SELECT cadre, uscc, problems FROM {table} WHERE day >= ? AND day <= ?"


def coverage(
    database: Database, first: date, last: date
) -> tuple[int, list[dict[str, Any]]]:
    """Per cadre, from ``first`` to ``last`` (a month): enterprises linked,
    visited, 每月走访率, visits and the problems they raised."""

    def load(sql: Sql) -> tuple[list[Any], list[Any]]:
        bounds = [last.isoformat(), first.isoformat()]
        links = sql.execute(
            OVERLAPPING.format(table=live_table(database, LINKS)), bounds
        ).all()
        visits = sql.execute(
            VISITED.format(table=live_table(database, VISITS)),
            [first.isoformat(), last.isoformat()],
        ).all()
        return list(links), list(visits)

    position, (links, visits) = read(database, NAME, load)
    linked: dict[str, set[str]] = defaultdict(set)
    for cadre, uscc in links:
        linked[cadre].add(uscc)
    seen: dict[str, set[str]] = defaultdict(set)
    made: dict[str, int] = defaultdict(int)
    raised: dict[str, int] = defaultdict(int)
    for cadre, uscc, problems in visits:
        seen[cadre].add(uscc)
        made[cadre] += 1
        raised[cadre] += int(problems)
    rows = []
    for cadre in sorted(set(linked) | set(made)):
        visited = seen[cadre] & linked[cadre]
        rows.append(
            {
                "cadre": cadre,
                "linked": len(linked[cadre]),
                "visited": len(visited),
                "coverage": ratio(len(visited), len(linked[cadre])),
                "visits": made[cadre],
                "problems": raised[cadre],
                "problems_per_visit": ratio(raised[cadre], made[cadre]),
                "not_visited": sorted(linked[cadre] - seen[cadre]),
            }
        )
    return position, rows


LAST_VISITS = "SELECT cadre, uscc, MAX(day) FROM {table} GROUP BY cadre, uscc"


def unvisited(
    database: Database, today: date, days: int
) -> tuple[int, list[dict[str, Any]]]:
    """Links in force ``today`` whose enterprise the cadre has not visited
    for ``days`` days (or ever), the longest first."""
    since = today - timedelta(days=days)

    def load(sql: Sql) -> tuple[list[Any], list[Any]]:
        day = today.isoformat()
        links = sql.execute(
            OVERLAPPING.format(table=live_table(database, LINKS)), [day, day]
        ).all()
        last = sql.execute(LAST_VISITS.format(table=live_table(database, VISITS)))
        return list(links), list(last.all())

    position, (links, last_visits) = read(database, NAME, load)
    last_of = {(cadre, uscc): day for cadre, uscc, day in last_visits}
    rows = [
        {"cadre": cadre, "uscc": uscc, "last_visit": last_of.get((cadre, uscc))}
        for cadre, uscc in sorted(set(links))
        if (last_of.get((cadre, uscc)) or "") < since.isoformat()
    ]
    rows.sort(key=lambda row: (row["last_visit"] or "", row["cadre"], row["uscc"]))
    return position, rows


SELECT_OF = (
    "SELECT {columns} FROM {table} WHERE uscc = ? AND start_day <= ? "
    "AND (end_day IS NULL OR end_day >= ?) ORDER BY role, cadre"
)


def _links_of(
    sql: Sql, database: Database, uscc: str, today: date
) -> list[dict[str, Any]]:
    statement = SELECT_OF.format(
        columns=", ".join(LINK_COLUMNS), table=live_table(database, LINKS)
    )
    day = today.isoformat()
    rows = sql.execute(statement, [uscc, day, day]).all()
    return [dict(zip(LINK_COLUMNS, row, strict=True)) for row in rows]


def links_of(
    database: Database, uscc: str, today: date
) -> tuple[int, list[dict[str, Any]]]:
    """The cadres linked to the enterprise (or to one of its projects) today."""
    return read(database, NAME, lambda sql: _links_of(sql, database, uscc, today))


SELECT_OF_CADRE = (
    "SELECT {columns} FROM {table} WHERE cadre = ? AND start_day <= ? "
    "AND (end_day IS NULL OR end_day >= ?) ORDER BY uscc, target_kind, target"
)


def links_of_cadre(
    database: Database, cadre: str, today: date
) -> tuple[int, list[dict[str, Any]]]:
    """The cadre's links in force today, each with the cadre's last visit to
    the enterprise (an ISO day, or None)."""

    def load(sql: Sql) -> list[dict[str, Any]]:
        statement = SELECT_OF_CADRE.format(
            columns=", ".join(LINK_COLUMNS), table=live_table(database, LINKS)
        )
        day = today.isoformat()
        rows = sql.execute(statement, [cadre, day, day]).all()
        links = [dict(zip(LINK_COLUMNS, row, strict=True)) for row in rows]
        last = sql.execute(
            "SELECT uscc, MAX(day) FROM "
            + live_table(database, VISITS)
            + " WHERE cadre = ? GROUP BY uscc",
            [cadre],
        ).all()
        visited = dict(last)
        for link in links:
            link["last_visit"] = visited.get(link["uscc"])
        return links

    return read(database, NAME, load)


def profile_of(
    database: Database, uscc: str, today: date, visits: int = 10
) -> tuple[int, dict[str, Any]]:
    """An enterprise's 挂钩服务 at a glance: its links in force today, its
    projects and its latest ``visits`` visits."""

    def load(sql: Sql) -> dict[str, Any]:
        projects = sql.execute(
            f"SELECT {', '.join(PROJECT_COLUMNS)} FROM "
            f"{live_table(database, PROJECTS)} WHERE uscc = ? ORDER BY code",
            [uscc],
        ).all()
        recent = sql.execute(
            f"SELECT {', '.join(VISIT_COLUMNS)} FROM "
            f"{live_table(database, VISITS)} WHERE uscc = ? "
            "ORDER BY day DESC, visit_id LIMIT ?",
            [uscc, visits],
        ).all()
        return {
            "linked": _links_of(sql, database, uscc, today),
            "projects": [dict(zip(PROJECT_COLUMNS, r, strict=True)) for r in projects],
            "recent_visits": [dict(zip(VISIT_COLUMNS, r, strict=True)) for r in recent],
        }

    return read(database, NAME, load)
