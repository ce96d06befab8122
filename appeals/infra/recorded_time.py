"""When each event was written to the database ("recorded time"), beside the
business time the event itself carries.

The database stamps it, not the application: on PostgreSQL a column default
(``clock_timestamp()``) on the events table, on SQLite a trigger that writes
a side table in the same transaction (the library's SQLite insert names no
columns, so the table itself cannot grow one). The eventsourcing library's
own statements are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from appeals.infra.database import Database


class RecordedTime:
    """Installs the stamping and reads the stamps back by log position."""

    def __init__(self, database: Database, events_table: str) -> None:
        self.database = database
        self.events_table = database.table(events_table)
        self.side_table = database.table("event_recorded_at")
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


def _instant(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
