"""Rebuilding views in several processes, each one pass over the log.

A rebuild is one Python thread's work (decoding events, folding them, writing
rows) and views are independent (own tables, own tracking rows), so the way
to use more cores is more processes: ``appeals projections rebuild all
--jobs N`` splits the views into N groups of about equal work
(``Projection.cost``) and rebuilds each group in its own process, in one pass
over the log (``rebuild_together``: the catalogue, in whichever group has
it, in a short pass of its own first), each with its own connection and its own
progress reported back to the parent. Each child is a fresh interpreter
(``spawn``): nothing inherited from the parent's connections or threads. It
is handed the parsed settings and opens an event source of its own, which
creates no table: bootstrap created them all before.

A view is never split between groups, so the slowest one alone would bound
any number of processes; the views whose rows each belong to one appeal
(``Projection.by_appeal``), and those whose shared rows are counters kept
per part (``Projection.summed_by_part``: accountability, assessment,
timeliness, the enterprise ledger), are therefore
split by appeal instead: child K of
N also takes part K of each of them in its pass, and the parent, once the
children are done, catches the parts up to the head and swaps each of those
views in, all its parts in one transaction
(``rebuild.finish_partitioned``).
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from appeals.infra.event_source import open_event_source
from appeals.infra.settings import Settings
from appeals.projections.runtime.model import Projection
from appeals.projections.runtime.rebuild import (
    Outcome,
    Rebuilt,
    Update,
    finish_partitioned,
    prepare_partitions,
    rebuild_together,
)
from appeals.projections.runtime.storage import Partition

POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Job:
    """The views one child process rebuilds together."""

    names: tuple[str, ...]
    settings: Settings
    batch_size: int
    restart: bool
    partitioned: tuple[str, ...] = ()
    """By-appeal views of which this child takes only ``partition``."""
    partition: Partition | None = None


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
    partition: bool = True,
) -> list[Outcome]:
    """Rebuilds ``projections`` in up to ``jobs`` processes at once, each
    taking a group of views in one pass; outcomes in the order given. With
    ``partition`` (and ``jobs`` > 1) the by-appeal views are split by appeal
    over all ``jobs`` processes instead, and swapped in by this process."""
    started = time.monotonic()
    split = [p for p in projections if partition and jobs > 1 and p.splits]
    whole = [p for p in projections if not (p.splits and split)]
    bins = groups(whole, jobs)
    if split:
        bins += [[] for _ in range(jobs - len(bins))]  # every child takes a part
        with open_event_source(settings) as source:
            for projection in split:  # before the children: none discards
                prepare_partitions(source, projection, jobs, restart=restart)
    work = [
        Job(
            tuple(p.name for p in group),
            settings,
            batch_size,
            restart,
            tuple(p.name for p in split),
            Partition(index, jobs) if split else None,
        )
        for index, group in enumerate(bins)
    ]
    progress = _Progress(update, jobs)
    context = multiprocessing.get_context("spawn")
    with (
        context.Manager() as manager,
        ProcessPoolExecutor(max_workers=len(work), mp_context=context) as pool,
    ):
        updates: Any = manager.Queue()
        futures = [pool.submit(_child, job, updates) for job in work]
        pending = set(futures)
        while pending:
            _, pending = wait(
                pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED
            )
            progress.drain(updates)
        progress.drain(updates)
        results = [future.result() for future in futures]
    found = {o.name: o for result in results for o in result}
    if split:  # their outcomes so far are the parts'
        found.update(_finish(settings, split, results, jobs, batch_size, update))
        for name, outcome in found.items():
            if outcome.rebuilt is not None and name in {p.name for p in split}:
                done = outcome.rebuilt  # timed from the start, children's too
                seconds = time.monotonic() - started
                found[name] = Outcome(
                    name, Rebuilt(name, done.resumed_from, done.position, seconds)
                )
    return [found[p.name] for p in projections]


def _finish(
    settings: Settings,
    split: Sequence[Projection],
    results: Sequence[Sequence[Outcome]],
    jobs: int,
    batch_size: int,
    update: Update | None,
) -> dict[str, Outcome]:
    """The split views swapped in (in the parent, after the children): those
    a part was stopped in keep that part's failure."""
    names = {p.name for p in split}
    failed: dict[str, Outcome] = {}
    resumed: dict[str, int] = {}  # a view's from its parts' earliest
    for outcome in (o for result in results for o in result if o.name in names):
        if outcome.rebuilt is None:
            failed[outcome.name] = outcome
        else:
            at = outcome.rebuilt.resumed_from
            resumed[outcome.name] = min(resumed.get(outcome.name, at), at)
    going = [p for p in split if p.name not in failed]
    with open_event_source(settings) as source:
        done, stopped = finish_partitioned(
            source, going, parts=jobs, batch_size=batch_size, update=update
        )
    found: dict[str, Outcome] = dict(failed)
    for name, failure in stopped.items():
        found[name] = Outcome(name, None, str(failure))
    for name, position in done.items():
        found[name] = Outcome(name, Rebuilt(name, resumed[name], position, 0.0))
    return found


class _Progress:
    """Passes the children's progress on: a split view's as its slowest
    part's, once every part has reported."""

    def __init__(self, update: Update | None, parts: int) -> None:
        self.update = update
        self.parts = parts
        self.seen: dict[str, dict[int, int]] = {}

    def drain(self, updates: Any) -> None:
        while True:
            try:
                name, part, position, head = updates.get_nowait()
            except queue.Empty:
                return
            if self.update is None:
                continue
            if part is not None:
                seen = self.seen.setdefault(name, {})
                seen[part] = position
                if len(seen) < self.parts:
                    continue
                position = min(seen.values())
            self.update(name, position, head)


def _child(job: Job, updates: Any) -> list[Outcome]:
    """In the child: open the log from the same settings, rebuild the group."""
    from appeals.infra.timekeeping import load_timekeeping
    from appeals.projections.registry import find

    with open_event_source(job.settings) as source:
        tk = load_timekeeping(job.settings, source.database)
        chosen = [find(name, tk) for name in job.names]
        split = [find(name, tk) for name in job.partitioned]
        part = None if job.partition is None else job.partition.index

        def progress(name: str, position: int, head: int) -> None:
            updates.put(
                (name, part if name in job.partitioned else None, position, head)
            )

        return rebuild_together(
            source,
            chosen,
            batch_size=job.batch_size,
            restart=job.restart,
            update=progress,
            partition=job.partition,
            partitioned=split,
        )
