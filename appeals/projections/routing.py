"""Routing (派单): how well the catalogue and the dispatchers route appeals.

Per month (Asia/Shanghai, the month of each event), catalogue item and unit:
assignments (交办), of which first dispatches and re-dispatches after a return
(退单), returns, acceptances (签收) and the working time they took, and the
appeals the centre answered on the spot from an item (当场办). Per month and
locality: appeals received, answered on the spot, and dispatched with or
without a catalogue item (the catalogue's coverage).

An appeal's locality is its enterprise's at receipt: the registered one (the
enterprise registry's events are read here too, so an override counts) or,
for an enterprise not registered, the administrative division in its credit
code (characters 3-8, GB/T 2260). Appeals routed with no item count under the
item ``""``.

:func:`report` answers ``GET /reports/routing`` (docs/reports.md): the
退单 rate (returns / assignments), re-dispatches, the mean working hours to
acceptance, the catalogue's coverage (first dispatches with an item / all
first dispatches) and the 直接答复率 (answered on the spot / appeals that
left the centre: answered on the spot plus first dispatches).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from appeals.domain.appeal import Appeal
from appeals.domain.deadlines import Timekeeping
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.organisation import Enterprise
from appeals.domain.permissions import ReadFilter
from appeals.infra.database import Database, Sql
from appeals.projections.lifecycle import (
    read_instant,
    shanghai_month,
    stored_instant,
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
    id_text,
    require,
)

NO_ITEM = ""

CREATE_APPEALS = """
CREATE TABLE IF NOT EXISTS {table} (
    appeal_id TEXT NOT NULL PRIMARY KEY,
    locality TEXT NOT NULL,
    item TEXT NOT NULL,
    unit TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    assignments INTEGER NOT NULL
)
"""
APPEALS = Table(
    name="routing_appeals",
    columns=("appeal_id", "locality", "item", "unit", "assigned_at", "assignments"),
    key=("appeal_id",),
    create=CREATE_APPEALS,
    per_appeal=True,
)

CREATE_ENTERPRISES = """
CREATE TABLE IF NOT EXISTS {table} (
    uscc TEXT NOT NULL PRIMARY KEY,
    locality TEXT NOT NULL
)
"""
ENTERPRISES = Table(
    name="routing_enterprises",
    columns=("uscc", "locality"),
    key=("uscc",),
    create=CREATE_ENTERPRISES,
)

ITEM_COUNTERS = (
    "assignments",
    "first_dispatches",
    "redispatches",
    "returns",
    "accepted",
    "accept_working_seconds",
    "answered_on_the_spot",
)
CREATE_ITEMS = (
    "CREATE TABLE IF NOT EXISTS {table} (month TEXT NOT NULL, item TEXT NOT NULL, "
    "unit TEXT NOT NULL, "
    + ", ".join(f"{name} INTEGER NOT NULL" for name in ITEM_COUNTERS)
    + ", PRIMARY KEY (month, item, unit))"
)
ITEMS = Table(
    name="routing_items",
    columns=("month", "item", "unit", *ITEM_COUNTERS),
    key=("month", "item", "unit"),
    create=CREATE_ITEMS,
)

LOCALITY_COUNTERS = (
    "received",
    "answered_on_the_spot",
    "dispatched_with_item",
    "dispatched_without_item",
)
CREATE_LOCALITIES = (
    "CREATE TABLE IF NOT EXISTS {table} (month TEXT NOT NULL, "
    "locality TEXT NOT NULL, "
    + ", ".join(f"{name} INTEGER NOT NULL" for name in LOCALITY_COUNTERS)
    + ", PRIMARY KEY (month, locality))"
)
LOCALITIES = Table(
    name="routing_localities",
    columns=("month", "locality", *LOCALITY_COUNTERS),
    key=("month", "locality"),
    create=CREATE_LOCALITIES,
)


def _moved(
    state: State,
    table: Table,
    key: tuple[str, ...],
    counters: tuple[str, ...],
    **by: int,
) -> Put:
    row = state.get(table, key)
    counts = dict.fromkeys(counters, 0) if row is None else dict(row)
    for name, amount in by.items():
        counts[name] += amount
    return Put(table, {**dict(zip(table.key, key, strict=True)), **counts})


def _enterprise(event: Any, state: State) -> list[Change]:
    locality = event.locality
    if locality is None:
        return []
    return [Put(ENTERPRISES, {"uscc": event.uscc, "locality": locality})]


def locality_at_receipt(state: State, uscc: str) -> str:
    """The enterprise's registered locality, else the division in its code."""
    registered = state.get(ENTERPRISES, (uscc,))
    return uscc[2:8] if registered is None else str(registered["locality"])


