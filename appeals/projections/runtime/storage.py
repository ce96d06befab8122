"""A projection's tables in SQL, on SQLite and PostgreSQL alike.

Each projection has a live copy (tables prefixed ``view_``) and, while it is
being rebuilt, a fresh copy (``rebuild_``) filled from all history beside it.
:class:`SqlState` is the :class:`~appeals.projections.runtime.model.State` a batch
reads and writes: rows are read by key once, kept for the rest of the batch,
and written back when the batch ends, per table one ``executemany`` (or, on
PostgreSQL, for ``COPY_FROM`` rows or more, one ``COPY`` into a temporary
table and one upsert from it), so a batch of a thousand events costs a few
round trips, not thousands.

A runner that alone writes its copy (a rebuild's) also keeps its rows between
batches in a bounded :class:`CarriedRows`, so the next batches read them from
memory (folds as objects, not parsed again); rows not carried are preloaded
per batch, per-appeal ones in one query per table.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore

from appeals.infra.database import Database, Pending, Sql
from appeals.projections.runtime.model import (
    PART,
    Change,
    Key,
    Projection,
    Put,
    Row,
    Table,
    WrittenOnly,
    check_row,
)

LIVE = "live"
REBUILD = "rebuild"
PRELOAD_CHUNK = 500
COPY_FROM = 100
"""Rows of one table in one batch from which PostgreSQL gets them by COPY."""
PREFIX = {LIVE: "view_", REBUILD: "rebuild_"}
"""Table name prefix of each copy: ``view_appeal_list``, ``rebuild_appeal_list``."""


@dataclass(frozen=True)
class Partition:
    """Part ``index`` of ``count`` of a rebuild: the appeals whose id, as an
    integer, leaves ``index`` when divided by ``count``. Every part of a view
    writes the same rebuild copy (its own appeals' rows, disjoint from the
    others') and keeps its own tracking row, under :attr:`target`."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"no part {self.index} of {self.count}")

    @property
    def target(self) -> str:
        """The part's tracking row's target: ``rebuild:1/4``."""
        return f"{REBUILD}:{self.index}/{self.count}"

    @classmethod
    def of_target(cls, target: str) -> Partition | None:
        """The part a tracking target names, None for any other target."""
        prefix, _, part = target.partition(":")
        if prefix != REBUILD or not part:
            return None
        index, _, count = part.partition("/")
        return cls(int(index), int(count))

    def holds(self, originator_id: UUID | str) -> bool:
        """Whether the appeal with this id is in this part."""
        number = (
            originator_id.int
            if isinstance(originator_id, UUID)
            else UUID(originator_id).int
        )
        return number % self.count == self.index


SELECT_SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"
SELECT_POSTGRES_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = ?"
SELECT_SQLITE_INDEXES = "SELECT name FROM sqlite_master WHERE type = 'index'"
SELECT_POSTGRES_INDEXES = "SELECT indexname FROM pg_indexes WHERE schemaname = ?"
SELECT_PRIMARY_KEY_NAME = """
SELECT con.conname FROM pg_constraint con
JOIN pg_class rel ON rel.oid = con.conrelid
JOIN pg_namespace nsp ON nsp.oid = rel.relnamespace
WHERE nsp.nspname = ? AND rel.relname = ? AND con.contype = 'p'
"""


@contextmanager
def transaction(
    database: Database, *, write: bool, pipelined: bool = False
) -> Iterator[Sql]:
    """A transaction that commits if ``write`` and the block ends normally;
    any exception rolls everything in it back. ``pipelined`` (a write on
    PostgreSQL): its statements are pipelined (:meth:`Database.transaction`)."""
    if not write:
        with database.reading() as sql:
            yield sql
        return
    with database.transaction(pipelined=pipelined) as sql:
        yield sql


def existing_tables(sql: Sql) -> set[str]:
    """The (bare) names of the tables in our database or schema."""
    return _names(sql, SELECT_SQLITE_TABLES, SELECT_POSTGRES_TABLES)


def existing_indexes(sql: Sql) -> set[str]:
    """The names of the indexes in our database or schema."""
    return _names(sql, SELECT_SQLITE_INDEXES, SELECT_POSTGRES_INDEXES)


def _names(sql: Sql, on_sqlite: str, on_postgres: str) -> set[str]:
    datastore = sql.database.datastore
    if isinstance(datastore, PostgresDatastore):
        rows = sql.execute(on_postgres, (datastore.schema,)).all()
    else:
        rows = sql.execute(on_sqlite).all()
    return {str(row[0]) for row in rows}


@dataclass(frozen=True)
class IndexChanges:
    """What a live copy made by an earlier release lacks of this one's
    indexes and still has of those it retired: the statements that create
    the first and drop the others."""

    create: tuple[str, ...]
    drop: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.create or self.drop)


