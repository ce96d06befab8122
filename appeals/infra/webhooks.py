"""Webhook subscribers and their delivery state, in the ledger's database,
and the signature every delivery carries.

A subscriber has a URL, a secret (shown once when added), the event kinds it
wants (topics such as ``Appeal.Assigned``; none: every appeal event) and
optionally a unit (only events of appeals held by that unit then). Its
``cursor`` is the log position of the last event it is done with: delivered,
or given up on and kept in the dead-letter list.

Signature: ``X-Appeals-Signature: t=<unix seconds>,v1=<hex>``, where ``hex`` is
HMAC-SHA256 over ``"<t>." + body`` with the subscriber's secret. A receiver
recomputes it and refuses a ``t`` more than five minutes from its own clock
(a replayed request); :func:`verify` does exactly that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from appeals.infra.database import Database

SIGNATURE_HEADER = "X-Appeals-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: float) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within the tolerance."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected, header)


@dataclass(frozen=True)
class Subscriber:
    id: str
    url: str
    secret: str
    kinds: tuple[str, ...]
    unit: str | None
    created_at: str


@dataclass(frozen=True)
class DeliveryState:
    cursor: int
    attempts: int
    retry_at: float | None
    last_error: str | None
    delivered: int
    last_delivered_at: str | None


@dataclass(frozen=True)
class DeadLetter:
    subscriber: str
    position: int
    attempts: int
    error: str
    at: str


class WebhookStore:
    """Subscribers, their cursors and their dead letters."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.subscribers = database.table("webhook_subscribers")
        self.states = database.table("webhook_states")
        self.dead = database.table("webhook_dead_letters")

    def create_tables(self) -> None:
        self.database.execute_script(
            [
                f"CREATE TABLE IF NOT EXISTS {self.subscribers} ("
                " id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL,"
                " kinds TEXT NOT NULL, unit TEXT, created_at TEXT NOT NULL,"
                " removed_at TEXT)",
                f"CREATE TABLE IF NOT EXISTS {self.states} ("
                " subscriber TEXT PRIMARY KEY, cursor BIGINT NOT NULL,"
                " attempts INTEGER NOT NULL, retry_at DOUBLE PRECISION,"
                " last_error TEXT, delivered BIGINT NOT NULL,"
                " last_delivered_at TEXT)",
                f"CREATE TABLE IF NOT EXISTS {self.dead} ("
                " subscriber TEXT NOT NULL, position BIGINT NOT NULL,"
                " attempts INTEGER NOT NULL, error TEXT NOT NULL, at TEXT NOT NULL,"
                " PRIMARY KEY (subscriber, position))",
            ]
        )

    # ---- subscribers --------------------------------------------------------

    def add(
        self,
        url: str,
        kinds: tuple[str, ...],
        unit: str | None,
        start_after: int,
        now: datetime,
    ) -> Subscriber:
        subscriber = Subscriber(
            id="whk_" + secrets.token_hex(6),
            url=url,
            secret="whsec_" + secrets.token_urlsafe(32),
            kinds=tuple(sorted(set(kinds))),
            unit=unit,
            created_at=now.isoformat(),
        )
        with self.database.transaction() as sql:
            sql.execute(
                f"INSERT INTO {self.subscribers} (id, url, secret, kinds, unit, "
                "created_at, removed_at) VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (
                    subscriber.id,
                    url,
                    subscriber.secret,
                    json.dumps(list(subscriber.kinds)),
                    unit,
                    subscriber.created_at,
                ),
            )
            sql.execute(
                f"INSERT INTO {self.states} (subscriber, cursor, attempts, retry_at, "
                "last_error, delivered, last_delivered_at) "
                "VALUES (?, ?, 0, NULL, NULL, 0, NULL)",
                (subscriber.id, start_after),
            )
        return subscriber

    def remove(self, subscriber: str, now: datetime) -> bool:
        """Stops delivering to ``subscriber``; False if it was not active."""
        if subscriber not in {s.id for s in self.active()}:
            return False
        with self.database.transaction() as sql:
            sql.execute(
                f"UPDATE {self.subscribers} SET removed_at = ? "
                "WHERE id = ? AND removed_at IS NULL",
                (now.isoformat(), subscriber),
            )
        return True

    def active(self) -> list[Subscriber]:
        with self.database.reading() as sql:
            rows = sql.execute(
                f"SELECT id, url, secret, kinds, unit, created_at "
                f"FROM {self.subscribers} WHERE removed_at IS NULL ORDER BY id"
            ).all()
        return [
            Subscriber(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], r[5])
            for r in rows
        ]

    # ---- delivery state -----------------------------------------------------

    def state(self, subscriber: str) -> DeliveryState:
        with self.database.reading() as sql:
            row = sql.execute(
                f"SELECT cursor, attempts, retry_at, last_error, delivered, "
                f"last_delivered_at FROM {self.states} WHERE subscriber = ?",
                (subscriber,),
            ).one()
        if row is None:
            raise KeyError(subscriber)
        return DeliveryState(
            int(row[0]),
            int(row[1]),
            None if row[2] is None else float(row[2]),
            row[3],
            int(row[4]),
            row[5],
        )

    def done_with(
        self, subscriber: str, position: int, now: datetime, delivered: int = 1
    ) -> None:
        """Delivered (``delivered`` events, the last at ``position``): the
        cursor moves past ``position``."""
        with self.database.transaction() as sql:
            sql.execute(
                f"UPDATE {self.states} SET cursor = ?, attempts = 0, "
                "retry_at = NULL, last_error = NULL, delivered = delivered + ?, "
                "last_delivered_at = ? WHERE subscriber = ?",
                (position, delivered, now.isoformat(), subscriber),
            )

    def skip(self, subscriber: str, position: int) -> None:
        """Not for this subscriber (another unit's): the cursor moves on."""
        with self.database.transaction() as sql:
            sql.execute(
                f"UPDATE {self.states} SET cursor = ? WHERE subscriber = ? "
                "AND cursor < ?",
                (position, subscriber, position),
            )

    def failed(
        self, subscriber: str, attempts: int, retry_at: float, error: str
    ) -> None:
        with self.database.transaction() as sql:
            sql.execute(
                f"UPDATE {self.states} SET attempts = ?, retry_at = ?, "
                "last_error = ? WHERE subscriber = ?",
                (attempts, retry_at, error[:500], subscriber),
            )

    def bury(
        self, subscriber: str, position: int, attempts: int, error: str, now: datetime
    ) -> None:
        """Given up: into the dead-letter list, and the cursor moves on, in
        one transaction."""
        with self.database.transaction() as sql:
            sql.execute(
                f"DELETE FROM {self.dead} WHERE subscriber = ? AND position = ?",
                (subscriber, position),
            )
            sql.execute(
                f"INSERT INTO {self.dead} (subscriber, position, attempts, error, at) "
                "VALUES (?, ?, ?, ?, ?)",
                (subscriber, position, attempts, error[:500], now.isoformat()),
            )
            sql.execute(
                f"UPDATE {self.states} SET cursor = ?, attempts = 0, "
                "retry_at = NULL, last_error = ? WHERE subscriber = ?",
                (position, error[:500], subscriber),
            )

    def replay_from(self, subscriber: str, position: int) -> None:
        """Delivers again from ``position`` on (its dead letters from there
        are cleared: they will be tried afresh)."""
        with self.database.transaction() as sql:
            sql.execute(
                f"UPDATE {self.states} SET cursor = ?, attempts = 0, "
                "retry_at = NULL WHERE subscriber = ?",
                (max(0, position - 1), subscriber),
            )
            sql.execute(
                f"DELETE FROM {self.dead} WHERE subscriber = ? AND position >= ?",
                (subscriber, position),
            )

    def dead_letters(self, subscriber: str | None = None) -> list[DeadLetter]:
        where, params = (
            ("WHERE subscriber = ? ", [subscriber]) if subscriber else ("", [])
        )
        with self.database.reading() as sql:
            rows = sql.execute(
                f"SELECT subscriber, position, attempts, error, at FROM {self.dead} "
                f"{where}ORDER BY subscriber, position",
                params,
            ).all()
        return [DeadLetter(r[0], int(r[1]), int(r[2]), r[3], r[4]) for r in rows]
