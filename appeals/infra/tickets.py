"""Allocates ticket sequence numbers per receipt day.

A counter row per day, bumped in its own short transaction (``INSERT ... ON
CONFLICT DO UPDATE ... RETURNING``), so concurrent receipts never share a
number and never wait on each other's event writes. A number whose receipt is
then not saved leaves a gap, as paper ticket books do; uniqueness itself is
enforced again by the ticket index saved with the appeal.
"""

from __future__ import annotations

from datetime import date

from appeals.infra.database import Database


class TicketCounter:
    """Hands out 1, 2, 3, ... for each day."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.table = database.table("ticket_counters")

    def create_table(self) -> None:
        self.database.execute_script(
            [
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                " day TEXT PRIMARY KEY,"
                " last_sequence BIGINT NOT NULL)"
            ]
        )

    def next(self, day: date) -> int:
        statement = (
            f"INSERT INTO {self.table} AS c (day, last_sequence) VALUES (?, 1) "
            "ON CONFLICT (day) DO UPDATE SET last_sequence = c.last_sequence + 1 "
            "RETURNING last_sequence"
        )
        with self.database.transaction() as cursor:
            row = cursor.execute(statement, (day.isoformat(),)).one()
        assert row is not None
        return int(row[0])

    def issued(self) -> int:
        """How many ticket numbers were handed out, on every day (receipts,
        and the odd number a failed receipt left unused)."""
        with self.database.reading() as cursor:
            row = cursor.execute(
                f"SELECT COALESCE(SUM(last_sequence), 0) FROM {self.table}"
            ).one()
        return 0 if row is None else int(row[0])