NO_INDEX_CHANGES = IndexChanges((), ())


class Copy:
    """One copy of a projection's tables (the live one or a rebuild)."""

    def __init__(self, database: Database, projection: Projection, target: str):
        self.database = database
        self.projection = projection
        self.target = target
        self.prefix = PREFIX[target]
        self._statements = {
            table.name: _Statements(self, table) for table in projection.tables
        }

    def bare(self, table: Table) -> str:
        return self.prefix + table.name

    def qualified(self, table: Table) -> str:
        return self.database.table(self.bare(table))

    def format(self, template: str, table: Table) -> str:
        return template.format(table=self.qualified(table), name=self.bare(table))

    def create(self, sql: Sql, *, indexes: bool) -> None:
        """Creates the tables if missing; secondary indexes only if asked (a
        rebuild loads faster without them and gets them when swapped in)."""
        for table in self.projection.tables:
            sql.execute(self.format(table.create, table))
            if indexes:
                self.create_indexes(sql, table)

    def create_indexes(self, sql: Sql, table: Table) -> None:
        for index in table.indexes:
            sql.execute(self.format(index, table))

    def index_changes(self, tables: set[str], indexes: set[str]) -> IndexChanges:
        """How the indexes of this copy's tables that exist (bare names in
        ``tables``; a missing table gets its indexes when made) differ from
        the ones the tables declare: those not among the existing ``indexes``
        to create, those :attr:`Table.retired` still among them to drop."""
        create: list[str] = []
        drop: list[str] = []
        for table in self.projection.tables:
            if self.bare(table) not in tables:
                continue
            for index, name in zip(table.indexes, table.index_names, strict=True):
                if self.format(name, table) not in indexes:
                    create.append(self.format(index, table))
            for retired in table.retired:
                name = self.format(retired, table)
                if name in indexes:
                    drop.append(f"DROP INDEX IF EXISTS {self.database.table(name)}")
        return IndexChanges(tuple(create), tuple(drop))

    def drop(self, sql: Sql) -> None:
        for table in self.projection.tables:
            sql.execute(f"DROP TABLE IF EXISTS {self.qualified(table)}")

    def rename_to(self, sql: Sql, target: Copy) -> None:
        """Renames these tables to ``target``'s names (which must be free)."""
        for table in self.projection.tables:
            sql.execute(
                f"ALTER TABLE {self.qualified(table)} RENAME TO {target.bare(table)}"
            )
            datastore = self.database.datastore
            if isinstance(datastore, PostgresDatastore):
                # A PostgreSQL constraint keeps its name through a table rename,
                # and the next rebuild's table would collide with it.
                found = sql.execute(
                    SELECT_PRIMARY_KEY_NAME, (datastore.schema, target.bare(table))
                ).one()
                if found is not None:
                    sql.execute(
                        f"ALTER TABLE {target.qualified(table)} RENAME CONSTRAINT "
                        f'"{found[0]}" TO "{target.bare(table)}_pkey"'
                    )

    def merge_parts(self, sql: Sql) -> None:
        """Sums each counter table's rows over ``part`` into part 0 (a view
        ``summed_by_part``, rebuilt in parts): the copy is then row for row
        what a whole rebuild would have written, and the live worker goes
        on writing part 0. Its other columns must be counters (integers),
        or declared ``Table.greatest`` (the greatest value is kept)."""
        if not self.projection.summed_by_part:
            return
        for table in self.projection.tables:
            if PART not in table.key:
                continue
            name = self.qualified(table)
            grouped = [column for column in table.key if column != PART]
            picked = ", ".join(
                "-1"
                if column == PART
                else column
                if column in table.key
                else table.combined(column)
                for column in table.columns
            )
            sql.execute(
                f"INSERT INTO {name} ({', '.join(table.columns)}) SELECT {picked} "
                f"FROM {name} GROUP BY {', '.join(grouped)}"
            )
            sql.execute(f"DELETE FROM {name} WHERE {PART} <> -1")
            sql.execute(f"UPDATE {name} SET {PART} = 0")

    def rows(self, sql: Sql, table: Table) -> list[dict[str, Any]]:
        """Every row of ``table`` in key order (for checks and tests)."""
        columns = ", ".join(table.columns)
        order = ", ".join(table.key)
        found = sql.execute(
            f"SELECT {columns} FROM {self.qualified(table)} ORDER BY {order}"
        ).all()
        return [dict(zip(table.columns, row, strict=True)) for row in found]

    def statements(self, table: Table) -> _Statements:
        return self._statements[table.name]


