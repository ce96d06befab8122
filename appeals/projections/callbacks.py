"""The callback view (回访): one row per round of callbacks an appeal is due,
the queue the centre's staff work through, and the callback figures.

A round opens when a callback falls due (appeals.domain.follow_through):

- ``reply``: at a reply or an answer on the spot, due by the policy's
  ``callback`` limit (``Replied.callback_due``; at once for replies recorded
  before it was kept);
- ``expired``: once the resolve deadline passes with no reply (the appeal
  waits with its unit, not paused, and no expired callback concluded in this
  cycle), so an appeal nobody answers still gets a verdict. The queue lists
  such appeals as they fall due; the round's row is written at the first
  attempt;
- ``sample``: when a supervisor draws the appeal for a quality check (抽查).

Each attempt (``CalledBack``) counts in its round; a reached callback or
无法回访 concludes it, and so does the enterprise's own evaluation of a reply.
A reopen, a return, a withdrawal, a merge or the closing cancels a pending
round (not a sample's). The round is charged to the unit the appeal was with
when it opened.

Readers: :func:`queue` (``GET /callbacks/queue``) and :func:`figures` (``GET
/reports/callbacks``): per unit, rounds concluded in a period, 有效回访率 =
reached ÷ (reached + 无法回访), and the samples' 抽查满意率 = satisfied or
basically satisfied ÷ samples reached.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from appeals.domain.appeal import Appeal
from appeals.domain.assessment import SATISFIED
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.rates import ratio
from appeals.infra.database import Database, Sql
from appeals.projections.lifecycle import read_instant, stored_instant, topics_of
from appeals.projections.reading import live_table, read
from appeals.projections.runtime.model import (
    Change,
    Projection,
    Put,
    Row,
    State,
    Table,
    id_text,
    require,
)

NAME = "callbacks"

CREATE_APPEALS = """
CREATE TABLE IF NOT EXISTS {table} (
    appeal_id TEXT NOT NULL PRIMARY KEY,
    ticket TEXT NOT NULL,
    uscc TEXT NOT NULL,
    category TEXT NOT NULL,
    unit TEXT,
    rounds INTEGER NOT NULL,
    pending INTEGER,
    resolve_due TEXT,
    paused INTEGER NOT NULL,
    awaiting INTEGER NOT NULL
)
"""
CREATE_ROUNDS = """
CREATE TABLE IF NOT EXISTS {table} (
    appeal_id TEXT NOT NULL,
    round INTEGER NOT NULL,
    ticket TEXT NOT NULL,
    uscc TEXT NOT NULL,
    category TEXT NOT NULL,
    unit TEXT,
    purpose TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    due TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_outcome TEXT,
    last_attempt_at TEXT,
    concluded_at TEXT,
    grade TEXT,
    satisfaction TEXT,
    resolved INTEGER,
    PRIMARY KEY (appeal_id, round)
)
"""
INDEX_PENDING = "CREATE INDEX IF NOT EXISTS {name}_state_due ON {table} (state, due)"
INDEX_CONCLUDED = (
    "CREATE INDEX IF NOT EXISTS {name}_concluded ON {table} (concluded_at)"
)
INDEX_AWAITING = (
    "CREATE INDEX IF NOT EXISTS {name}_awaiting ON {table} (awaiting, resolve_due)"
)

APPEALS = Table(
    name="callback_appeals",
    columns=(
        "appeal_id",
        "ticket",
        "uscc",
        "category",
        "unit",
        "rounds",
        "pending",
        "resolve_due",
        "paused",
        "awaiting",
    ),
    key=("appeal_id",),
    create=CREATE_APPEALS,
    indexes=(INDEX_AWAITING,),
    per_appeal=True,
)
ROUND_COLUMNS = (
    "appeal_id",
    "round",
    "ticket",
    "uscc",
    "category",
    "unit",
    "purpose",
    "opened_at",
    "due",
    "state",
    "attempts",
    "last_outcome",
    "last_attempt_at",
    "concluded_at",
    "grade",
    "satisfaction",
    "resolved",
)
ROUNDS = Table(
    name="callback_rounds",
    columns=ROUND_COLUMNS,
    key=("appeal_id", "round"),
    create=CREATE_ROUNDS,
    indexes=(INDEX_PENDING, INDEX_CONCLUDED),
)

PENDING = "pending"
CANCELLING = (
    Appeal.Reopened,
    Appeal.Returned,
    Appeal.Withdrawn,
    Appeal.Merged,
    Appeal.Closed,
)
"""Events that cancel a pending round (a sample's survives the closing)."""


def _open_round(
    appeal: Row, purpose: str, at: datetime, due: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    number = int(appeal["rounds"]) + 1
    round_row = {
        "appeal_id": appeal["appeal_id"],
        "round": number,
        "ticket": appeal["ticket"],
        "uscc": appeal["uscc"],
        "category": appeal["category"],
        "unit": appeal["unit"],
        "purpose": purpose,
        "opened_at": stored_instant(at),
        "due": stored_instant(due),
        "state": PENDING,
        "attempts": 0,
        "last_outcome": None,
        "last_attempt_at": None,
        "concluded_at": None,
        "grade": None,
        "satisfaction": None,
        "resolved": None,
    }
    return {**appeal, "rounds": number, "pending": number}, round_row


def apply(event: Any, state: State) -> list[Change]:
    appeal_id = id_text(event.originator_id)
    if isinstance(event, Appeal.Received):
        row = {
            "appeal_id": appeal_id,
            "ticket": event.ticket,
            "uscc": event.uscc,
            "category": event.category,
            "unit": None,
            "rounds": 0,
            "pending": None,
            "resolve_due": None,
            "paused": 0,
            "awaiting": 0,
        }
        return [Put(APPEALS, row)]
    appeal = dict(require(state, APPEALS, (appeal_id,)))
    pending = None
    if appeal["pending"] is not None:
        pending = dict(require(state, ROUNDS, (appeal_id, appeal["pending"])))
    at: datetime = event.timestamp
    changes: list[Change] = []

    def conclude(round_row: dict[str, Any], outcome: str) -> None:
        round_row.update(state=outcome, concluded_at=stored_instant(at))
        appeal["pending"] = None

    def awaiting(due: datetime | None) -> None:
        """With the unit until ``due`` (None: not waiting for it)."""
        appeal["resolve_due"] = None if due is None else stored_instant(due)
        appeal["awaiting"] = int(due is not None)
        appeal["paused"] = 0

    if isinstance(event, Appeal.Assigned):
        appeal["unit"] = event.unit
        awaiting(event.resolve_due)
    elif isinstance(event, Appeal.Paused):
        appeal["paused"] = 1
    elif isinstance(event, Appeal.Resumed):
        appeal.update(paused=0, resolve_due=stored_instant(event.resolve_due))
    elif isinstance(event, Appeal.ExtensionApproved):
        appeal["resolve_due"] = stored_instant(event.new_deadline)
    elif isinstance(event, Appeal.AnsweredOnTheSpot | Appeal.Replied):
        awaiting(None)
        if isinstance(event, Appeal.AnsweredOnTheSpot):
            appeal["unit"] = CENTRE_UNIT
        if pending is not None:
            conclude(pending, "superseded")
            changes.append(Put(ROUNDS, pending))
        due = getattr(event, "callback_due", None) or at
        appeal, pending = _open_round(appeal, "reply", at, due)
    elif isinstance(event, Appeal.Sampled):
        if pending is not None:
            conclude(pending, "superseded")
            changes.append(Put(ROUNDS, pending))
        appeal, pending = _open_round(appeal, "sample", at, at)
    elif isinstance(event, Appeal.CalledBack):
        if pending is None:  # the first attempt of an expired deadline's round
            due = read_instant(appeal["resolve_due"] or stored_instant(at))
            appeal, pending = _open_round(appeal, event.purpose, at, due)
        pending.update(
            attempts=int(pending["attempts"]) + 1,
            last_outcome=event.outcome,
            last_attempt_at=stored_instant(at),
        )
        if event.outcome == "reached":
            pending.update(
                grade=event.grade,
                satisfaction=event.satisfaction,
                resolved=None if event.resolved is None else int(event.resolved),
            )
            conclude(pending, "reached")
        elif event.unreachable:
            conclude(pending, "unreachable")
        if event.purpose == "expired" and appeal["pending"] is None:
            appeal["awaiting"] = 0  # judged for this cycle
    elif isinstance(event, Appeal.Evaluated):
        latest = state.get(ROUNDS, (appeal_id, appeal["rounds"]))
        if pending is not None and pending["purpose"] == "reply":
            conclude(pending, "evaluated")  # the enterprise judged it itself
        elif latest is not None and latest["state"] == "reached":
            pending = dict(latest)  # the callback's verdict is this evaluation
        if pending is not None and pending["purpose"] == "reply":
            pending.update(
                grade=getattr(event, "grade", None),
                satisfaction=event.satisfaction,
                resolved=int(bool(event.resolved)),
            )
    elif isinstance(event, CANCELLING):
        awaiting(getattr(event, "resolve_due", None))  # a reopen: waiting again
        if pending is not None and (
            pending["purpose"] != "sample" or not isinstance(event, Appeal.Closed)
        ):
            conclude(pending, "cancelled")
    if pending is not None:
        changes.append(Put(ROUNDS, pending))
    changes.append(Put(APPEALS, appeal))
    return changes


PROJECTION = Projection(
    name=NAME,
    tables=(APPEALS, ROUNDS),
    topics=topics_of(
        Appeal.Received,
        Appeal.Assigned,
        Appeal.AnsweredOnTheSpot,
        Appeal.Replied,
        Appeal.Paused,
        Appeal.Resumed,
        Appeal.ExtensionApproved,
        Appeal.Sampled,
        Appeal.CalledBack,
        Appeal.Evaluated,
        *CANCELLING,
    ),
    apply=apply,
    description="callback rounds (回访): the queue and 有效回访率",
    by_appeal=True,
)


# ---- reading ------------------------------------------------------------------

SELECT_QUEUE = (
    "SELECT {columns} FROM {table} WHERE state = 'pending'{due}{where} "
    "ORDER BY due, appeal_id LIMIT ?"
)
SELECT_CONCLUDED = (
    "SELECT unit, purpose, state, satisfaction FROM {table} "
    "WHERE concluded_at >= ? AND concluded_at < ? "
    "AND state IN ('reached', 'unreachable')"
)


def _round(values: Sequence[Any]) -> dict[str, Any]:
    row = dict(zip(ROUND_COLUMNS, values, strict=True))
    for column in ("opened_at", "due", "last_attempt_at", "concluded_at"):
        if row[column] is not None:
            row[column] = read_instant(row[column]).isoformat()
    if row["resolved"] is not None:
        row["resolved"] = bool(row["resolved"])
    return row


SELECT_EXPIRED = (
    "SELECT appeal_id, ticket, uscc, category, unit, resolve_due FROM {table} "
    "WHERE awaiting = 1 AND paused = 0 AND pending IS NULL AND resolve_due <= ?"
    "{where} ORDER BY resolve_due, appeal_id LIMIT ?"
)


def _expired(values: Sequence[Any]) -> dict[str, Any]:
    """An appeal whose resolve deadline passed with no reply, as a round not
    yet attempted."""
    appeal_id, ticket, uscc, category, unit, due = values
    due = read_instant(due).isoformat()
    return {
        **dict.fromkeys(ROUND_COLUMNS),
        "appeal_id": appeal_id,
        "ticket": ticket,
        "uscc": uscc,
        "category": category,
        "unit": unit,
        "purpose": "expired",
        "opened_at": due,
        "due": due,
        "state": PENDING,
        "attempts": 0,
    }


def queue(
    database: Database,
    now: datetime,
    *,
    due_only: bool = True,
    unit: str | None = None,
    purpose: str | None = None,
    limit: int = 500,
) -> tuple[int, list[dict[str, Any]]]:
    """The view's position and the callbacks to make, the longest due first:
    the pending rounds (due by ``now`` if ``due_only``) and the appeals whose
    resolve deadline passed by ``now`` with no reply and no attempt yet."""
    conditions, params = [], []
    for column, value in (("unit", unit), ("purpose", purpose)):
        if value is not None:
            conditions.append(f" AND {column} = ?")
            params.append(value)
    unit_only = "" if unit is None else " AND unit = ?"

    def load(sql: Sql) -> list[dict[str, Any]]:
        statement = SELECT_QUEUE.format(
            columns=", ".join(ROUND_COLUMNS),
            table=live_table(database, ROUNDS),
            due=" AND due <= ?" if due_only else "",
            where="".join(conditions),
        )
        values = ([stored_instant(now)] if due_only else []) + params + [limit]
        rows = [_round(row) for row in sql.execute(statement, values).all()]
        if purpose in (None, "expired"):
            statement = SELECT_EXPIRED.format(
                table=live_table(database, APPEALS), where=unit_only
            )
            values = [stored_instant(now), *([] if unit is None else [unit]), limit]
            rows += [_expired(row) for row in sql.execute(statement, values).all()]
        rows.sort(
            key=lambda row: (datetime.fromisoformat(row["due"]), row["appeal_id"])
        )
        return rows[:limit]

    return read(database, NAME, load)


def figures(
    database: Database, start: datetime, end: datetime
) -> tuple[int, list[dict[str, Any]]]:
    """Per unit, the rounds concluded in [start, end): reached and 无法回访
    (samples apart), 有效回访率, and the samples' 抽查满意率."""

    def load(sql: Sql) -> list[tuple[Any, ...]]:
        statement = SELECT_CONCLUDED.format(table=live_table(database, ROUNDS))
        rows = sql.execute(statement, [stored_instant(start), stored_instant(end)])
        return list(rows.all())

    position, rows = read(database, NAME, load)
    counts: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(
            ("reached", "unreachable", "sampled", "sampled_satisfied"), 0
        )
    )
    for unit, purpose, outcome, satisfaction in rows:
        tally = counts[unit or ""]
        if purpose == "sample":
            if outcome == "reached":
                tally["sampled"] += 1
                tally["sampled_satisfied"] += satisfaction in SATISFIED
        else:
            tally[outcome] += 1
    result = []
    for unit in sorted(counts):
        tally = counts[unit]
        concluded = tally["reached"] + tally["unreachable"]
        result.append(
            {
                "unit": unit or None,
                **tally,
                "valid_callback_rate": ratio(tally["reached"], concluded),
                "sample_satisfaction_rate": ratio(
                    tally["sampled_satisfied"], tally["sampled"]
                ),
            }
        )
    return position, result