def make_apply(tk: Timekeeping) -> Apply:
    def apply(event: Any, state: State) -> list[Change]:
        if isinstance(event, Enterprise.Registered | Enterprise.Updated):
            return _enterprise(event, state)
        appeal_id = id_text(event.originator_id)
        month = shanghai_month(event.timestamp)
        if isinstance(event, Appeal.Received):
            locality = locality_at_receipt(state, event.uscc)
            row = {
                "appeal_id": appeal_id,
                "locality": locality,
                "item": NO_ITEM,
                "unit": "",
                "assigned_at": "",
                "assignments": 0,
            }
            return [
                Put(APPEALS, row),
                _moved(
                    state, LOCALITIES, (month, locality), LOCALITY_COUNTERS, received=1
                ),
            ]
        appeal = dict(require(state, APPEALS, (appeal_id,)))
        if isinstance(event, Appeal.Assigned):
            item = event.item or NO_ITEM
            first = appeal["assignments"] == 0
            appeal.update(
                item=item,
                unit=event.unit,
                assigned_at=stored_instant(event.timestamp),
                assignments=appeal["assignments"] + 1,
            )
            changes: list[Change] = [
                Put(APPEALS, appeal),
                _moved(
                    state,
                    ITEMS,
                    (month, item, event.unit),
                    ITEM_COUNTERS,
                    assignments=1,
                    first_dispatches=int(first),
                    redispatches=int(not first),
                ),
            ]
            if first:
                counter = (
                    "dispatched_with_item" if event.item else "dispatched_without_item"
                )
                where = (month, appeal["locality"])
                changes.append(
                    _moved(state, LOCALITIES, where, LOCALITY_COUNTERS, **{counter: 1})
                )
            return changes
        key = (month, appeal["item"], appeal["unit"])
        if isinstance(event, Appeal.Returned):
            return [_moved(state, ITEMS, key, ITEM_COUNTERS, returns=1)]
        if isinstance(event, Appeal.Accepted):
            took = tk.working_time(read_instant(appeal["assigned_at"]), event.timestamp)
            return [
                _moved(
                    state,
                    ITEMS,
                    key,
                    ITEM_COUNTERS,
                    accepted=1,
                    accept_working_seconds=int(took.total_seconds()),
                )
            ]
        if isinstance(event, Appeal.AnsweredOnTheSpot):
            item = event.item
            appeal.update(item=item, unit=CENTRE_UNIT)
            return [
                Put(APPEALS, appeal),
                _moved(
                    state,
                    ITEMS,
                    (month, item, CENTRE_UNIT),
                    ITEM_COUNTERS,
                    answered_on_the_spot=1,
                ),
                _moved(
                    state,
                    LOCALITIES,
                    (month, appeal["locality"]),
                    LOCALITY_COUNTERS,
                    answered_on_the_spot=1,
                ),
            ]
        return []

    return apply


NAME = "routing"


def projection(tk: Timekeeping) -> Projection:
    """The routing read model, measuring acceptance with ``tk``'s calendar."""
    return Projection(
        name=NAME,
        tables=(APPEALS, ENTERPRISES, ITEMS, LOCALITIES),
        topics=topics_of(
            Appeal.Received,
            Appeal.Assigned,
            Appeal.Returned,
            Appeal.Accepted,
            Appeal.AnsweredOnTheSpot,
        )
        | {"Enterprise.Registered", "Enterprise.Updated"},
        apply=make_apply(tk),
        description="routing by the catalogue: returns, re-dispatches, coverage",
    )