class _Statements:
    """The key-based SQL the runtime generates from a table's declaration."""

    def __init__(self, copy: Copy, table: Table) -> None:
        name = copy.qualified(table)
        where = " AND ".join(f"{column} = ?" for column in table.key)
        columns = ", ".join(table.columns)
        marks = ", ".join("?" for _ in table.columns)
        updates = ", ".join(
            f"{column} = excluded.{column}"
            for column in table.columns
            if column not in table.key
        )
        conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        self.select = f"SELECT {columns} FROM {name} WHERE {where}"
        self.select_many = f"SELECT {columns} FROM {name} WHERE {table.key[0]} IN "
        self.upsert = (
            f"INSERT INTO {name} ({columns}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(table.key)}) {conflict}"
        )
        self.delete = f"DELETE FROM {name} WHERE {where}"
        # A session's staging table for bulk writes (PostgreSQL), named after
        # the columns so a changed table never meets an old one's stage.
        digest = hashlib.sha1(columns.encode(), usedforsecurity=False).hexdigest()
        self.stage = f"pg_temp.stage_{table.name}_{digest[:8]}"
        self.create_stage = (
            f"CREATE TEMP TABLE IF NOT EXISTS {self.stage} "
            f"(LIKE {name}) ON COMMIT DELETE ROWS"
        )
        self.upsert_staged = (
            f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {self.stage} "
            f"ON CONFLICT ({', '.join(table.key)}) {conflict}"
        )


Arrival = Callable[[], None]
"""Takes in the rows of a read sent ahead (:meth:`SqlState.send_preload`)."""

Slot = tuple[str, Key]
"""A row's place: its table's name and its key."""

CARRIED_ROWS = 10_000
"""The most rows one view carries between a rebuild's batches, alone or as
its share of a pass (``rebuild.carried_share``). A view's fold rows are
several kilobytes each: rebuilt alone over the ten-million city's densest
400,000 events, timeliness carried 50,000 at 415 MiB and 10,000 at 206 at
the same speed (5,867 and 6,026 events/s), accountability 413 and 197 MiB
(7,375 and 7,782/s); with 80,000, what a view alone was given before,
each process of ``rebuild timeliness --jobs 2`` passed 520 MiB
(docs/projections.md)."""
DROPPED_BITS = 1 << 23
"""The size of the filter remembering which rows were dropped (1 MiB)."""


