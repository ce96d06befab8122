"""Rebuilding several projections at once, one process each.

A rebuild is one Python thread's work (decoding events, folding them, writing
rows) and views are independent (own tables, own tracking rows), so the way
to use more cores is more processes: ``appeals projections rebuild all
--jobs N`` runs up to N rebuilds side by side, each with its own connection
and its own progress reported back to the parent. Each child is a fresh
interpreter (``spawn``): nothing inherited from the parent's connections or
threads. It is handed the parsed settings and opens an event source of its
own, which creates no table: bootstrap created them all before.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from appeals.infra.settings import Settings
from appeals.projections.runtime.model import Projection
from appeals.projections.runtime.rebuild import Rebuilt

Update = Callable[[str, int, int], None]
"""Called in the parent with (projection, position, head) as children go."""

POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Job:
    """One projection to rebuild in a child process."""

    name: str
    settings: Settings
    batch_size: int
    restart: bool


@dataclass(frozen=True)
class Outcome:
    """How one child's rebuild ended: done, or stopped at an event."""

    name: str
    rebuilt: Rebuilt | None
    failure: str | None = None


def rebuild_in_processes(
    projections: Sequence[Projection],
    settings: Settings,
    *,
    jobs: int,
    batch_size: int,
    restart: bool = False,
    update: Update | None = None,
) -> list[Outcome]:
    """Rebuilds ``projections`` with up to ``jobs`` processes at once, the
    heaviest (``Projection.cost``) started first so that none is left running
    alone at the end; outcomes in the order given."""
    context = multiprocessing.get_context("spawn")
    with (
        context.Manager() as manager,
        ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool,
    ):
        updates: Any = manager.Queue()
        futures = {
            p.name: pool.submit(
                _child, Job(p.name, settings, batch_size, restart), updates
            )
            for p in sorted(projections, key=lambda p: -p.cost)
        }
        pending = set(futures.values())
        while pending:
            _, pending = wait(
                pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED
            )
            _drain(updates, update)
        _drain(updates, update)
        return [futures[p.name].result() for p in projections]


def _drain(updates: Any, update: Update | None) -> None:
    while True:
        try:
            name, position, head = updates.get_nowait()
        except queue.Empty:
            return
        if update is not None:
            update(name, position, head)


def _child(job: Job, updates: Any) -> Outcome:
    """In the child: open the log from the same settings, rebuild one view."""
    from appeals.infra.event_source import open_event_source
    from appeals.infra.timekeeping import load_timekeeping
    from appeals.projections.registry import find
    from appeals.projections.runtime.rebuild import rebuild
    from appeals.projections.runtime.runner import ProjectionFailed

    with open_event_source(job.settings) as source:
        projection = find(job.name, load_timekeeping(job.settings, source.database))

        def progress(position: int, head: int) -> None:
            updates.put((job.name, position, head))

        try:
            done = rebuild(
                source,
                projection,
                batch_size=job.batch_size,
                restart=job.restart,
                progress=progress,
            )
        except ProjectionFailed as failed:  # its own args do not pickle
            return Outcome(job.name, None, str(failed))
    return Outcome(job.name, done)
