"""When each event was written to the database ("recorded time"), beside the
business time the event itself carries.

The database stamps it, not the application: on PostgreSQL a column default
(``clock_timestamp()``) on the events table, on SQLite a trigger that writes
a side table in the same transaction (the library's SQLite insert names no
columns, so the table itself cannot grow one). The eventsourcing library's
own statements are untouched, but one: on SQLite an event's position is its
``rowid``, which the library lets SQLite choose (one more than the largest
in the table), so deleting the newest event would hand its position to the
next one. :class:`PositionKeepingRecorder` places each new event after every
position ever stamped instead; the stamp of a deleted event stays behind as
the witness ``appeals audit verify`` reports (:meth:`RecordedTime.vanished`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from appeals.infra.database import Database

SIDE_TABLE = "event_recorded_at"
"""SQLite's stamps, by position."""


class RecordedTime:
    """Installs the stamping and reads the stamps back by log position."""

    def __init__(self, database: Database, events_table: str) -> None:
        self.database = database
        self.events_table = database.table(events_table)
        self.side_table = database.table(SIDE_TABLE)
        self.bare_events_table = events_table

    def install(self) -> None:
        if self.database.engine == "postgres":
            self.database.execute_script(
                [
                    f"ALTER TABLE {self.events_table} ADD COLUMN IF NOT EXISTS "
                    "recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()"
                ]
            )
            return
        self.database.execute_script(
            [
                f"CREATE TABLE IF NOT EXISTS {self.side_table} ("
                " notification_id INTEGER PRIMARY KEY,"
                " recorded_at TEXT NOT NULL)",
                f"CREATE TRIGGER IF NOT EXISTS {self.bare_events_table}_recorded_at "
                f"AFTER INSERT ON {self.bare_events_table} BEGIN "
                f"INSERT INTO {self.side_table} (notification_id, recorded_at) "
                "VALUES (NEW.rowid, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')); "
                "END",
            ]
        )

    def at_positions(self, positions: Sequence[int]) -> dict[int, datetime]:
        """Recorded times of the events at these log positions."""
        if not positions:
            return {}
        marks = ", ".join("?" for _ in positions)
        if self.database.engine == "postgres":
            statement = (
                f"SELECT notification_id, recorded_at FROM {self.events_table} "
                f"WHERE notification_id IN ({marks})"
            )
        else:
            statement = (
                f"SELECT notification_id, recorded_at FROM {self.side_table} "
                f"WHERE notification_id IN ({marks})"
            )
        with self.database.reading() as cursor:
            rows = cursor.execute(statement, list(positions)).all()
        return {int(position): _instant(value) for position, value in rows}

    def vanished(self) -> list[tuple[int, datetime]]:
        """Positions stamped when their event was written whose event is no
        longer in the log (SQLite; PostgreSQL keeps the stamp in the row)."""
        if self.database.engine == "postgres":
            return []
        with self.database.reading() as cursor:
            rows = cursor.execute(
                f"SELECT s.notification_id, s.recorded_at FROM {self.side_table} s "
                f"LEFT JOIN {self.events_table} e ON e.rowid = s.notification_id "
                "WHERE e.rowid IS NULL ORDER BY s.notification_id"
            ).all()
        return [(int(position), _instant(value)) for position, value in rows]


class PositionKeepingRecorder(SQLiteApplicationRecorder):
    """The library's SQLite recorder, but a new event's position follows
    every position ever stamped, not just the newest row still there."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = self.events_table_name
        self.insert_events_statement = (
            f"INSERT INTO {table} (rowid, originator_id, originator_version, "
            "topic, state) VALUES (1 + MAX("
            f"COALESCE((SELECT MAX(rowid) FROM {table}), 0), "
            f"COALESCE((SELECT MAX(notification_id) FROM {SIDE_TABLE}), 0)"
            "), ?, ?, ?, ?)"
        )

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **_: Any
    ) -> Sequence[int] | None:
        positions = []
        for event in stored_events:
            originator = event.originator_id
            c.execute(
                self.insert_events_statement,
                (
                    originator.hex if isinstance(originator, UUID) else originator,
                    event.originator_version,
                    event.topic,
                    event.state,
                ),
            )
            positions.append(c.lastrowid)
        return positions


def _instant(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
