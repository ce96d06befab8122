"""Where each copy of each projection has got to in the event log, and why it
stopped if it did.

A copy's position is the id of the last notification it has taken into
account (applied or deliberately ignored). It moves only in the transaction
that writes the copy's rows, and only from the position the batch was read
at (compare-and-set): a second worker racing on the same copy, or a rebuild
swapped in meanwhile, makes the batch roll back instead of applying twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from appeals.infra.database import Database, Sql
from appeals.projections.runtime.storage import REBUILD, transaction

TABLE = "projection_tracking"

CREATE_TRACKING = """
CREATE TABLE IF NOT EXISTS {table} (
    projection TEXT NOT NULL,
    target TEXT NOT NULL,
    position BIGINT NOT NULL,
    updated_at TEXT,
    error_position BIGINT,
    error_event TEXT,
    error_topic TEXT,
    error TEXT,
    error_at TEXT,
    PRIMARY KEY (projection, target)
)
"""
INSERT_TRACKING = """
INSERT INTO {table} (projection, target, position) VALUES (?, ?, 0)
ON CONFLICT (projection, target) DO NOTHING
"""
COLUMNS = (
    "projection, target, position, updated_at, "
    "error_position, error_event, error_topic, error, error_at"
)
SELECT_ONE = f"SELECT {COLUMNS} FROM {{table}} WHERE projection = ? AND target = ?"
SELECT_POSITION = "SELECT position FROM {table} WHERE projection = ? AND target = ?"
SELECT_POSITIONS = "SELECT projection, position FROM {table} WHERE target = ?"
SELECT_TARGETS = "SELECT target FROM {table} WHERE projection = ? ORDER BY target"
SELECT_ALL = f"SELECT {COLUMNS} FROM {{table}} ORDER BY projection, target"
MOVE = """
UPDATE {table} SET position = ?, updated_at = ?, error_position = NULL,
    error_event = NULL, error_topic = NULL, error = NULL, error_at = NULL
WHERE projection = ? AND target = ? AND position = ?
"""
ADVANCE = MOVE + "RETURNING position\n"
RECORD_FAILURE = """
UPDATE {table} SET error_position = ?, error_event = ?, error_topic = ?,
    error = ?, error_at = ?
WHERE projection = ? AND target = ? AND position = ?
"""
LOCK = """
UPDATE {table} SET position = position WHERE projection = ? AND target = ?
RETURNING position
"""
LOCK_MANY = """
UPDATE {table} SET position = position WHERE target = ? AND projection IN ({{marks}})
RETURNING projection, position, updated_at
"""
SET_POSITION = """
UPDATE {table} SET position = ?, updated_at = ?, error_position = NULL,
    error_event = NULL, error_topic = NULL, error = NULL, error_at = NULL
WHERE projection = ? AND target = ?
"""
DELETE = "DELETE FROM {table} WHERE projection = ? AND target = ?"
DELETE_REBUILDS = (
    "DELETE FROM {table} WHERE projection = ? AND (target = ? OR target LIKE ?)"
)


@dataclass(frozen=True)
class Failure:
    """The event a projection could not apply, and what went wrong."""

    position: int
    event: str
    topic: str
    error: str
    at: str


@dataclass(frozen=True)
class Tracked:
    """One copy's row: its position, when it last moved, its failure if any."""

    projection: str
    target: str
    position: int
    updated_at: str | None
    failure: Failure | None