# ---- reading ------------------------------------------------------------------


def _between(first: str | None, last: str | None) -> tuple[str, list[str]]:
    conditions, params = [], []
    for condition, value in (("month >= ?", first), ("month <= ?", last)):
        if value is not None:
            conditions.append(condition)
            params.append(value)
    return (" WHERE " + " AND ".join(conditions) if conditions else ""), params


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def select_items(
    sql: Sql, table: str, first: str | None, last: str | None
) -> list[dict[str, Any]]:
    where, params = _between(first, last)
    columns = ", ".join(ITEM_COUNTERS)
    rows = sql.execute(f"SELECT item, unit, {columns} FROM {table}{where}", params)
    return [
        dict(zip(("item", "unit", *ITEM_COUNTERS), row, strict=True))
        for row in rows.all()
    ]


def select_localities(
    sql: Sql, table: str, first: str | None, last: str | None
) -> list[dict[str, Any]]:
    where, params = _between(first, last)
    columns = ", ".join(LOCALITY_COUNTERS)
    rows = sql.execute(f"SELECT locality, {columns} FROM {table}{where}", params)
    return [
        dict(zip(("locality", *LOCALITY_COUNTERS), row, strict=True))
        for row in rows.all()
    ]


def summarise(
    items: list[dict[str, Any]], localities: list[dict[str, Any]], scope: ReadFilter
) -> dict[str, Any]:
    """The months' rows summed per (item, unit) and per locality, with rates;
    a unit's scope sees only its own rows (and no city-wide figures)."""
    per_pair: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(ITEM_COUNTERS, 0)
    )
    for row in items:
        if not scope.admits(unit=row["unit"], uscc=None):
            continue
        sums = per_pair[(row["item"], row["unit"])]
        for name in ITEM_COUNTERS:
            sums[name] += row[name]
    pairs = []
    for (item, unit), sums in sorted(per_pair.items()):
        accepted = sums["accepted"]
        mean_hours = (
            None if accepted == 0 else sums["accept_working_seconds"] / accepted / 3600
        )
        pairs.append(
            {
                "item": item or None,
                "unit": unit,
                **sums,
                "return_rate": _rate(sums["returns"], sums["assignments"]),
                "mean_working_hours_to_accept": mean_hours,
            }
        )
    result: dict[str, Any] = {"items": pairs}
    if scope.unit is not None:
        return result
    per_locality: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(LOCALITY_COUNTERS, 0)
    )
    for row in localities:
        sums = per_locality[row["locality"]]
        for name in LOCALITY_COUNTERS:
            sums[name] += row[name]
    result["localities"] = [
        {"locality": locality, **sums}
        for locality, sums in sorted(per_locality.items())
    ]
    total = dict.fromkeys(LOCALITY_COUNTERS, 0)
    for sums in per_locality.values():
        for name in LOCALITY_COUNTERS:
            total[name] += sums[name]
    dispatched = total["dispatched_with_item"] + total["dispatched_without_item"]
    answered = total["answered_on_the_spot"]
    result["totals"] = {
        **total,
        "coverage": _rate(total["dispatched_with_item"], dispatched),
        "direct_answer_rate": _rate(answered, answered + dispatched),
    }
    return result


def report(
    database: Database, first: str | None, last: str | None, scope: ReadFilter
) -> tuple[int, dict[str, Any]]:
    """The view's position and the routing report for months ``first``..``last``."""
    items_table = live_table(database, ITEMS)
    localities_table = live_table(database, LOCALITIES)

    def load(sql: Sql) -> dict[str, Any]:
        items = select_items(sql, items_table, first, last)
        localities = select_localities(sql, localities_table, first, last)
        return summarise(items, localities, scope)

    return read(database, NAME, load)
