"""The directory view: the organisation's registries as people look them up
(``GET /units``, ``/cadres``, ``/enterprises``).

One row per unit, per cadre (with one row per posting: which unit, from
when, until when) and per enterprise, folded from the registries' events
(appeals.domain.organisation), so names shown are the current registered
ones while the events keep every earlier one. Lists are in code order,
filtered, and paged by keyset on the code (``after``: the last code of the
previous page), so page N costs what page 1 costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.utils import get_topic

from appeals.domain.organisation import Cadre, Enterprise, Unit
from appeals.infra.database import Database, Sql
from appeals.projections.lifecycle import stored_instant
from appeals.projections.reading import live_table, read
from appeals.projections.runtime.model import (
    Change,
    Projection,
    Put,
    Row,
    State,
    Table,
    require,
)

UNITS = Table(
    name="directory_units",
    columns=(
        "code",
        "name_zh",
        "name_en",
        "kind",
        "parent",
        "locality",
        "retired",
        "retired_reason",
        "registered_at",
        "updated_at",
        "version",
    ),
    key=("code",),
    create="""
CREATE TABLE IF NOT EXISTS {table} (
    code TEXT NOT NULL PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent TEXT,
    locality TEXT,
    retired INTEGER NOT NULL,
    retired_reason TEXT,
    registered_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
)
""",
    indexes=("CREATE INDEX IF NOT EXISTS {name}_by_parent ON {table} (parent, code)",),
)

CADRES = Table(
    name="directory_cadres",
    columns=(
        "code",
        "name",
        "unit",
        "roles",
        "since",
        "retired",
        "retired_reason",
        "registered_at",
        "updated_at",
        "version",
    ),
    key=("code",),
    create="""
CREATE TABLE IF NOT EXISTS {table} (
    code TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    roles TEXT NOT NULL,
    since TEXT NOT NULL,
    retired INTEGER NOT NULL,
    retired_reason TEXT,
    registered_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
)
""",
    indexes=("CREATE INDEX IF NOT EXISTS {name}_by_unit ON {table} (unit, code)",),
)
"""One row per cadre; ``unit`` and ``since`` are the current posting's,
``roles`` the role codes joined by ``;``."""

POSTINGS = Table(
    name="directory_postings",
    columns=("cadre", "since", "unit", "until"),
    key=("cadre", "since"),
    create="""
CREATE TABLE IF NOT EXISTS {table} (
    cadre TEXT NOT NULL,
    since TEXT NOT NULL,
    unit TEXT NOT NULL,
    until TEXT,
    PRIMARY KEY (cadre, since)
)
""",
    indexes=("CREATE INDEX IF NOT EXISTS {name}_by_unit ON {table} (unit, since)",),
)
"""Every posting of every cadre: ``until`` (exclusive) is None while current."""

ENTERPRISES = Table(
    name="directory_enterprises",
    columns=(
        "uscc",
        "name",
        "locality",
        "locality_overridden",
        "park",
        "size",
        "foreign_invested",
        "service_list",
        "registered_at",
        "updated_at",
        "version",
    ),
    key=("uscc",),
    create="""
