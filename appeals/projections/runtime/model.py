"""What a projection is, without a database: tables, a pure function, a name.

A projection declares its tables (named DDL templates whose table names the
runtime fills in, so a rebuild can write a fresh copy beside the live one) and
a pure function ``apply(event, state) -> changes``. ``state`` reads the
projection's own rows by key (whatever per-appeal state it keeps); the changes
are whole rows to put or keys to remove. Nothing here performs I/O: the same
function is folded over events in memory by :class:`InMemoryView` (unit tests)
and run against SQL by the runtime (appeals.projections.runtime.runner).

Events whose topic is not in ``topics`` are never decoded or passed to
``apply``; the runtime still advances the projection's position past them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

Key = tuple[Any, ...]
PART = "part"
"""The key column of a shared counter row that names the part of a split
rebuild which counted it (``Projection.summed_by_part``)."""
Row = Mapping[str, Any]
Event = DomainEventProtocol[UUID]
INDEX_NAME = re.compile(r"CREATE INDEX IF NOT EXISTS ([\w{}]+) ON ")
"""The name in a :attr:`Table.indexes` statement (``{name}_...`` unformatted)."""


ID_TEXTS = 20_000
"""How many ids' texts :func:`id_text` remembers (2.2 MiB, measured with
``tracemalloc``) before it starts again."""
_id_texts: dict[int, str] = {}


def id_text(originator_id: UUID | str) -> str:
    """An aggregate's id as the text the views key their rows by: the same as
    ``str(originator_id)``, remembered by the id's number (hashed in C, where
    a UUID's own hash is Python's), since each of the views reading an event
    asks again: a UUID's text is made in Python, 0.56-0.78 µs, against 0.1
    here (``timeit``; ``str`` was 4.7% of a one-pass rebuild of every view)."""
    if isinstance(originator_id, str):  # the library allows ids as text
        return originator_id
    number = originator_id.int
    text = _id_texts.get(number)
    if text is None:
        if len(_id_texts) >= ID_TEXTS:
            _id_texts.clear()
        text = _id_texts[number] = str(originator_id)
    return text


class Codec(Protocol):
    """How a column holding a Python object (a fold) is stored as text: rows
    in memory keep the object, and the runtime encodes it only when it writes
    the row, once per batch, not once per event."""

    def encode(self, value: Any) -> str: ...

    def decode(self, stored: str) -> Any: ...


@dataclass(frozen=True)
class Table:
    """One table of a projection.

    ``create`` is ``CREATE TABLE IF NOT EXISTS {table} (...)`` with a primary
    key on ``key``; each of ``indexes`` is ``CREATE INDEX IF NOT EXISTS
    {name}_... ON {table} (...)``. ``{table}`` becomes the (schema-qualified)
    table name, ``{name}`` the bare one, both carrying the copy's prefix.
    Values are text, integers or NULL: booleans are stored as 0 or 1 so both
    engines read back the same Python values.

    ``per_appeal``: the key is the appeal's id as text, so the runtime can
    read all the rows a batch will need in one query instead of one each.

    ``read_by_appeal``: the key's first column is the appeal's id and more
    follow (an appeal's cycles): a batch reads every row of its appeals at
    once (a key of theirs not found is absent) instead of one query per key,
    and a rebuild does not carry them from batch to batch (carried, the
    assessment's cycles had crowded out its folds: docs/projections.md). A
    key of an appeal not in the batch is still read, by itself: correct,
    only slower, so it suits a view that reads back its own appeal's rows.

    ``codecs``: columns whose value in memory is an object, stored as text
    by the column's :class:`Codec` (``state.get`` gives the object back).

    ``greatest``: columns of a table of counters kept per part
    (``Projection.summed_by_part``) that parts combine as their greatest
    value, not their sum (an instant: the last activity).

    ``retired``: names (``{name}_...``) of indexes an earlier release
    declared and this one does not: a live copy made before drops them when
    its runner is prepared, as it creates the ``indexes`` it lacks.

    ``written_only``: the view writes these rows and never reads them back
    (``state.get`` refuses to), so a rebuild does not carry them from batch
    to batch: what it carries is the rows the next events read (measured:
    the timeliness view's cycles had crowded out its folds, which were read
    from the database again 51,221 times over a 324,018-event rebuild).
    """

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    create: str
    indexes: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()
    per_appeal: bool = False
    read_by_appeal: bool = False
    codecs: tuple[tuple[str, Codec], ...] = ()
    written_only: bool = False
    greatest: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if both := set(self.index_names) & set(self.retired):
            raise ValueError(f"{self.name}: indexes both declared and retired: {both}")
        if self.read_by_appeal and (self.per_appeal or self.written_only):
            raise ValueError(
                f"{self.name}: read_by_appeal is for a table keyed by appeal and "
                "more, read back (not per_appeal, not written_only)"
            )

    @cached_property
    def index_names(self) -> tuple[str, ...]:
        """The names of :attr:`indexes`, in order, as declared (``{name}_...``)."""
        names = []
        for index in self.indexes:
            named = INDEX_NAME.match(index)
            if named is None:
                raise ValueError(f"{self.name}: an index without a name: {index}")
            names.append(named.group(1))
        return tuple(names)

    def key_of(self, row: Row) -> Key:
        return self._key_getter(row)

    def combined(self, column: str) -> str:
        """SQL combining ``column`` of a table kept per part over its parts:
        its greatest for a ``greatest`` column, else its sum."""
        return f"MAX({column})" if column in self.greatest else f"SUM({column})"

    def stored(self, row: Row) -> tuple[Any, ...]:
        """The row's values in column order, as stored (codecs applied)."""
        values = self._column_getter(row)
        if not self.codecs:
            return values
        coded = list(values)
        for index, codec in self._codec_positions:
            coded[index] = codec.encode(coded[index])
        return tuple(coded)

    @cached_property
    def _key_getter(self) -> Callable[[Row], Key]:
        if len(self.key) == 1:
            (column,) = self.key
            return lambda row: (row[column],)
        return itemgetter(*self.key)

    @cached_property
    def _column_getter(self) -> Callable[[Row], tuple[Any, ...]]:
        if len(self.columns) == 1:
            (column,) = self.columns
            return lambda row: (row[column],)
        return itemgetter(*self.columns)

    def loaded(self, values: Sequence[Any]) -> dict[str, Any]:
        """A row read from storage, its coded columns decoded."""
        row = dict(zip(self.columns, values, strict=True))
        for column, codec in self.codecs:
            row[column] = codec.decode(row[column])
        return row

    @cached_property
    def _codec_positions(self) -> tuple[tuple[int, Codec], ...]:
        return tuple((self.columns.index(c), codec) for c, codec in self.codecs)

    @cached_property
    def column_set(self) -> frozenset[str]:
        return frozenset(self.columns)


@dataclass(frozen=True)
class Put:
    """Insert or replace the whole row with this key."""

    table: Table
    row: Row


@dataclass(frozen=True)
class Remove:
    """Delete the row with this key (nothing if there is none)."""

    table: Table
    key: Key


Change = Put | Remove


class State(Protocol):
    """Read access to a projection's own rows, including the changes made
    earlier in the same batch."""

    def get(self, table: Table, key: Key) -> Row | None: ...

    @property
    def part(self) -> int:
        """The part of a split rebuild these rows are (``Partition.index``):
        0 for the live copy, a whole rebuild and the fold in memory. A view
        ``summed_by_part`` writes its shared counter rows under it."""
        ...


Apply = Callable[[Any, State], Sequence[Change]]


@dataclass(frozen=True)
class Projection:
    """A read model: its ``name`` (also the base of its table names), its
    tables, the event topics it reads, and the pure function that folds one
    event into row changes."""

    name: str
    tables: tuple[Table, ...]
    topics: frozenset[str]
    apply: Apply
    description: str = ""
    cost: int = 1
    """Rough work per event relative to the others (measured: BENCHMARKS.md);
    parallel rebuilds start the heaviest first, so none is left running
    alone at the end."""
    by_appeal: bool = False
    """Every topic it reads is an appeal's event and every table's key begins
    with the appeal's id, so the rows of different appeals never meet: a
    rebuild may split it by appeal over several processes (partitions of the
    appeals, each writing its own rows of the same copy)."""
    summed_by_part: bool = False
    """Every topic it reads is an appeal's event (or an enterprise's), and
    each table's key either begins with the appeal's id, is the credit code
    alone (rows only the enterprise's own events write: a split rebuild
    gives each enterprise's events to one part, by its id), or ends with
    ``part`` (``State.part``): rows shared by appeals are counters, written
    by each part of a split rebuild under its own part number and summed
    over ``part`` by every reader (``Table.greatest`` columns: their
    greatest). So it too may be split by appeal; the live copy writes part
    0 only."""

    warm: Callable[[], object] | None = None
    """Made once before a live worker's first batch: something its first
    event would otherwise wait for (the catalogue's tokenizer, whose
    dictionaries take seconds to load). The worker says it is ready only
    after, so a load never meets a cold view."""

    release: Callable[[], None] | None = None
    """Lets go of what folding loaded (the catalogue's tokenizer: jieba's
    dictionary, 70 MiB), to be made again on next use. A rebuild of several
    views takes a view with one in a pass of its own first and releases it
    after, so the pass of all the others, which carries their rows, does not
    hold it too (``rebuild_together``)."""

    @cached_property
    def not_carried(self) -> frozenset[str]:
        """The names of its tables whose rows a rebuild does not carry from
        batch to batch: ``Table.written_only`` and ``Table.read_by_appeal``."""
        return frozenset(
            t.name for t in self.tables if t.written_only or t.read_by_appeal
        )

    @property
    def splits(self) -> bool:
        """Whether a rebuild may split it by appeal (:attr:`by_appeal` or
        :attr:`summed_by_part`)."""
        return self.by_appeal or self.summed_by_part


def check_row(table: Table, row: Row) -> None:
    """A put must give exactly the table's columns: a typo fails loudly at the
    event that caused it instead of writing NULLs."""
    if row.keys() != table.column_set:
        missing = sorted(table.column_set - set(row))
        extra = sorted(set(row) - table.column_set)
        raise ValueError(
            f"row for {table.name}: missing columns {missing}, unknown {extra}"
        )


@dataclass
class InMemoryView:
    """A projection's rows in dictionaries: the pure fold, for tests and for
    checking a SQL view against the same function."""

    projection: Projection
    tables: dict[str, dict[Key, dict[str, Any]]] = field(default_factory=dict)
    part: int = 0

    def get(self, table: Table, key: Key) -> Row | None:
        if table.written_only:
            raise WrittenOnly(table)
        return self.tables.get(table.name, {}).get(key)

    def write(self, change: Change) -> None:
        rows = self.tables.setdefault(change.table.name, {})
        if isinstance(change, Put):
            check_row(change.table, change.row)
            rows[change.table.key_of(change.row)] = dict(change.row)
        else:
            rows.pop(change.key, None)

    def handle(self, event: Event) -> None:
        if get_topic(type(event)) not in self.projection.topics:
            return
        for change in self.projection.apply(event, self):
            self.write(change)

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of ``table``, in key order, as stored (codecs applied)."""
        found = self.tables.get(table, {})
        declared = {t.name: t for t in self.projection.tables}.get(table)
        return [_as_stored(declared, found[key]) for key in sorted(found, key=sort_key)]


def _as_stored(table: Table | None, row: dict[str, Any]) -> dict[str, Any]:
    if table is None or not table.codecs:
        return row
    return dict(zip(table.columns, table.stored(row), strict=True))


def fold(projection: Projection, events: Iterable[Event]) -> InMemoryView:
    """The view after ``events``, computed in memory."""
    view = InMemoryView(projection)
    for event in events:
        view.handle(event)
    return view


def sort_key(key: Key) -> tuple[tuple[bool, Any], ...]:
    """Orders keys that may hold NULLs (None first), as rows are compared."""
    return tuple((part is not None, part) for part in key)


class WrittenOnly(LookupError):
    """A view read a table it declared ``written_only``."""

    def __init__(self, table: Table) -> None:
        self.table = table
        super().__init__(f"{table.name} is written only: the view may not read it")


class MissingRow(LookupError):
    """An event refers to a row the view does not have: the view is missing
    history, so the projection stops at this event rather than guess."""

    def __init__(self, table: Table, key: Key) -> None:
        self.table = table
        self.key = key
        super().__init__(f"{table.name} has no row {key!r}")


def require(state: State, table: Table, key: Key) -> Row:
    """The row with ``key``, or :class:`MissingRow`."""
    row = state.get(table, key)
    if row is None:
        raise MissingRow(table, key)
    return row