class Dropped:
    """Which key prefixes (table, first key column) had a row dropped from
    memory: a Bloom filter of fixed size, so it stays 1 MiB however long the
    history. It may answer yes for a prefix never dropped (three hashes in
    2**23 bits: about 3% of them once a million were dropped, by the usual
    arithmetic), which only costs a query; never no for one that was."""

    def __init__(self, bits: int = DROPPED_BITS) -> None:
        self._mask = bits - 1
        self._bits = bytearray(bits // 8)

    def _places(self, prefix: tuple[str, Any]) -> tuple[int, int, int]:
        h = hash(prefix) & 0xFFFFFFFFFFFFFFFF
        return (h & self._mask, (h >> 21) & self._mask, (h >> 42) & self._mask)

    def add(self, prefix: tuple[str, Any]) -> None:
        for place in self._places(prefix):
            self._bits[place >> 3] |= 1 << (place & 7)

    def __contains__(self, prefix: tuple[str, Any]) -> bool:
        return all(
            self._bits[place >> 3] & (1 << (place & 7))
            for place in self._places(prefix)
        )


class CarriedRows:
    """Rows of a copy as they stand after the last batch this runner
    committed, the least recently used dropped beyond ``limit``: shared rows
    (daily counters, enterprises) and each appeal's rows with its fold, kept
    as objects, so the next batches neither read nor decode them again.
    Valid only while nobody else writes the copy: the runner hands it to the
    next batch only if that batch starts where the last one ended. Every row
    committed was written at its batch's end, so dropping one writes nothing."""

    def __init__(self, limit: int = CARRIED_ROWS) -> None:
        self.limit = limit
        self._rows: OrderedDict[Slot, Row | None] = OrderedDict()
        # Set when the copy was empty as these rows began: then every row it
        # has is here, except under the key prefixes (table, first key
        # column) of rows since dropped, and a row not found is absent.
        self.complete = False
        self._dropped: Dropped | None = None

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def tables(self) -> frozenset[str]:
        """The names of the tables whose rows are carried."""
        return frozenset(table for table, _ in self._rows)

    def lookup(self, slot: Slot) -> tuple[bool, Row | None]:
        """(known, row): a known slot's row, None if known to be absent."""
        row = self._rows.get(slot, _UNKNOWN)
        if row is _UNKNOWN:
            if self.complete and (
                self._dropped is None or (slot[0], slot[1][0]) not in self._dropped
            ):
                return True, None
            return False, None
        self._rows.move_to_end(slot)
        return True, row

    def keep(self, rows: dict[Slot, Row | None]) -> None:
        """Takes in a committed batch's rows (read or written). While the
        rows are complete, a row found absent is carried only under a
        prefix since dropped: elsewhere its absence goes without saying, and
        it would take the place of a row that is there (most appeals have
        no exclusion, no open order), and dropping it marks no prefix."""
        kept = self._rows
        dropped = self._dropped
        for slot, row in rows.items():
            if (
                row is None
                and self.complete
                and (dropped is None or (slot[0], slot[1][0]) not in dropped)
            ):
                kept.pop(slot, None)
                continue
            kept[slot] = row
            kept.move_to_end(slot)
        while len(kept) > self.limit:
            (table, key), row = kept.popitem(last=False)
            if self.complete and row is not None:
                if self._dropped is None:
                    self._dropped = Dropped()
                self._dropped.add((table, key[0]))

    def clear(self) -> None:
        self._rows.clear()
        self._dropped = None
        self.complete = False


_UNKNOWN: Any = object()


class SqlState:
    """The rows a batch reads and writes: read through on first use (from
    ``carried`` rows when given), written back at :meth:`flush`, inside the
    batch's transaction. ``part``: the partition's index in a split
    rebuild, else 0 (``State.part``)."""

    def __init__(
        self,
        sql: Sql,
        copy: Copy,
        carried: CarriedRows | None = None,
        part: int = 0,
    ) -> None:
        self.sql = sql
        self.part = part
        self.copy = copy
        self.carried = carried
        self._rows: dict[Slot, Row | None] = {}
        self._dirty: dict[str, dict[Key, Row | None]] = {}
        # (table, appeal id): every row of the appeal in a ``read_by_appeal``
        # table has been read
        self._whole: set[tuple[str, str]] = set()

    @property
    def rows(self) -> dict[Slot, Row | None]:
        """Every row the batch read or wrote, as it stands now, except the
        rows a rebuild does not carry (``Projection.not_carried``)."""
        skipped = self.copy.projection.not_carried
        if not skipped:
            return self._rows
        return {slot: row for slot, row in self._rows.items() if slot[0] not in skipped}

    def get(self, table: Table, key: Key) -> Row | None:
        if table.written_only:
            raise WrittenOnly(table)
        slot = (table.name, key)
        if slot not in self._rows:
            if table.read_by_appeal:
                # never carried: read with its appeal's other rows, or alone
                known, row = (table.name, key[0]) in self._whole, None
            elif self.carried is not None:
                known, row = self.carried.lookup(slot)
            else:
                known, row = False, None
            if not known:
                found = self.sql.execute(self.copy.statements(table).select, key).one()
                row = None if found is None else table.loaded(found)
            self._rows[slot] = row
        return self._rows[slot]

    def send_preload(self, table: Table, keys: Iterable[Key]) -> list[Arrival]:
        """Sends (:meth:`Sql.send`) the reads of the rows with these
        single-column keys that are not known yet, a query per 500; each
        returned call takes in one read's rows (a key it does not find is
        remembered as missing). A batch of several views sends them all
        before taking any in: one round trip for them all."""
        wanted = []
        for key in dict.fromkeys(keys):
            slot = (table.name, key)
            if slot in self._rows:
                continue
            if self.carried is not None:
                known, row = self.carried.lookup(slot)
                if known:
                    self._rows[slot] = row
                    continue
            wanted.append(key)
        statement = self.copy.statements(table).select_many
        arrivals: list[Arrival] = []
        for start in range(0, len(wanted), PRELOAD_CHUNK):
            chunk = wanted[start : start + PRELOAD_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            pending = self.sql.send(f"{statement}({marks})", [key[0] for key in chunk])
            arrivals.append(partial(self._take_keys, table, chunk, pending))
        return arrivals

    def _take_keys(self, table: Table, chunk: list[Key], pending: Pending) -> None:
        for key in chunk:
            self._rows[(table.name, key)] = None
        for values in pending.all():
            loaded = table.loaded(values)
            self._rows[(table.name, table.key_of(loaded))] = loaded

    def send_preload_appeals(
        self, table: Table, appeals: Iterable[str]
    ) -> list[Arrival]:
        """Sends the reads of every row of these appeals in a
        ``read_by_appeal`` table (as :meth:`send_preload`); once taken in, a
        key of theirs not read is absent."""
        wanted = [
            appeal
            for appeal in dict.fromkeys(appeals)
            if (table.name, appeal) not in self._whole
        ]
        statement = self.copy.statements(table).select_many
        arrivals: list[Arrival] = []
        for start in range(0, len(wanted), PRELOAD_CHUNK):
            chunk = wanted[start : start + PRELOAD_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            pending = self.sql.send(f"{statement}({marks})", chunk)
            arrivals.append(partial(self._take_appeals, table, chunk, pending))
        return arrivals

    def _take_appeals(self, table: Table, chunk: list[str], pending: Pending) -> None:
        found = pending.all()
        self._whole.update((table.name, appeal) for appeal in chunk)
        for values in found:
            loaded = table.loaded(values)
            self._rows.setdefault((table.name, table.key_of(loaded)), loaded)

    def write(self, change: Change) -> None:
        if isinstance(change, Put):
            check_row(change.table, change.row)
            key = change.table.key_of(change.row)
            row: Row | None = dict(change.row)
        else:
            key, row = change.key, None
        self._rows[(change.table.name, key)] = row
        self._dirty.setdefault(change.table.name, {})[key] = row

    def flush(self) -> None:
        for table in self.copy.projection.tables:
            dirty = self._dirty.get(table.name, {})
            statements = self.copy.statements(table)
            removed = [key for key, row in dirty.items() if row is None]
            put = [table.stored(row) for row in dirty.values() if row is not None]
            if removed:
                self.sql.executemany(statements.delete, removed)
            if (
                len(put) >= COPY_FROM
                and self.copy.database.engine == "postgres"
                and not self.sql.pipelined
            ):
                # Many rows: one COPY into a temporary table and one upsert
                # from it, instead of a statement per row.
                self.sql.execute(statements.create_stage)
                self.sql.copy_rows(statements.stage, table.columns, put)
                self.sql.execute(statements.upsert_staged)
            elif put:
                self.sql.executemany(statements.upsert, put)
        self._dirty.clear()