class Tracking:
    """The tracking table, beside the event store."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.table = database.table(TABLE)

    def _sql(self, template: str) -> str:
        return template.format(table=self.table)

    def create(self, sql: Sql) -> None:
        sql.execute(self._sql(CREATE_TRACKING))

    def ensure(self, sql: Sql, projection: str, target: str) -> None:
        sql.execute(self._sql(INSERT_TRACKING), (projection, target))

    def read(self, projection: str, target: str) -> Tracked | None:
        with transaction(self.database, write=False) as sql:
            row = sql.execute(self._sql(SELECT_ONE), (projection, target)).one()
        return None if row is None else _tracked(row)

    def position(self, projection: str, target: str) -> int:
        """The copy's position (0 before anything was applied)."""
        with transaction(self.database, write=False) as sql:
            return self.position_in(sql, projection, target)

    def position_in(self, sql: Sql, projection: str, target: str) -> int:
        """The copy's position, read in the caller's transaction."""
        row = sql.execute(self._sql(SELECT_POSITION), (projection, target)).one()
        return 0 if row is None else int(row[0])

    def positions(self, target: str) -> dict[str, int]:
        """Every copy's position for ``target``, by projection, in one query."""
        with transaction(self.database, write=False) as sql:
            rows = sql.execute(self._sql(SELECT_POSITIONS), (target,)).all()
        return {str(name): int(position) for name, position in rows}

    def targets(self, projection: str) -> list[str]:
        """The copies of ``projection`` that have a tracking row."""
        with transaction(self.database, write=False) as sql:
            rows = sql.execute(self._sql(SELECT_TARGETS), (projection,)).all()
        return [str(row[0]) for row in rows]

    def all(self) -> list[Tracked]:
        with transaction(self.database, write=False) as sql:
            rows = sql.execute(self._sql(SELECT_ALL)).all()
        return [_tracked(row) for row in rows]

    def advance(
        self, sql: Sql, projection: str, target: str, start: int, end: int, now: str
    ) -> bool:
        """Moves the copy from ``start`` to ``end`` inside the batch's
        transaction; False if it is no longer at ``start``."""
        moved = sql.execute(
            self._sql(ADVANCE), (end, now, projection, target, start)
        ).one()
        return moved is not None

    def move(
        self, sql: Sql, projection: str, target: str, start: int, end: int, now: str
    ) -> None:
        """:meth:`advance` for a copy whose row the transaction has locked
        (:meth:`lock_many`) and found at ``start``: nobody else can move it
        until the commit, so the answer is not waited for (in a pipeline,
        the statement is only sent)."""
        sql.executemany(self._sql(MOVE), [(end, now, projection, target, start)])

    def record_failure(
        self, projection: str, target: str, position: int, failure: Failure
    ) -> None:
        """Records why the copy stopped at ``position`` (if it is still there)."""
        with transaction(self.database, write=True) as sql:
            sql.execute(
                self._sql(RECORD_FAILURE),
                (
                    failure.position,
                    failure.event,
                    failure.topic,
                    failure.error,
                    failure.at,
                    projection,
                    target,
                    position,
                ),
            )

    def lock(self, sql: Sql, projection: str, target: str) -> int | None:
        """Locks the copy's row for the rest of the transaction (a worker's
        batch on that copy finishes first); its position, None if missing."""
        row = sql.execute(self._sql(LOCK), (projection, target)).one()
        return None if row is None else int(row[0])

    def lock_many(
        self, sql: Sql, projections: Sequence[str], target: str
    ) -> dict[str, tuple[int, str | None]]:
        """Locks the rows of ``projections`` for the rest of the transaction
        and reads each one's (position, updated_at): what was last committed
        to each copy, which no other writer can change until this commits."""
        if not projections:
            return {}
        marks = ", ".join("?" for _ in projections)
        rows = sql.execute(
            self._sql(LOCK_MANY).format(marks=marks), (target, *projections)
        ).all()
        return {
            str(name): (int(position), None if stamp is None else str(stamp))
            for name, position, stamp in rows
        }

    def set_position(
        self, sql: Sql, projection: str, target: str, position: int, now: str
    ) -> None:
        sql.execute(self._sql(SET_POSITION), (position, now, projection, target))

    def delete(self, sql: Sql, projection: str, target: str) -> None:
        sql.execute(self._sql(DELETE), (projection, target))

    def delete_rebuilds(self, sql: Sql, projection: str) -> None:
        """Deletes the rows of every rebuild of ``projection``: the whole
        rebuild's (``rebuild``) and each part's (``rebuild:K/N``)."""
        sql.execute(self._sql(DELETE_REBUILDS), (projection, REBUILD, f"{REBUILD}:%"))


def _tracked(row: tuple[object, ...]) -> Tracked:
    (projection, target, position, updated_at, *error) = row
    failure = None
    if error[0] is not None:
        failure = Failure(
            position=int(str(error[0])),
            event=str(error[1]),
            topic=str(error[2]),
            error=str(error[3]),
            at=str(error[4]),
        )
    return Tracked(
        projection=str(projection),
        target=str(target),
        position=int(str(position)),
        updated_at=None if updated_at is None else str(updated_at),
        failure=failure,
    )
