"""Reading a view: the reader-side helper every view's reader uses.

A reader answers from a view's live tables (:func:`live_table`) inside one
read transaction that first reads the view's position (:func:`read`), so the
rows reflect at least the position reported; long exports read page by page
(:func:`keyset_pages`). Read-your-writes: :func:`reach` waits until a view
has taken the log up to a position. HTTP calls readers; it names no table.
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

from appeals.infra.database import Database, Sql
from appeals.projections.runtime.model import Table
from appeals.projections.runtime.runner import wait_for
from appeals.projections.runtime.storage import LIVE, PREFIX, transaction
from appeals.projections.runtime.tracking import Tracking

T = TypeVar("T")
SortKey = tuple[str, str]
"""(received_at, appeal_id) of a row: the order every list is kept in."""
PAGE_ROWS = 1000
"""Rows per read when a reader walks a whole list (CSV exports)."""


def live_table(database: Database, table: Table) -> str:
    """The qualified name of ``table``'s live copy (what readers query)."""
    return database.table(PREFIX[LIVE] + table.name)


def read(database: Database, view: str, load: Callable[[Sql], T]) -> tuple[int, T]:
    """The position of the view named ``view``, then what ``load`` reads in
    the same read transaction (so it reflects at least that position)."""
    with transaction(database, write=False) as sql:
        position = Tracking(database).position_in(sql, view, LIVE)
        return position, load(sql)


def position(database: Database, view: str) -> int:
    """The position the view named ``view`` has reached."""
    return read(database, view, lambda sql: None)[0]


def keyset_pages(
    database: Database,
    load: Callable[[Sql, SortKey | None, int], list[dict[str, Any]]],
) -> Iterator[list[dict[str, Any]]]:
    """Every page of a keyset-ordered query, each in its own short read."""
    after: SortKey | None = None
    while True:
        with transaction(database, write=False) as sql:
            page = load(sql, after, PAGE_ROWS)
        yield page
        if len(page) < PAGE_ROWS:
            return
        after = (page[-1]["received_at"], page[-1]["appeal_id"])


async def reach(database: Database, view: str, wanted: int, timeout: float) -> int:
    """Waits (up to ``timeout`` seconds) until the view named ``view`` has
    taken the log up to ``wanted``; returns the position it has reached."""
    return await wait_for(Tracking(database), view, wanted, timeout)


class Remembered:
    """What readers counted of settled parts of a view (a trend's months,
    a report's days, a preview's days), kept by the process and used again instead of
    reading their rows while the view's count of changes to those rows
    (``version``: the view keeps it, per day) is what it was when
    counted, and, where the answer depends on the instant asked, for an
    instant no earlier than the one counted at (``at``). Each reader says
    when what it counted may be kept at all. Bounded: the least recently
    used dropped first, and none kept longer than ``max_age`` seconds (a
    rebuild of a view swaps in a copy whose counts may equal the old one's
    while what it holds differs, rebuilt after a calendar was changed: what
    was counted from the old copy is counted again within that time; each
    part kept for a random share of it, at least half). One per database:
    the service's (``ServiceContext.remembered``), of the size
    ``APPEALS_REMEMBERED_ENTRIES`` says (``Settings.remembered_entries``)."""

    def __init__(self, size: int, max_age: float = 300.0) -> None:
        self.size = size
        self.max_age = max_age
        self.hits = 0
        self._kept: OrderedDict[Hashable, tuple[Any, Any, Any, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Any, at: Any = None) -> Any | None:
        """What was kept under ``key`` at ``version``, if it may be used at
        ``at``; else None."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is None or kept[0] != version:
                return None
            if at is not None and (kept[1] is None or at < kept[1]):
                return None
            if time.monotonic() > kept[3]:
                del self._kept[key]
                return None
            self._kept.move_to_end(key)
            self.hits += 1
            return kept[2]

    def put(self, key: Hashable, version: Any, value: Any, at: Any = None) -> None:
        """Keeps ``value``, counted at ``version`` (and instant ``at``)."""
        with self._lock:
            # each kept for between half and the whole of max_age: what was
            # counted together (a month's days, read afresh) is not all
            # counted again by the same request when its time is up
            lasts = self.max_age * random.uniform(0.5, 1.0)  # noqa: S311 (not secret)
            self._kept[key] = (version, at, value, time.monotonic() + lasts)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
