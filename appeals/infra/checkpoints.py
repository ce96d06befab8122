"""Where the audit checkpoints are kept: periodic (position, digest) pairs of
the global digest chain, in our own table beside the events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from appeals.infra.database import Database


@dataclass(frozen=True)
class Checkpoint:
    """The global chain's digest after the event at ``position``."""

    position: int
    digest: str


class CheckpointStore:
    """Periodic (position, digest) pairs of the global chain."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.table = database.table("audit_checkpoints")

    def create_table(self) -> None:
        self.database.execute_script(
            [
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                " position BIGINT PRIMARY KEY,"
                " digest TEXT NOT NULL,"
                " created_at TEXT NOT NULL)"
            ]
        )

    def all(self) -> list[Checkpoint]:
        with self.database.reading() as cursor:
            rows = cursor.execute(
                f"SELECT position, digest FROM {self.table} ORDER BY position"
            ).all()
        return [Checkpoint(int(p), str(d)) for p, d in rows]

    def last(self) -> Checkpoint | None:
        """The newest checkpoint: where the chain was last extended to."""
        with self.database.reading() as cursor:
            row = cursor.execute(
                f"SELECT position, digest FROM {self.table} "
                "ORDER BY position DESC LIMIT 1"
            ).one()
        return None if row is None else Checkpoint(int(row[0]), str(row[1]))

    def add(self, checkpoints: Iterable[Checkpoint], now: datetime) -> None:
        with self.database.transaction() as cursor:
            for checkpoint in checkpoints:
                cursor.execute(
                    f"INSERT INTO {self.table} (position, digest, created_at) "
                    "VALUES (?, ?, ?) ON CONFLICT (position) DO NOTHING",
                    (checkpoint.position, checkpoint.digest, now.isoformat()),
                )
