"""Reading the stored event log as stored: positions, raw payloads (before any
upcasting, which is what auditors and the hash chain must see) and recorded
times. The one place our SQL reads the library's events table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Transcoder

from appeals.infra.database import Database
from appeals.infra.recorded_time import RecordedTime


@dataclass(frozen=True)
class StoredRecord:
    """One stored event with its place in the log."""

    position: int
    originator_id: UUID
    version: int
    topic: str
    state: dict[str, Any]
    recorded_at: datetime | None

    def chain_state(self) -> dict[str, Any]:
        """The state the hash chain covers (it includes id and version)."""
        return {
            **self.state,
            "originator_id": self.originator_id,
            "originator_version": self.version,
        }


class EventLog:
    """Raw reads of the events table on SQLite (rowid is the position) and
    PostgreSQL (``notification_id``)."""

    def __init__(
        self, database: Database, events_table: str, transcoder: Transcoder
    ) -> None:
        self.database = database
        self.table = database.table(events_table)
        self.transcoder = transcoder
        self.recorded = RecordedTime(database, events_table)
        self.position_column = (
            "rowid" if database.engine == "sqlite" else "notification_id"
        )

    def _key(self, originator_id: UUID) -> object:
        return originator_id.hex if self.database.engine == "sqlite" else originator_id

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self.database.reading() as cursor:
            row = cursor.execute(
                f"SELECT {self.position_column} FROM {self.table} "
                "WHERE originator_id = ? AND originator_version = ?",
                (self._key(originator_id), version),
            ).one()
        return None if row is None else int(row[0])

    def history(self, originator_id: UUID) -> list[StoredRecord]:
        """Every stored event of one aggregate, in version order."""
        with self.database.reading() as cursor:
            rows = cursor.execute(
                f"SELECT {self.position_column}, originator_id, originator_version, "
                f"topic, state FROM {self.table} WHERE originator_id = ? "
                "ORDER BY originator_version",
                (self._key(originator_id),),
            ).all()
        return self._records(rows)

    def record_at(self, originator_id: UUID, version: int) -> StoredRecord | None:
        with self.database.reading() as cursor:
            rows = cursor.execute(
                f"SELECT {self.position_column}, originator_id, originator_version, "
                f"topic, state FROM {self.table} "
                "WHERE originator_id = ? AND originator_version = ?",
                (self._key(originator_id), version),
            ).all()
        records = self._records(rows)
        return records[0] if records else None

    def after(
        self, position: int, limit: int, topics: Sequence[str] = ()
    ) -> list[StoredRecord]:
        """Up to ``limit`` events after ``position``, in commit order."""
        statement = (
            f"SELECT {self.position_column}, originator_id, originator_version, "
            f"topic, state FROM {self.table} WHERE {self.position_column} > ?"
        )
        params: list[Any] = [position]
        if topics:
            statement += f" AND topic IN ({', '.join('?' for _ in topics)})"
            params.extend(topics)
        statement += f" ORDER BY {self.position_column} LIMIT ?"
        params.append(limit)
        with self.database.reading() as cursor:
            rows = cursor.execute(statement, params).all()
        return self._records(rows)

    def stream(
        self, start_after: int = 0, batch: int = 1000, topics: Sequence[str] = ()
    ) -> Iterator[StoredRecord]:
        """The whole log after ``start_after``, in bounded batches."""
        position = start_after
        while True:
            records = self.after(position, batch, topics)
            if not records:
                return
            yield from records
            position = records[-1].position

    def exists(self, position: int) -> bool:
        """Whether an event is stored at this log position."""
        with self.database.reading() as cursor:
            row = cursor.execute(
                f"SELECT 1 FROM {self.table} WHERE {self.position_column} = ?",
                (position,),
            ).one()
        return row is not None

    def head(self) -> int:
        with self.database.reading() as cursor:
            row = cursor.execute(
                f"SELECT MAX({self.position_column}) FROM {self.table}"
            ).one()
        return int(row[0]) if row and row[0] is not None else 0

    def _decode(self, state: object) -> dict[str, Any]:
        """The stored payload; a row that no longer decodes (someone wrote to
        it directly) yields a marker instead, so verification can report it."""
        raw = state.encode() if isinstance(state, str) else bytes(state)  # type: ignore[call-overload]
        try:
            decoded = self.transcoder.decode(raw)
        except Exception as error:  # a damaged row is data to report, not a crash
            return {"undecodable": f"{type(error).__name__}: {error}"}
        return decoded if isinstance(decoded, dict) else {"undecodable": "not a map"}

    def _records(self, rows: list[tuple[Any, ...]]) -> list[StoredRecord]:
        times = self.recorded.at_positions([int(row[0]) for row in rows])
        return [
            StoredRecord(
                position=int(position),
                originator_id=originator
                if isinstance(originator, UUID)
                else UUID(str(originator)),
                version=int(version),
                topic=str(topic),
                state=self._decode(state),
                recorded_at=times.get(int(position)),
            )
            for position, originator, version, topic, state in rows
        ]
