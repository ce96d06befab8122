"""Who holds, and who waits for, the events table's write lock.

eventsourcing 9.5 takes ``LOCK TABLE ... IN EXCLUSIVE MODE`` in every
inserting transaction, so inserts are serialised: if the lock is held all
the time and others queue for it, the lock is what bounds ingest, and its
hold time (the window divided by the transactions) is the cost of one
command's write. A thread of the harness samples ``pg_locks`` every few
milliseconds during a load; only samples inside the measured window count.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import TracebackType

import psycopg

INTERVAL = 0.01
QUERY = """
SELECT count(*) FILTER (WHERE granted), count(*) FILTER (WHERE NOT granted)
FROM pg_locks WHERE locktype = 'relation' AND mode = 'ExclusiveLock'
"""


@dataclass(frozen=True)
class LockUse:
    held: float  # share of samples in which someone held the lock
    waiting: float  # transactions waiting for it, on average
    samples: int


class LockSampler:
    """Samples the lock in a thread from ``__enter__`` to ``__exit__``."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            while not self._stop.wait(INTERVAL):
                row = connection.execute(QUERY).fetchone()
                if row is not None:
                    self.samples.append((time.monotonic(), int(row[0]), int(row[1])))

    def use(self, start: float, end: float) -> LockUse:
        inside = [
            (held, waiting) for t, held, waiting in self.samples if start <= t <= end
        ]
        if not inside:
            return LockUse(float("nan"), float("nan"), 0)
        return LockUse(
            held=sum(1 for held, _ in inside if held) / len(inside),
            waiting=sum(waiting for _, waiting in inside) / len(inside),
            samples=len(inside),
        )
