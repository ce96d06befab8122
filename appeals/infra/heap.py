"""The heap of a long-running process, once it has started, and of a long
batch of work (a rebuild)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_YOUNG_THRESHOLD = 100_000
"""Container objects allocated (less those freed) between two collections of
the youngest generation while a batch of work runs (the interpreter's
default is 700). Measured on a one-pass rebuild of every view over 172,154
events (``python -m bench.replay rebuild-together``), the code before and
after in turns: 2,712 and 2,738 events/s with the default, 3,069 and 2,959
with this; 2,845 with the collector off in an earlier pair (2,432 against
2,811 there); peak RSS 245 MB with the default and with this (off: 312 MB,
the cycles never freed). A rebuild makes a dict or a tuple for every row it
folds and most live until their batch is written or longer (the rows it
carries), so with the default each was traversed by young collections and
promoted, and the older generations' collections traversed them again."""

_lock = threading.Lock()
_batches = 0  # batches running now
_threshold_before = gc.get_threshold()  # as the first of them found it


def freeze_startup_heap() -> None:
    """Moves what is loaded by now (modules, routes, the views, the
    tokenizer's dictionaries: it lives as long as the process) where the
    cyclic collector no longer scans it (``gc.freeze``), so its full
    collections look only at what the work makes. Garbage is collected first,
    so none of it is frozen. Measured in the projection worker under the
    bench's load: a full collection paused a batch 110 ms before, 16-22 ms
    after. For a process's own start-up only (``appeals serve`` workers,
    ``appeals projections run``), not a thread inside another program."""
    gc.collect()
    gc.freeze()


@contextmanager
def batch_collection(young: int = BATCH_YOUNG_THRESHOLD) -> Iterator[None]:
    """Collects the youngest generation every ``young`` allocations while
    the ``with`` body runs, instead of at the process's threshold (700 by
    default) if that is lower; the older generations keep their thresholds,
    so cycles are still freed. The setting is the process's: while several
    batches overlap (threads), it holds until the last one ends, then the
    threshold from before the first comes back."""
    global _batches, _threshold_before
    with _lock:
        if _batches == 0:
            _threshold_before = gc.get_threshold()
            gc.set_threshold(max(young, _threshold_before[0]), *_threshold_before[1:])
        _batches += 1
    try:
        yield
    finally:
        with _lock:
            _batches -= 1
            if _batches == 0:
                gc.set_threshold(*_threshold_before)
