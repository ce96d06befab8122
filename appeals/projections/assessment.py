"""The assessment view (考核): every stage cycle the assessment counts, with
the enterprise's verdict on each resolve cycle and the appeal's granted
exclusion (剔除), as the domain's :class:`~appeals.domain.assessment.CycleFact`.

Cycles come from the domain's :class:`TimelinessFold` (the fold the
timeliness and accountability views and ``GET /appeals/{id}`` use, so they
agree), charged to the unit and cadre each ran against. An evaluation is the
verdict on the appeal's latest resolve cycle, and so is a callback (回访)
reached after that cycle's deadline passed with no reply; a lapsed
evaluation window or 无法回访 marks that cycle ``verdict_lapsed``. An appeal
whose exclusion is granted has every cycle, past and later, marked
``excluded``. The locality is the enterprise's registration division: the
credit code's characters 3–8.

:func:`facts` reads the cycles due in a window; the month's activity counts
(退单, 重办, 督办) are the accountability view's
(:func:`appeals.projections.accountability.activity`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from appeals.domain.appeal import Appeal
from appeals.domain.assessment import ASSESSED_STAGES, CycleFact
from appeals.domain.divisions import locality_of
from appeals.domain.timeliness import StageCycle
from appeals.infra.database import Database, Sql
from appeals.projections.lifecycle import (
    APPEAL_EVENTS,
    read_instant,
    read_or_none,
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

NAME = "assessment"

CREATE_CYCLES = """
CREATE TABLE IF NOT EXISTS {table} (
    appeal_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    unit TEXT,
    cadre TEXT,
    category TEXT NOT NULL,
    locality TEXT,
    started_at TEXT NOT NULL,
    due TEXT NOT NULL,
    completed_at TEXT,
    ended_by TEXT,
    ended_at TEXT,
    excluded INTEGER NOT NULL,
    verdict_resolved INTEGER,
    verdict_satisfaction TEXT,
    verdict_lapsed INTEGER NOT NULL,
    PRIMARY KEY (appeal_id, stage, cycle)
)
"""
INDEX_BY_DUE = "CREATE INDEX IF NOT EXISTS {name}_due_stage ON {table} (due, stage)"
"""Cycles due in a period (the assessment), of some stages (a trend)."""
CREATE_EXCLUSIONS = (
    "CREATE TABLE IF NOT EXISTS {table} (appeal_id TEXT NOT NULL PRIMARY KEY)"
)

FOLDS = fold_table("assessment_folds")
COLUMNS = (
    "appeal_id",
    "stage",
    "cycle",
    "unit",
    "cadre",
    "category",
    "locality",
    "started_at",
    "due",
    "completed_at",
    "ended_by",
    "ended_at",
    "excluded",
    "verdict_resolved",
    "verdict_satisfaction",
    "verdict_lapsed",
)
CYCLES = Table(
    name="assessment_cycles",
    columns=COLUMNS,
    key=("appeal_id", "stage", "cycle"),
    create=CREATE_CYCLES,
    indexes=(INDEX_BY_DUE,),
)
EXCLUSIONS = Table(
    name="assessment_exclusions",
    columns=("appeal_id",),
    key=("appeal_id",),
    create=CREATE_EXCLUSIONS,
    per_appeal=True,
)
VERDICT = ("verdict_resolved", "verdict_satisfaction", "verdict_lapsed")


def cycle_row(
    appeal: dict[str, Any],
    cycle: StageCycle,
    kept: Mapping[str, Any] | None,
    excluded: bool,
) -> dict[str, Any]:
    """A cycle as stored, keeping the verdict already recorded on it."""
    return {
        "appeal_id": appeal["appeal_id"],
        "stage": cycle.stage,
        "cycle": cycle.cycle,
        "unit": cycle.unit,
        "cadre": cycle.cadre,
        "category": appeal["category"],
        "locality": locality_of(appeal["uscc"]),
        "started_at": stored_instant(cycle.started_at),
        "due": stored_instant(cycle.due),
        "completed_at": stored_or_none(cycle.completed_at),
        "ended_by": cycle.ended_by,
        "ended_at": stored_or_none(cycle.ended_at),
        "excluded": int(excluded),
        "verdict_resolved": None if kept is None else kept["verdict_resolved"],
        "verdict_satisfaction": None if kept is None else kept["verdict_satisfaction"],
        "verdict_lapsed": 0 if kept is None else kept["verdict_lapsed"],
    }


def callback_verdict(event: Any) -> dict[str, Any]:
    """What a callback (回访) says of the latest resolve cycle: a reached
    callback after its resolve deadline passed with no reply is the verdict
    (so an ignored appeal is judged); 无法回访 counts like a lapsed window
    (out of satisfaction). A reply's callback is judged by the ``Evaluated``
    recorded with it; a sample's grade is not the unit's verdict."""
    if event.purpose == "expired" and event.outcome == "reached":
        return {
            "verdict_resolved": int(bool(event.resolved)),
            "verdict_satisfaction": event.satisfaction,
        }
    if event.unreachable and event.purpose != "sample":
        return {"verdict_lapsed": 1}
    return {}


def make_apply() -> Apply:

    def apply(event: Any, state: State) -> list[Change]:
        row, before, after = advance(event, state, FOLDS)
        appeal_id = row["appeal_id"]
        changes: list[Change] = [Put(FOLDS, row)]
        granted = isinstance(event, Appeal.ExclusionGranted)
        if granted:
            changes.append(Put(EXCLUSIONS, {"appeal_id": appeal_id}))
        excluded = granted or state.get(EXCLUSIONS, (appeal_id,)) is not None
        old = {(c.stage, c.cycle): c for c in before.cycles}
        latest_resolve = max(
            (c for c in after.cycles if c.stage == "resolve"),
            key=lambda c: c.cycle,
            default=None,
        )
        verdict: dict[str, Any] = {}
        if isinstance(event, Appeal.Evaluated):
            verdict = {
                "verdict_resolved": int(bool(event.resolved)),
                "verdict_satisfaction": event.satisfaction,
            }
        elif isinstance(event, Appeal.EvaluationLapsed):
            verdict = {"verdict_lapsed": 1}
        elif isinstance(event, Appeal.CalledBack):
            verdict = callback_verdict(event)
        for cycle in after.cycles:
            if cycle.stage not in ASSESSED_STAGES:
                continue
            key = (appeal_id, cycle.stage, cycle.cycle)
            changed = old.get((cycle.stage, cycle.cycle)) != cycle
            judged = bool(verdict) and cycle is latest_resolve
            if not (changed or judged or granted):
                continue
            kept = state.get(CYCLES, key)
            stored = cycle_row(row, cycle, kept, excluded)
            if judged:
                stored.update(verdict)
            changes.append(Put(CYCLES, stored))
        return changes

    return apply


PROJECTION = Projection(
    name=NAME,
    tables=(FOLDS, CYCLES, EXCLUSIONS),
    topics=topics_of(*APPEAL_EVENTS, Appeal.ExclusionGranted, Appeal.CalledBack),
    apply=make_apply(),
    description="every stage cycle the assessment counts, with verdicts and exclusions",
    cost=3,
    by_appeal=True,
)


# ---- reading ------------------------------------------------------------------

SELECT_FACTS = "SELECT {columns} FROM {table} WHERE due >= ? AND due < ?"


def facts(
    database: Database,
    start: datetime,
    end: datetime,
    stages: Sequence[str] | None = None,
) -> tuple[int, list[CycleFact]]:
    """The position the view reflects, and every cycle due in [start, end)
    (of ``stages`` only, if given)."""

    def load(sql: Sql) -> list[CycleFact]:
        statement = SELECT_FACTS.format(
            columns=", ".join(COLUMNS), table=live_table(database, CYCLES)
        )
        params = [stored_instant(start), stored_instant(end)]
        if stages is not None:
            if not stages:
                return []
            statement += f" AND stage IN ({', '.join('?' for _ in stages)})"
            params.extend(stages)
        rows = sql.execute(statement, params)
        return [fact(dict(zip(COLUMNS, values, strict=True))) for values in rows.all()]

    return read(database, NAME, load)


def fact(row: dict[str, Any]) -> CycleFact:
    """A stored row as the domain's fact."""

    resolved = row["verdict_resolved"]
    return CycleFact(
        appeal_id=row["appeal_id"],
        stage=row["stage"],
        cycle=int(row["cycle"]),
        unit=row["unit"],
        cadre=row["cadre"],
        category=row["category"],
        locality=row["locality"],
        started_at=read_instant(row["started_at"]),
        due=read_instant(row["due"]),
        completed_at=read_or_none(row["completed_at"]),
        ended_by=row["ended_by"],
        ended_at=read_or_none(row["ended_at"]),
        excluded=bool(row["excluded"]),
        verdict_resolved=None if resolved is None else bool(resolved),
        verdict_satisfaction=row["verdict_satisfaction"],
        verdict_lapsed=bool(row["verdict_lapsed"]),
    )
