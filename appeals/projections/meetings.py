"""The meetings view (会办): each joint meeting and its follow-up tasks, for
``GET /reports/meeting-tasks`` (open tasks by owner unit, overdue first)."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.utils import get_topic

from appeals.domain.meetings import Meeting
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

NAME = "meetings"

CREATE_MEETINGS = """
CREATE TABLE IF NOT EXISTS {table} (
    meeting_id TEXT NOT NULL PRIMARY KEY,
    subject TEXT NOT NULL,
    day TEXT NOT NULL,
    units TEXT NOT NULL,
    appeals INTEGER NOT NULL
)
"""
MEETINGS = Table(
    name="meetings",
    columns=("meeting_id", "subject", "day", "units", "appeals"),
    key=("meeting_id",),
    create=CREATE_MEETINGS,
)
CREATE_TASKS = """
CREATE TABLE IF NOT EXISTS {table} (
    meeting_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    subject TEXT NOT NULL,
    task TEXT NOT NULL,
    owner TEXT NOT NULL,
    due TEXT NOT NULL,
    done_on TEXT,
    PRIMARY KEY (meeting_id, number)
)
"""
INDEX_OWNER = "CREATE INDEX IF NOT EXISTS {name}_owner ON {table} (owner, due)"
TASK_COLUMNS = ("meeting_id", "number", "subject", "task", "owner", "due", "done_on")
TASKS = Table(
    name="meeting_tasks",
    columns=TASK_COLUMNS,
    key=("meeting_id", "number"),
    create=CREATE_TASKS,
    indexes=(INDEX_OWNER,),
)


def apply(event: Any, state: State) -> list[Change]:
    meeting_id = id_text(event.originator_id)
    if isinstance(event, Meeting.Held):
        row = {
            "meeting_id": meeting_id,
            "subject": event.subject,
            "day": event.day,
            "units": ";".join(event.units),
            "appeals": len(event.appeals),
        }
        return [Put(MEETINGS, row)]
    if isinstance(event, Meeting.TaskAssigned):
        meeting = require(state, MEETINGS, (meeting_id,))
        task = {
            "meeting_id": meeting_id,
            "number": event.number,
            "subject": meeting["subject"],
            "task": event.task,
            "owner": event.owner,
            "due": event.due,
            "done_on": None,
        }
        return [Put(TASKS, task)]
    if isinstance(event, Meeting.TaskCompleted):
        task = dict(require(state, TASKS, (meeting_id, event.number)))
        done = event.timestamp.date().isoformat()
        return [Put(TASKS, {**task, "done_on": done})]
    return []


PROJECTION = Projection(
    name=NAME,
    tables=(MEETINGS, TASKS),
    topics=frozenset(
        get_topic(cls)
        for cls in (Meeting.Held, Meeting.TaskAssigned, Meeting.TaskCompleted)
    ),
    apply=apply,
    description="joint meetings (会办) and their follow-up tasks",
)


def tasks(
    database: Database, today: date, *, open_only: bool, owner: str | None
) -> tuple[int, list[dict[str, Any]]]:
    """Follow-up tasks (open ones only by default), the earliest due first,
    each marked ``overdue`` when open past its due day."""
    conditions, params = [], []
    if open_only:
        conditions.append("done_on IS NULL")
    if owner is not None:
        conditions.append("owner = ?")
        params.append(owner)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""

    def load(sql: Sql) -> list[dict[str, Any]]:
        statement = (
            f"SELECT {', '.join(TASK_COLUMNS)} FROM {live_table(database, TASKS)}"
            f"{where} ORDER BY due, meeting_id, number"
        )
        rows = [
            dict(zip(TASK_COLUMNS, r, strict=True))
            for r in sql.execute(statement, params).all()
        ]
        for row in rows:
            row["overdue"] = row["done_on"] is None and row["due"] < today.isoformat()
        return rows

    return read(database, NAME, load)
