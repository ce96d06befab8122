"""Rebuilding views in several processes, each one pass over the log.

A rebuild is one Python thread's work (decoding events, folding them, writing
rows) and views are independent (own tables, own tracking rows), so the way
to use more cores is more processes: ``appeals projections rebuild all
--jobs N`` splits the views into N groups of about equal work
(``Projection.cost``) and rebuilds each group in its own process, in one pass
over the log (``rebuild_together``), each with its own connection and its own
progress reported back to the parent. Each child is a fresh interpreter
(``spawn``): nothing inherited from the parent's connections or threads. It
is handed the parsed settings and opens an event source of its own, which
creates no table: bootstrap created them all before.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from appeals.infra.settings import Settings
from appeals.projections.runtime.model import Projection
from appeals.projections.runtime.rebuild import Outcome, Update

POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Job:
    """The views one child process rebuilds together."""

    names: tuple[str, ...]
    settings: Settings
    batch_size: int
    restart: bool


def groups(projections: Sequence[Projection], jobs: int) -> list[list[Projection]]:
    """``projections`` split into at most ``jobs`` groups of about equal cost:
    each, heaviest first, joins the group with the least work so far."""
    bins: list[list[Projection]] = [[] for _ in range(min(jobs, len(projections)))]
    for projection in sorted(projections, key=lambda p: -p.cost):
        lightest = min(bins, key=lambda b: sum(p.cost for p in b))
        lightest.append(projection)
    return [b for b in bins if b]


def rebuild_in_processes(
    projections: Sequence[Projection],
    settings: Settings,
    *,
    jobs: int,
    batch_size: int,
    restart: bool = False,
    update: Update | None = None,
) -> list[Outcome]:
    """Rebuilds ``projections`` in up to ``jobs`` processes at once, each
    taking a group of views in one pass; outcomes in the order given."""
    context = multiprocessing.get_context("spawn")
    split = groups(projections, jobs)
    with (
        context.Manager() as manager,
        ProcessPoolExecutor(max_workers=len(split), mp_context=context) as pool,
    ):
        updates: Any = manager.Queue()
        futures = [
            pool.submit(
                _child,
                Job(tuple(p.name for p in group), settings, batch_size, restart),
                updates,
            )
            for group in split
        ]
        pending = set(futures)
        while pending:
            _, pending = wait(
                pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED
            )
            _drain(updates, update)
        _drain(updates, update)
        found = {o.name: o for future in futures for o in future.result()}
        return [found[p.name] for p in projections]


def _drain(updates: Any, update: Update | None) -> None:
    while True:
        try:
            name, position, head = updates.get_nowait()
        except queue.Empty:
            return
        if update is not None:
            update(name, position, head)


def _child(job: Job, updates: Any) -> list[Outcome]:
    """In the child: open the log from the same settings, rebuild the group."""
    from appeals.infra.event_source import open_event_source
    from appeals.infra.timekeeping import load_timekeeping
    from appeals.projections.registry import find
    from appeals.projections.runtime.rebuild import rebuild_together

    with open_event_source(job.settings) as source:
        tk = load_timekeeping(job.settings, source.database)
        chosen = [find(name, tk) for name in job.names]

        def progress(name: str, position: int, head: int) -> None:
            updates.put((name, position, head))

        return rebuild_together(
            source,
            chosen,
            batch_size=job.batch_size,
            restart=job.restart,
            update=progress,
        )
