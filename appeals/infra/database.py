"""Our own tables beside the event store, on the same SQLite file or PostgreSQL
database and through the same connection pool the event store uses.

SQL is written once with ``?`` placeholders; on PostgreSQL they become ``%s``.
Statements are plain SQL that both engines accept (``INSERT ... ON CONFLICT``,
``RETURNING``: SQLite 3.35 and later).

:func:`open_replica` opens a second one, read-only, on a PostgreSQL streaming
replica (APPEALS_READ_DATABASE_URL): the views' tables and tracking rows live
in the primary's database, so the replica replays them with everything else.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import psycopg
import psycopg.rows
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from appeals.infra.availability import install, probe
from appeals.infra.settings import DatabaseConfig

Engine = Literal["sqlite", "postgres"]


class Database:
    """Runs our SQL in short transactions on the event store's own datastore;
    on PostgreSQL behind the outage gate (``infra/availability.py``), which
    guards the event store's own statements too."""

    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.datastore = datastore
        self.engine: Engine = (
            "postgres" if isinstance(datastore, PostgresDatastore) else "sqlite"
        )
        self.availability = (
            install(datastore) if isinstance(datastore, PostgresDatastore) else None
        )

    def probe(self, timeout: float, table: str) -> None:
        """Raises unless ``table`` can be read, on PostgreSQL over a new
        connection within ``timeout`` seconds (readiness)."""
        statement = f"SELECT 1 FROM {self.table(table)} LIMIT 1"
        if isinstance(self.datastore, PostgresDatastore):
            probe(self.datastore, timeout, statement)
            if self.availability is not None:
                self.availability.succeeded()
            return
        with self.reading() as sql:
            sql.execute(statement)

    def table(self, name: str) -> str:
        """A table name qualified for this engine (PostgreSQL: its schema)."""
        if isinstance(self.datastore, PostgresDatastore):
            return f'"{self.datastore.schema}".{name}'
        return name

    def sql(self, statement: str) -> str:
        """Adapts a statement written with ``?`` placeholders to this engine."""
        if self.engine == "postgres":
            return statement.replace("?", "%s")
        return statement

    @contextmanager
    def transaction(self, *, pipelined: bool = False) -> Iterator[Sql]:
        """A transaction that commits when the block ends without an error.

        ``pipelined`` (PostgreSQL): the block runs in libpq's pipeline mode,
        so statements whose results nobody reads (the rows a projection
        writes) are sent without waiting for each one's answer; a read waits
        only for what was sent before it, and an error surfaces at the next
        read or at the end of the block, rolling the whole transaction back
        as any error does. COPY cannot run in a pipeline
        (:attr:`Sql.pipelined` tells the writer)."""
        with self.datastore.transaction(commit=True) as cursor:
            if not (pipelined and isinstance(cursor, psycopg.Cursor)):
                yield Sql(self, tuple_rows(cursor))
                return
            with cursor.connection.pipeline():
                yield Sql(self, tuple_rows(cursor), pipelined=True)

    @contextmanager
    def reading(self) -> Iterator[Sql]:
        """A read-only transaction (rolled back at the end)."""
        with self.datastore.transaction(commit=False) as cursor:
            yield Sql(self, tuple_rows(cursor))

    def close(self) -> None:
        """Closes the datastore's connections (for a database opened apart
        from the event store, such as :func:`open_replica`'s)."""
        self.datastore.close()

    def vacuum(self, tables: Sequence[str]) -> None:
        """PostgreSQL: ``VACUUM (ANALYZE)`` each of ``tables`` (qualified
        names), after a bulk load such as a rebuild's. Its visibility map lets
        index-only scans skip the heap (the overdue counts read 18,856 heap
        pages of a freshly rebuilt table, none after it), and the planner gets
        the new sizes, instead of both waiting for autovacuum to come round.
        VACUUM cannot run in a transaction: the pool's connections are in
        autocommit. SQLite keeps no visibility map: nothing to do."""
        if not isinstance(self.datastore, PostgresDatastore):
            return
        with self.datastore.get_connection() as connection:
            for table in tables:
                connection.execute(f"VACUUM (ANALYZE) {table}")

    def execute_script(self, statements: Sequence[str]) -> None:
        """Runs DDL statements, each idempotent (``IF NOT EXISTS``)."""
        with self.transaction() as sql:
            for statement in statements:
                sql.execute(statement)


def open_replica(
    config: DatabaseConfig, *, pool_size: int, max_overflow: int, wait: float
) -> Database:
    """A :class:`Database` on a read replica, with a pool of its own sized
    like the primary's and the same wait for a connection."""
    datastore = PostgresDatastore(
        dbname=config.pg_dbname,
        host=config.pg_host,
        port=config.pg_port,
        user=config.pg_user,
        password=config.pg_password,
        connect_timeout=wait,
        idle_in_transaction_session_timeout=30,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pre_ping=True,
        schema=config.pg_schema,
    )
    return Database(datastore)


class Sql:
    """A cursor inside one transaction: ``?`` placeholders on both engines,
    rows as tuples, and ``executemany`` for batched writes."""

    def __init__(
        self, database: Database, cursor: Any, *, pipelined: bool = False
    ) -> None:
        self.database = database
        self._cursor = cursor
        self._writer = cursor  # executemany's, whose results nobody reads
        self.pipelined = pipelined
        """In libpq's pipeline mode (:meth:`Database.transaction`): no COPY,
        and each read on a cursor of its own."""

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Sql:
        if self.pipelined:
            # A cursor of its own: in a pipeline, the results of statements
            # sent before (rows written, not read) may arrive while this one
            # is sent, and they go to the cursor that sent them; on a shared
            # cursor this read would find a write's result instead of its rows.
            self._cursor = tuple_rows(self._cursor.connection.cursor())
        self._cursor.execute(self.database.sql(statement), tuple(params))
        return self

    def send(self, statement: str, params: Sequence[Any] = ()) -> Pending:
        """A read whose rows are wanted later. In a pipeline it is only
        sent: reads sent one after another are answered together, in one
        round trip, when the first of them is fetched. Elsewhere it runs at
        once."""
        self.execute(statement, params)
        if self.pipelined:
            return Pending(self._cursor)
        return Pending(None, self.all())

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        cursor = self._writer if self.pipelined else self._cursor
        cursor.executemany(self.database.sql(statement), rows)

    def copy_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """PostgreSQL's bulk load: ``rows`` into ``table`` with one ``COPY``."""
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self._cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def one(self) -> tuple[Any, ...] | None:
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def all(self) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._cursor.fetchall()]


class Pending:
    """The rows of a read sent ahead (:meth:`Sql.send`), fetched when asked."""

    def __init__(self, cursor: Any, rows: list[tuple[Any, ...]] | None = None):
        self._cursor = cursor
        self._rows = rows

    def all(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            self._rows = [tuple(row) for row in self._cursor.fetchall()]
            self._cursor = None
        return self._rows


def tuple_rows(cursor: Any) -> Any:
    """Our queries read rows by position. The event store's PostgreSQL
    connections make dict rows, which would merge columns of the same name
    (two ``SUM(...)``); this cursor makes tuples instead."""
    if isinstance(cursor, psycopg.Cursor):
        cursor.row_factory = psycopg.rows.tuple_row
    return cursor
