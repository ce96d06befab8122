"""Database outages: fail fast while PostgreSQL is unreachable, recover at
once when it returns.

The event store's pool (psycopg_pool, configured through eventsourcing's
``POSTGRES_*`` settings in ``infra/store.py``) waits ``APPEALS_DB_WAIT_SECONDS``
for a connection and pings a pooled connection before handing it out
(``POSTGRES_PRE_PING``), so a connection broken by a restart is replaced, not
used. Two things the library does not do are added here:

- **Fail fast.** Its recorders retry a failed call ten times, each attempt
  waiting the full pool timeout: a read during an outage would take ten times
  the configured wait. The :class:`Availability` gate remembers that the
  database was unreachable; until the next probe is due (a fraction of a
  second) every caller gets :class:`DatabaseUnavailable` at once, which the
  library does not retry and HTTP answers as 503 with ``Retry-After``.
- **Recover at once.** The pool retries a lost connection with exponential
  backoff (1, 2, 4 ... s): after a 40 s outage it came back ~19 s late. Its
  ``reconnect_timeout`` is cut to about a second, so a failed attempt gives
  up soon and the next request starts a fresh one.

``/readyz`` asks :func:`probe`: one new connection and a read, bounded,
outside the pool and the request threadpool.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
import psycopg.errors
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresDatastore
from psycopg_pool import PoolTimeout, TooManyRequests

PROBE_INTERVAL = 0.25
"""While unreachable, one caller in this many seconds tries the database."""

RECONNECT_TIMEOUT = 1.0
"""How long the pool keeps retrying one lost connection before giving up."""

RETRY_AFTER_SECONDS = 1
"""What a 503 during an outage tells the client to wait."""

CONNECTION_SQLSTATES = ("08", "57P01", "57P02", "57P03")
"""Connection exceptions and the server shutting down or starting up."""


class DatabaseUnavailable(Exception):
    """The database cannot be reached right now; try again shortly."""


def is_outage(error: BaseException) -> bool:
    """Whether an error means the database is unreachable or busy for now
    (SQLite: locked past its timeout), not, say, a lock timeout on a row or
    a broken constraint."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DatabaseUnavailable | PoolTimeout | TooManyRequests):
            return True
        if isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError):
            state = cause.sqlstate or ""
            return not state or state.startswith(CONNECTION_SQLSTATES)
        if isinstance(cause, sqlite3.OperationalError):
            return "locked" in str(cause) or "busy" in str(cause)
        cause = cause.__cause__
    return False


class Availability:
    """The gate in front of the event store's connections."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._next_probe = 0.0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def admit(self) -> None:
        """Lets a caller through, or refuses at once while the database is
        known to be unreachable and no probe is due."""
        with self._lock:
            if self._down_since is None:
                return
            now = self._clock()
            if now < self._next_probe:
                raise DatabaseUnavailable("the database is unreachable")
            self._next_probe = now + PROBE_INTERVAL  # this caller probes

    def failed(self) -> None:
        with self._lock:
            now = self._clock()
            if self._down_since is None:
                self._down_since = now
            self._next_probe = now + PROBE_INTERVAL

    def succeeded(self) -> None:
        with self._lock:
            self._down_since = None

    def guard(
        self, open_connection: Callable[[], AbstractContextManager[Any]]
    ) -> Callable[[], AbstractContextManager[Any]]:
        """``open_connection`` (the datastore's) behind this gate."""

        @contextmanager
        def guarded() -> Iterator[Any]:
            self.admit()
            connected = False
            try:
                with open_connection() as connection:
                    connected = True
                    self.succeeded()
                    yield connection
            except (OperationalError, InterfaceError) as error:
                if not is_outage(error):
                    raise
                self.failed()
                if connected:
                    raise  # the library retries on a fresh connection
                raise DatabaseUnavailable(str(error) or "no connection") from error

        return guarded


_GATES: weakref.WeakKeyDictionary[PostgresDatastore, Availability] = (
    weakref.WeakKeyDictionary()
)


def install(datastore: PostgresDatastore) -> Availability:
    """Puts the gate in front of the datastore's connections (once per
    datastore) and shortens its pool's reconnection backoff."""
    gate = _GATES.get(datastore)
    if gate is not None:
        return gate
    gate = _GATES[datastore] = Availability()
    pool = datastore.pool
    pool.reconnect_timeout = RECONNECT_TIMEOUT
    if isinstance(pool.kwargs, dict):
        # libpq's own bound on one connection attempt (a black-holed host).
        pool.kwargs.setdefault("connect_timeout", 2)
    # The library calls ``self.get_connection()`` for every statement.
    datastore.get_connection = gate.guard(datastore.get_connection)  # type: ignore[method-assign,assignment]
    return gate


def probe(datastore: PostgresDatastore, timeout: float, statement: str) -> None:
    """Opens one new connection and runs ``statement``; raises if the
    database does not answer."""
    params = (
        dict(datastore.pool.kwargs) if isinstance(datastore.pool.kwargs, dict) else {}
    )
    params.pop("row_factory", None)
    params["connect_timeout"] = max(1, round(timeout))
    with psycopg.connect(autocommit=True, **params) as connection:
        connection.execute(
            "SELECT set_config('statement_timeout', %s, false)",
            (f"{int(timeout * 1000)}ms",),
        )
        connection.execute(statement)
