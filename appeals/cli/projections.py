"""``appeals projections``: status, run (the live worker), rebuild NAME.

Configured like every command by the environment (README and
docs/projections.md); ``appeals.cli.main`` reports configuration errors. They
read the log through an event source, never the application that takes
commands.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

from appeals.cli.environment import (
    LineProgress,
    check_store,
    configure_logging,
    settings,
)

if TYPE_CHECKING:
    from appeals.domain.deadlines import Timekeeping
    from appeals.infra.event_source import EventSource
    from appeals.infra.settings import Settings
    from appeals.projections.runtime.rebuild import Rebuilt


def add_commands(commands: Any) -> None:
    """Adds ``projections`` and its actions to the ``appeals`` sub-commands."""
    parser = commands.add_parser(
        "projections", help="read models: status, run the worker, rebuild one"
    )
    actions = parser.add_subparsers(required=True, metavar="ACTION")

    status = actions.add_parser(
        "status", help="position, lag and last error of every projection"
    )
    status.set_defaults(run=run_status)

    run = actions.add_parser("run", help="keep every projection current (worker)")
    run.add_argument(
        "--once", action="store_true", help="catch up to the log's head, then exit"
    )
    run.set_defaults(run=run_worker)

    rebuild = actions.add_parser(
        "rebuild", help="replay all history into a fresh copy, then swap it in"
    )
    rebuild.add_argument("name", help="a projection's name, or 'all'")
    rebuild.add_argument(
        "--restart",
        action="store_true",
        help="discard an interrupted rebuild instead of resuming it",
    )
    rebuild.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="events per transaction (default: 2000)",
    )
    rebuild.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="processes, each rebuilding a group of the views in one pass over "
        "the log, and each a part of the appeals of the views kept per appeal "
        "(PostgreSQL; default: one per core). SQLite, with its single "
        "writer, rebuilds them all in one process",
    )
    rebuild.set_defaults(run=run_rebuild)


def open_from_env() -> tuple[EventSource, Timekeeping, Settings]:
    """The log to read, with the storage created first if missing."""
    from appeals.bootstrap import create_storage
    from appeals.infra.event_source import open_event_source
    from appeals.infra.store import prepare_database
    from appeals.infra.timekeeping import load_timekeeping

    configured = settings()
    check_store(configured.database)
    if configured.create_tables:
        create_storage(configured)
    else:
        prepare_database(configured.database)
    source = open_event_source(configured)
    try:
        return source, load_timekeeping(configured, source.database), configured
    except BaseException:
        source.close()
        raise


def run_status(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from appeals.projections.runtime.runner import status
    from appeals.projections.runtime.worker import lease_holders

    source, _, _ = open_from_env()
    with source:
        found = status(source)
        # PostgreSQL: which worker holds each live view's lease (docs/scaling.md)
        workers = lease_holders(source, [row.name for row in found])
    columns = ["projection", "copy", "position", "head", "lag", "lag (s)", "error"]
    table = Table(*columns, *(["worker"] if workers else []))
    failed = False
    for row in found:
        failure = row.tracked.failure
        failed = failed or failure is not None
        held = workers.get(row.name, "") if row.tracked.target == "live" else ""
        table.add_row(
            row.name,
            row.tracked.target,
            str(row.tracked.position),
            str(row.head),
            str(row.lag_events),
            "?" if row.lag_seconds is None else f"{row.lag_seconds:.0f}",
            ""
            if failure is None
            else f"at {failure.position} ({failure.topic} {failure.event}): "
            f"{failure.error}",
            *([held] if workers else []),
        )
    Console().print(table)
    return 1 if failed else 0


def run_worker(args: argparse.Namespace) -> int:
    from appeals.application.audit import checkpoint_chore
    from appeals.infra.clock import SystemClock
    from appeals.projections.registry import projections
    from appeals.projections.runtime.worker import Worker

    configure_logging()
    source, tk, configured = open_from_env()
    with source:
        worker = Worker(
            source,
            projections(tk),
            configured.projections,
            chores=[(60.0, checkpoint_chore(source.log, SystemClock()))],
            freeze_heap=True,
        )
        if args.once:
            for runner in worker.runners:
                runner.prepare()
                position = runner.catch_up()
                print(f"{runner.name}: at {position}", file=sys.stderr)
            return 0

        def stop(signum: int, frame: FrameType | None) -> None:
            worker.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        print("appeals: projecting; Ctrl-C to stop", file=sys.stderr)
        try:
            worker.run()
        except KeyboardInterrupt:
            worker.stopping.set()
    return 0


def run_rebuild(args: argparse.Namespace) -> int:
    from appeals.projections.registry import UnknownProjection, find, projections
    from appeals.projections.runtime.parallel import rebuild_in_processes
    from appeals.projections.runtime.rebuild import (
        REBUILD_BATCH_SIZE,
        rebuild_together,
    )

    if args.jobs is not None and args.jobs < 1:
        print("appeals projections: --jobs must be at least 1", file=sys.stderr)
        return 2
    source, tk, configured = open_from_env()
    with source:
        try:
            chosen = projections(tk) if args.name == "all" else (find(args.name, tk),)
        except UnknownProjection as unknown:
            print(f"appeals projections: {unknown}", file=sys.stderr)
            return 2
        jobs = _jobs(args.jobs, source.database.engine)
        batch_size = args.batch_size or REBUILD_BATCH_SIZE
        with RebuildProgress([p.name for p in chosen]) as shown:
            split = any(p.splits for p in chosen)  # by appeal, over every job
            if jobs > 1 and (len(chosen) > 1 or split):
                # Every table exists (bootstrap) before the children start.
                outcomes = rebuild_in_processes(
                    chosen,
                    configured,
                    jobs=jobs if split else min(jobs, len(chosen)),
                    batch_size=batch_size,
                    restart=args.restart,
                    update=shown.update,
                )
            else:
                outcomes = rebuild_together(
                    source,
                    chosen,
                    batch_size=batch_size,
                    restart=args.restart,
                    update=shown.update,
                )
            for outcome in outcomes:
                if outcome.rebuilt is not None:
                    shown.done(outcome.name, outcome.rebuilt)
                else:
                    shown.failed(str(outcome.failure))
            return 1 if any(o.rebuilt is None for o in outcomes) else 0


def _jobs(asked: int | None, engine: str) -> int:
    """How many rebuilding processes: one per core unless asked; one on SQLite."""
    jobs = asked or os.cpu_count() or 1
    if engine == "sqlite" and jobs > 1:
        if asked:
            print(
                "appeals projections: SQLite has a single writer; "
                "rebuilding every view in one process",
                file=sys.stderr,
            )
        return 1
    return jobs


class RebuildProgress:
    """A progress bar per view being rebuilt, with its speed, and a line for
    each view swapped in. Where stderr is not a terminal (systemd, cron, a
    benchmark's relay), a line per view every ten seconds instead of the
    bars (:class:`LineProgress`): a rebuild at ten million events runs for
    an hour and more."""

    def __init__(
        self, names: list[str], clock: Callable[[], float] = time.monotonic
    ) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        terminal = sys.stderr.isatty()
        self.progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            "{task.fields[rate]}",
            TimeElapsedColumn(),
            "ETA",
            TimeRemainingColumn(),
            disable=not terminal,
        )
        self.lines = (
            None
            if terminal
            else {
                name: LineProgress(f"rebuilding {name}", 0, clock=clock)
                for name in names
            }
        )
        self.bars = {
            name: self.progress.add_task(name, total=None, rate="") for name in names
        }
        self.started: set[str] = set()

    def __enter__(self) -> RebuildProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def update(self, name: str, position: int, head: int) -> None:
        if self.lines is not None:
            self.lines[name].update(0, completed=position, total=head)
            return
        task = self.bars[name]
        if name not in self.started:
            # A resumed rebuild starts part-way: no speed from that jump.
            self.started.add(name)
            self.progress.reset(task, completed=position, total=head, rate="")
            return
        speed = next(t.speed for t in self.progress.tasks if t.id == task)
        rate = "" if speed is None else f"{speed:,.0f} events/s"
        self.progress.update(task, completed=position, total=head, rate=rate)

    def done(self, name: str, done: Rebuilt) -> None:
        self.progress.update(
            self.bars[name], completed=done.position, total=done.position
        )
        self.progress.console.print(
            f"{name}: swapped in at position {done.position}; "
            f"{done.events} events in {done.seconds:.1f}s "
            f"({done.rate:,.0f} events/s)"
        )

    def failed(self, reason: str) -> None:
        self.progress.console.print(f"appeals projections: {reason}", style="red")