CREATE TABLE IF NOT EXISTS {table} (
    uscc TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    locality TEXT NOT NULL,
    locality_overridden INTEGER NOT NULL,
    park TEXT NOT NULL,
    size TEXT,
    foreign_invested INTEGER NOT NULL,
    service_list TEXT,
    registered_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
)
""",
    indexes=(
        "CREATE INDEX IF NOT EXISTS {name}_by_locality ON {table} (locality, uscc)",
    ),
)

ROLE_SEPARATOR = ";"


# ---- the fold -------------------------------------------------------------------


def _touched(row: Row, event: Any) -> dict[str, Any]:
    return {
        **row,
        "updated_at": stored_instant(event.timestamp),
        "version": event.originator_version,
    }


def _registered(event: Any) -> dict[str, Any]:
    at = stored_instant(event.timestamp)
    return {"registered_at": at, "updated_at": at, "version": 1}


def apply_unit(event: Any, state: State) -> list[Change]:
    if isinstance(event, Unit.Registered):
        row = {
            "code": event.code,
            "name_zh": event.name_zh,
            "name_en": event.name_en,
            "kind": event.kind,
            "parent": event.parent,
            "locality": event.locality,
            "retired": 0,
            "retired_reason": None,
            **_registered(event),
        }
        return [Put(UNITS, row)]
    row = _touched(require(state, UNITS, (event.code,)), event)
    if isinstance(event, Unit.Renamed):
        row.update(name_zh=event.name_zh, name_en=event.name_en)
    elif isinstance(event, Unit.Updated):
        row.update(kind=event.kind, parent=event.parent, locality=event.locality)
    elif isinstance(event, Unit.Retired):
        row.update(retired=1, retired_reason=event.reason)
    elif isinstance(event, Unit.Reinstated):
        row.update(retired=0, retired_reason=None)
    return [Put(UNITS, row)]


def apply_cadre(event: Any, state: State) -> list[Change]:
    if isinstance(event, Cadre.Registered):
        row = {
            "code": event.code,
            "name": event.name,
            "unit": event.unit,
            "roles": ROLE_SEPARATOR.join(event.roles),
            "since": event.since,
            "retired": 0,
            "retired_reason": None,
            **_registered(event),
        }
        posting = {"cadre": event.code, "since": event.since, "unit": event.unit}
        return [Put(CADRES, row), Put(POSTINGS, {**posting, "until": None})]
    current = require(state, CADRES, (event.code,))
    row = _touched(current, event)
    changes: list[Change] = []
    if isinstance(event, Cadre.Renamed):
        row.update(name=event.name)
    elif isinstance(event, Cadre.Moved):
        ended = require(state, POSTINGS, (event.code, current["since"]))
        changes.append(Put(POSTINGS, {**ended, "until": event.on}))
        posting = {"cadre": event.code, "since": event.on, "unit": event.unit}
        changes.append(Put(POSTINGS, {**posting, "until": None}))
        row.update(unit=event.unit, since=event.on)
    elif isinstance(event, Cadre.RolesChanged):
        row.update(roles=ROLE_SEPARATOR.join(event.roles))
    elif isinstance(event, Cadre.Retired):
        row.update(retired=1, retired_reason=event.reason)
    elif isinstance(event, Cadre.Reinstated):
        row.update(retired=0, retired_reason=None)
    return [Put(CADRES, row), *changes]


def _details(event: Enterprise.Registered | Enterprise.Updated) -> dict[str, Any]:
    return {
        "locality": event.locality,
        "locality_overridden": int(event.locality_overridden),
        "park": event.park,
        "size": event.size,
        "foreign_invested": int(event.foreign_invested),
        "service_list": event.service_list,
    }


def apply_enterprise(event: Any, state: State) -> list[Change]:
    if isinstance(event, Enterprise.Registered):
        row = {
            "uscc": event.uscc,
            "name": event.name,
            **_details(event),
            **_registered(event),
        }
        return [Put(ENTERPRISES, row)]
    row = _touched(require(state, ENTERPRISES, (event.uscc,)), event)
    if isinstance(event, Enterprise.Renamed):
        row.update(name=event.name)
    elif isinstance(event, Enterprise.Updated):
        row.update(_details(event))
    return [Put(ENTERPRISES, row)]


def apply(event: Any, state: State) -> list[Change]:
    """The rows after one registry event."""
    if isinstance(event, Unit.Event):
        return apply_unit(event, state)
    if isinstance(event, Cadre.Event):
        return apply_cadre(event, state)
    return apply_enterprise(event, state)


EVENTS = (
    Unit.Registered, Unit.Renamed, Unit.Updated, Unit.Retired, Unit.Reinstated,
    Cadre.Registered, Cadre.Renamed, Cadre.Moved, Cadre.RolesChanged,
    Cadre.Retired, Cadre.Reinstated,
    Enterprise.Registered, Enterprise.Renamed, Enterprise.Updated,
)  # fmt: skip
"""Every registry event (the view reads them all)."""

PROJECTION = Projection(
    name="directory",
    tables=(UNITS, CADRES, POSTINGS, ENTERPRISES),
    topics=frozenset(get_topic(cls) for cls in EVENTS),
    apply=apply,
    description="registered units, cadres with postings, and enterprises",
)

# ---- reading ----------------------------------------------------------------------


@dataclass(frozen=True)
class UnitQuery:
    """Units of a ``kind``, directly under a ``parent``; retired ones only
    with ``include_retired``; the page after the code ``after``."""

    kind: str | None = None
    parent: str | None = None
    include_retired: bool = False
    after: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class CadreQuery:
    """Cadres serving in ``unit`` now, with ``role``."""

    unit: str | None = None
    role: str | None = None
    include_retired: bool = False
    after: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class EnterpriseQuery:
    """Enterprises in ``locality`` (a county-level code, or every county of a
    prefecture ``3205xx00``/province ``32xx0000`` code), in ``park``, on a
    ``service_list``, whose registered name contains ``name``; ``uscc``
    narrows to one (an enterprise's own scope)."""

    locality: str | None = None
    park: str | None = None
    service_list: str | None = None
    name: str | None = None
    uscc: str | None = None
    after: str | None = None
    limit: int = 50


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching itself (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _division_prefix(code: str) -> str:
    """What codes under ``code`` start with: a province's two digits, a
    prefecture's four, else the whole code."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def _page(
    sql: Sql,
    table: Table,
    name: str,
    conditions: list[str],
    params: list[Any],
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    key = table.key[0]
    if after is not None:
        conditions = [*conditions, f"{key} > ?"]
        params = [*params, after]
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    statement = (
        f"SELECT {', '.join(table.columns)} FROM {name}{where} ORDER BY {key} LIMIT ?"
    )
    rows = sql.execute(statement, [*params, limit]).all()
    return [dict(zip(table.columns, row, strict=True)) for row in rows]


def read_units(
    database: Database, query: UnitQuery
) -> tuple[int, list[dict[str, Any]]]:
    """The view's position and a page of units (one more row than
    ``query.limit`` when a next page exists)."""
    conditions: list[str] = []
    params: list[Any] = []
    for column, value in (("kind", query.kind), ("parent", query.parent)):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    if not query.include_retired:
        conditions.append("retired = 0")
    table = live_table(database, UNITS)
    return read(
        database,
        PROJECTION.name,
        lambda sql: _page(
            sql, UNITS, table, conditions, params, query.after, query.limit + 1
        ),
    )


def read_cadres(
    database: Database, query: CadreQuery
) -> tuple[int, list[dict[str, Any]]]:
    conditions: list[str] = []
    params: list[Any] = []
    if query.unit is not None:
        conditions.append("unit = ?")
        params.append(query.unit)
    if query.role is not None:
        sep = ROLE_SEPARATOR
        conditions.append(f"('{sep}' || roles || '{sep}') LIKE ? ESCAPE '\\'")
        params.append(f"%{sep}{_like(query.role)}{sep}%")
    if not query.include_retired:
        conditions.append("retired = 0")
    table = live_table(database, CADRES)
    return read(
        database,
        PROJECTION.name,
        lambda sql: _page(
            sql, CADRES, table, conditions, params, query.after, query.limit + 1
        ),
    )


def read_enterprises(
    database: Database, query: EnterpriseQuery
) -> tuple[int, list[dict[str, Any]]]:
    conditions: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("uscc", query.uscc),
        ("park", query.park),
        ("service_list", query.service_list),
    ):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    if query.locality is not None:
        prefix = _division_prefix(query.locality)
        conditions.append(f"substr(locality, 1, {len(prefix)}) = ?")
        params.append(prefix)
    if query.name is not None:
        conditions.append("name LIKE ? ESCAPE '\\'")
        params.append(f"%{_like(query.name)}%")
    table = live_table(database, ENTERPRISES)
    return read(
        database,
        PROJECTION.name,
        lambda sql: _page(
            sql, ENTERPRISES, table, conditions, params, query.after, query.limit + 1
        ),
    )


def _one(sql: Sql, table: Table, name: str, key: str) -> dict[str, Any] | None:
    column = table.key[0]
    row = sql.execute(
        f"SELECT {', '.join(table.columns)} FROM {name} WHERE {column} = ?", [key]
    ).one()
    return None if row is None else dict(zip(table.columns, row, strict=True))


def read_unit(database: Database, code: str) -> tuple[int, dict[str, Any] | None]:
    """The view's position and the unit's row (None if not registered)."""
    table = live_table(database, UNITS)
    return read(database, PROJECTION.name, lambda sql: _one(sql, UNITS, table, code))


def read_cadre(database: Database, code: str) -> tuple[int, dict[str, Any] | None]:
    """The view's position and the cadre's row with its ``postings`` (oldest
    first), or None if not registered."""
    cadres = live_table(database, CADRES)
    postings = live_table(database, POSTINGS)

    def load(sql: Sql) -> dict[str, Any] | None:
        row = _one(sql, CADRES, cadres, code)
        if row is None:
            return None
        found = sql.execute(
            f"SELECT unit, since, until FROM {postings} WHERE cadre = ? ORDER BY since",
            [code],
        ).all()
        row["postings"] = [
            {"unit": unit, "since": since, "until": until}
            for unit, since, until in found
        ]
        return row

    return read(database, PROJECTION.name, load)


def read_enterprise(database: Database, uscc: str) -> tuple[int, dict[str, Any] | None]:
    table = live_table(database, ENTERPRISES)
    return read(
        database, PROJECTION.name, lambda sql: _one(sql, ENTERPRISES, table, uscc)
    )


def read_unit_codes(database: Database) -> tuple[int, list[str]]:
    """Every unit's code in the view (retired ones included), in order."""
    table = live_table(database, UNITS)

    def load(sql: Sql) -> list[str]:
        return [
            str(row[0])
            for row in sql.execute(f"SELECT code FROM {table} ORDER BY code").all()
        ]

    return read(database, PROJECTION.name, load)


def split_roles(roles: str) -> list[str]:
    """A row's ``roles`` back as a list."""
    return [role for role in roles.split(ROLE_SEPARATOR) if role]
