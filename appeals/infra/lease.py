"""A lease: at most one process at a time does a named piece of work (the
escalation scheduler), however many run it.

- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a
  connection of its own, held while the work runs; a process that dies
  loses its connection and with it the lock.
- SQLite: an exclusive ``flock`` on a file beside the database file, which
  the operating system releases when the process ends.

Taking the lease never waits: a caller that does not get it skips this pass.
The work itself stays safe without it (the aggregate refuses a rung already
recorded); the lease keeps several schedulers from doing it twice over.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from appeals.infra.settings import DatabaseConfig
from appeals.infra.store import connect


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (advisory locks take bigints)."""
    digest = hashlib.sha256(f"appeals:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def lease(db: DatabaseConfig, name: str) -> Iterator[bool]:
    """Yields True while this process holds the lease ``name``, else False
    (someone else holds it; do nothing this time)."""
    if db.engine == "sqlite":
        with _file_lease(Path(f"{db.sqlite_path}.{name}.lease")) as held:
            yield held
        return
    with _advisory_lease(db, name) as held:
        yield held


@contextlib.contextmanager
def _file_lease(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _advisory_lease(db: DatabaseConfig, name: str) -> Iterator[bool]:
    key = lock_key(name)
    connection: psycopg.Connection[Any] = connect(
        db, autocommit=True, connect_timeout=5
    )
    try:
        row = connection.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        held = bool(row and row[0])
        try:
            yield held
        finally:
            if held:
                with contextlib.suppress(psycopg.Error):
                    connection.execute("SELECT pg_advisory_unlock(%s)", (key,))
    finally:
        connection.close()
