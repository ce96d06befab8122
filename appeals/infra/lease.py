"""A lease: at most one process at a time does a named piece of work (the
escalation scheduler), however many run it; and :class:`Shares`, which
divides many named pieces (the projection worker's views) among the
processes that run them.

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
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from appeals.infra.settings import DatabaseConfig
from appeals.infra.store import connect

log = logging.getLogger(__name__)


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


# --------------------------------------------------------------------------
# Work divided among peers (PostgreSQL)

PRESENCE = "(present)"
"""The member name every peer holds shared: counting its holders counts the
live peers."""

SELECT_ADVISORY_LOCKS = """
SELECT l.classid::bigint, l.objid::bigint, l.mode, l.pid, a.application_name
  FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""

KEEPALIVES = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
)
"""The server drops a lost peer's session (and its locks) about 25 s after
its machine goes silent; a process that dies closes its socket at once."""


def lock_ids(key: int) -> tuple[int, int]:
    """How ``pg_locks`` shows a bigint advisory key: (classid, objid), its
    high and low halves as unsigned 32-bit numbers."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return unsigned >> 32, unsigned & 0xFFFF_FFFF


class Shares:
    """Divides named pieces of work (the projection worker's views) among
    the processes that run them, with one session advisory lock per name on
    a connection of this process's own.

    Each :meth:`refresh` counts the live peers (every peer holds the
    ``group``'s presence lock, shared), takes free names up to its fair share
    (the names divided by the peers, rounded up) and gives back any beyond
    it, so a newcomer gets its part within a refresh or two. List the names
    heaviest first: the first taken are the first in the list, and those
    given back are spread over it, so heavy names end up with different
    peers. A peer that dies
    loses its session and with it its locks; the others take its names at
    their next refresh. Holding a name is an efficiency, not the guarantee:
    the work must stay safe when two do it at once (the projection runtime's
    tracking compare-and-set lets one batch win)."""

    def __init__(
        self,
        connect: Callable[[], psycopg.Connection[Any]],
        group: str,
        names: Sequence[str],
    ) -> None:
        self._connect = connect
        self.group = group
        self.names = list(names)
        self._keys = {name: lock_key(f"{group}:{name}") for name in self.names}
        self._presence = lock_key(f"{group}:{PRESENCE}")
        self._connection: psycopg.Connection[Any] | None = None
        self.held: frozenset[str] = frozenset()
        self.peers = 0

    def refresh(self) -> frozenset[str]:
        """Takes or gives back names towards a fair share; the names held
        now (none while the database cannot be reached)."""
        try:
            connection = self._connection or self._open()
            self.peers = max(1, self._count_peers(connection))
            share = -(-len(self.names) // self.peers)
            held = [name for name in self.names if name in self.held]
            if len(held) > share:
                # Keep every peers-th name, so that names listed heaviest
                # first are spread rather than kept in a block.
                keep = held[:: self.peers][:share]
                keep += [n for n in held if n not in keep][: share - len(keep)]
                for name in held:
                    if name not in keep:
                        connection.execute(
                            "SELECT pg_advisory_unlock(%s)", (self._keys[name],)
                        )
                held = [name for name in held if name in keep]
            for name in self.names:
                if len(held) >= share:
                    break
                if name in held:
                    continue
                row = connection.execute(
                    "SELECT pg_try_advisory_lock(%s)", (self._keys[name],)
                ).fetchone()
                if row is not None and row[0]:
                    held.append(name)
        except psycopg.Error as error:
            log.warning("leases for %s lost: %s", self.group, error)
            self.close()
            return self.held
        self.held = frozenset(held)
        return self.held

    def _open(self) -> psycopg.Connection[Any]:
        connection = self._connect()
        connection.row_factory = tuple_row
        try:
            for statement in KEEPALIVES:
                connection.execute(statement)
            connection.execute("SELECT pg_advisory_lock_shared(%s)", (self._presence,))
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def _count_peers(self, connection: psycopg.Connection[Any]) -> int:
        wanted = lock_ids(self._presence)
        return sum(
            1
            for classid, objid, *_ in connection.execute(SELECT_ADVISORY_LOCKS)
            if (classid, objid) == wanted
        )

    def holders(self) -> dict[str, str]:
        """Who holds each held name: its session's ``application_name`` and
        backend pid, as any peer (or an operator's tool) sees them."""
        connection = self._connection or self._open()
        return holders(connection, self.group, self.names)

    def close(self) -> None:
        """Gives every name back (the session ends)."""
        self.held = frozenset()
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                self._connection.close()
            self._connection = None


def holders(
    connection: psycopg.Connection[Any], group: str, names: Sequence[str]
) -> dict[str, str]:
    """For each of ``names`` in ``group`` that a session holds: that
    session's ``application_name`` and backend pid, as ``name (pid N)``."""
    keys = {lock_ids(lock_key(f"{group}:{name}")): name for name in names}
    found = {}
    with connection.cursor(row_factory=tuple_row) as cursor:
        rows = cursor.execute(SELECT_ADVISORY_LOCKS).fetchall()
    for classid, objid, mode, pid, application in rows:
        name = keys.get((classid, objid))
        if name is not None and mode == "ExclusiveLock":
            found[name] = f"{application or '?'} (pid {pid})"
    return found
