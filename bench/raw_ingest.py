"""Baseline (a): the same writes as the command mix, straight through
psycopg, one transaction per command, on ``connections`` connections.

``python -m bench.raw_ingest CONFIG.json RESULT.json``. The table has the
event store's shape (the library's DDL: uuid + version primary key, a
``bigserial`` notification id with a unique index, a ``bytea`` payload of the
ledger's average size, plus the ledger's ``recorded_at`` default). Per
lifecycle: one transaction inserting two rows (the appeal's receipt and its
ticket claim), then one single-row transaction per further command (6 on
average). Modes:

- ``unlocked``: one INSERT, its own transaction;
- ``locked``: BEGIN; LOCK TABLE ... IN EXCLUSIVE MODE; INSERT; COMMIT; (the
  lock eventsourcing 9.5 takes so that commit order equals log order);
- ``locked_notify``: the library's statements exactly: the lock timeout, the
  lock, NOTIFY on the table's channel, INSERT ... RETURNING, COMMIT.

Each transaction is one simple-query message (client-side parameter
binding), so it costs one round trip and about 0.1 ms of client CPU: the
figures are the database's ceiling rather than the client's (the client's
CPU per transaction is reported beside them).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg

from bench.loadgen import announce_window

TABLE = "raw_events"
PAYLOAD_BYTES = 420
COMMANDS_PER_LIFECYCLE = 7

CREATE = [
    f"DROP TABLE IF EXISTS {TABLE}",
    f"CREATE TABLE {TABLE} ("
    " originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
    " topic text, state bytea, notification_id bigserial,"
    " recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
    " PRIMARY KEY (originator_id, originator_version))",
    f"CREATE UNIQUE INDEX {TABLE}_notification_id_idx ON {TABLE} (notification_id ASC)",
]
INSERT = (
    f"INSERT INTO {TABLE} (originator_id, originator_version, topic, state)"
    " VALUES (%s, %s, %s, %s)"
)
LOCK = f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE"
STATEMENTS = {
    "unlocked": [INSERT, INSERT + ", (%s, %s, %s, %s)"],
    "locked": [
        f"BEGIN; {LOCK}; {INSERT}; COMMIT",
        f"BEGIN; {LOCK}; {INSERT}, (%s, %s, %s, %s); COMMIT",
    ],
    "locked_notify": [
        f"BEGIN; SET LOCAL lock_timeout = '10s'; {LOCK}; NOTIFY {TABLE}; "
        f"{INSERT}{rows} RETURNING notification_id; COMMIT"
        for rows in ("", ", (%s, %s, %s, %s)")
    ],
}
"""Per mode: the statement for one row and for two (one message each)."""
MODES = tuple(STATEMENTS)


@dataclass(frozen=True)
class RawConfig:
    conninfo: str
    mode: str
    connections: int
    warmup: float
    duration: float
    max_commands: int


def prepare(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as connection:
        for statement in CREATE:
            connection.execute(statement)


class Shared:
    """Counters shared by the writer threads (under one lock)."""

    def __init__(self, config: RawConfig) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.sent = 0
        self.start = time.monotonic() + config.warmup
        self.deadline = self.start + config.duration
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}

    def may_send(self) -> bool:
        with self.lock:
            if time.monotonic() >= self.deadline or self.sent >= (
                self.config.max_commands
            ):
                return False
            self.sent += 1
            return True

    def done(self, began: float, ended: float, error: str | None) -> None:
        if began < self.start or ended > self.deadline:
            return
        with self.lock:
            if error is None:
                self.latencies.append((ended - began) * 1000.0)
            else:
                self.errors[error] = self.errors.get(error, 0) + 1


def writer(shared: Shared) -> None:
    config = shared.config
    payload = os.urandom(PAYLOAD_BYTES)
    one, two = STATEMENTS[config.mode]
    with psycopg.connect(
        config.conninfo, autocommit=True, cursor_factory=psycopg.ClientCursor
    ) as connection:
        cursor = connection.cursor()
        while True:
            originator = uuid.uuid4()
            for version in range(1, COMMANDS_PER_LIFECYCLE + 1):
                if not shared.may_send():
                    return
                params: tuple[Any, ...] = (originator, version, "Appeal.Event", payload)
                statement = one
                if version == 1:
                    claim = (uuid.uuid4(), 1, "AppealIndex.Claimed", payload)
                    params, statement = params + claim, two
                began = time.monotonic()
                error = None
                try:
                    cursor.execute(statement, params)
                except psycopg.Error as failure:
                    error = type(failure).__name__
                shared.done(began, time.monotonic(), error)


def run(config: RawConfig) -> dict[str, Any]:
    if config.mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    shared = Shared(config)
    announce_window(shared.start, shared.deadline)
    threads = [
        threading.Thread(target=writer, args=(shared,), daemon=True)
        for _ in range(config.connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(config.warmup + config.duration + 60)
    completed = len(shared.latencies)
    seconds = config.duration
    if shared.sent >= config.max_commands:
        seconds = max(1e-9, min(config.duration, time.monotonic() - shared.start))
    return {
        "window": [shared.start, shared.start + seconds],
        "seconds": seconds,
        "completed": completed,
        "errors": shared.errors,
        "latencies_ms": {"command": shared.latencies},
        "positions": [],
    }


def main(argv: list[str]) -> int:
    raw = orjson.loads(Path(argv[0]).read_bytes())
    config = RawConfig(**raw)
    prepare(config.conninfo)
    Path(argv[1]).write_bytes(orjson.dumps(run(config)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
