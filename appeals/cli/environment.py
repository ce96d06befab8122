"""What every command starts from: the settings parsed once from the
environment, the store checked and named on stderr, the ledger opened from
them, a progress bar (on a terminal; elsewhere a line every ten seconds).

A SQLite store must exist already unless the command makes one (``appeals
init``, ``appeals demo``, ``appeals restore``, ``appeals serve``): the
default, ``var/appeals.sqlite3``, is relative to the working directory, and a
command run from the wrong directory would otherwise make a new, empty
database there and, say, put a token in it. A file that is not a SQLite
database, a directory, or a place that cannot be written is one line on
stderr too, never a traceback.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appeals.infra.settings import (
    DEFAULT_DATABASE_URL,
    ConfigurationError,
    DatabaseConfig,
    Settings,
)

if TYPE_CHECKING:
    from appeals.application.service import AppealLedger
    from appeals.infra.clock import Clock

SQLITE_HEADER = b"SQLite format 3\x00"

announced: set[str] = set()
"""Stores already named on stderr by this command (``main`` clears it)."""


def settings() -> Settings:
    """The settings (a ConfigurationError stops the command with exit 2)."""
    return Settings.from_env(os.environ)


def open_ledger(clock: Clock | None = None, *, create: bool = False) -> AppealLedger:
    """The ledger, its storage created first if missing (bootstrap). A SQLite
    file must exist unless ``create``."""
    from appeals.bootstrap import open_ledger as bootstrap_open_ledger

    configured = settings()
    check_store(configured.database, create=create)
    return bootstrap_open_ledger(configured, clock=clock)


def check_store(db: DatabaseConfig, *, create: bool = False) -> None:
    """For SQLite, makes sure the store is a database file this process can
    use, or raises one clear :class:`ConfigurationError` (a file that does
    not exist is refused unless ``create``); then names the store on stderr,
    once per command."""
    if db.engine != "sqlite":
        announce(db)
        return
    _check_sqlite(db, create)
    announce(db)


def _check_sqlite(db: DatabaseConfig, create: bool) -> None:
    path = Path(db.sqlite_path).absolute()
    explicit = os.environ.get("APPEALS_DATABASE_URL", "").strip()
    where = (
        f"APPEALS_DATABASE_URL={explicit}"
        if explicit
        else f"the default {DEFAULT_DATABASE_URL}, relative to the working directory"
    )
    if path.is_dir():
        raise ConfigurationError(
            f"{path} is a directory, not a SQLite database file ({where})"
        )
    if not path.exists():
        if not create:
            raise ConfigurationError(
                f"no SQLite database at {path} ({where}): run the command "
                "where the store is, set APPEALS_DATABASE_URL, or make a new "
                "store with `appeals init`"
            )
        folder = _existing_parent(path)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigurationError(
                f"cannot create the SQLite database {path}: {folder} is not writable"
            )
        return
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as error:
        raise ConfigurationError(
            f"cannot open the SQLite database {path}: {error.strerror}"
        ) from None
    if header and header != SQLITE_HEADER:
        raise ConfigurationError(f"{path} is not a SQLite database ({where})")
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK | os.X_OK):
        raise ConfigurationError(
            f"cannot write the SQLite database {path} (it and its folder must be "
            "writable: SQLite keeps its journal beside it)"
        )


def _existing_parent(path: Path) -> Path:
    """The nearest folder above ``path`` that exists (what mkdir starts from)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def describe(db: DatabaseConfig) -> str:
    """The store as the operator should see it: a SQLite file's absolute
    path, a PostgreSQL URL without its password."""
    if db.engine == "sqlite":
        return f"SQLite {Path(db.sqlite_path).absolute()}"
    return f"PostgreSQL {db.redacted()}"


def announce(db: DatabaseConfig) -> None:
    """``appeals: database …`` on stderr, once per command."""
    described = describe(db)
    if described not in announced:
        announced.add(described)
        print(f"appeals: database {described}", file=sys.stderr)


def database_failure(error: BaseException) -> str | None:
    """One line for an error the database raised (a file SQLite cannot open,
    a server that went away), or None for any other error."""
    import sqlite3

    import psycopg
    from eventsourcing.persistence import PersistenceError

    if not isinstance(error, sqlite3.Error | psycopg.Error | PersistenceError):
        return None
    lines = str(error).strip().splitlines()
    reason = lines[0] if lines else type(error).__name__
    try:
        store = describe(settings().database)
    except ConfigurationError:
        store = "the database"
    return f"database error on {store}: {reason}"


PROGRESS_SECONDS = 10.0
"""How often long work says how far it has got when stderr is not a
terminal (:class:`LineProgress`)."""


def progress_line(
    what: str,
    done: int,
    total: int,
    seconds: float,
    unit: str = "events",
    start: int = 0,
) -> str:
    """How far long work has got, how fast, and about how long is left:
    ``chaining the log: 2,500,000 of 10,000,000 events (25%), 5,000/s,
    about 25 min left``. The speed is of what was done in ``seconds``, from
    ``start`` (work resumed part-way starts there)."""
    rate = (done - start) / seconds if seconds > 0 else 0.0
    share = min(done, total) / total if total else 1.0
    line = f"{what}: {done:,} of {total:,} {unit} ({share:.0%}), {rate:,.0f}/s"
    if rate > 0 and done < total:
        minutes = (total - done) / rate / 60
        line += (
            ", under a minute left"
            if minutes < 1
            else f", about {minutes:.0f} min left"
        )
    return line


class LineProgress:
    """:func:`progress_bar` when stderr is not a terminal (a log that systemd,
    cron or a benchmark collects): a :func:`progress_line` every ``every``
    seconds while the work runs, nothing for work done sooner. Its speed
    counts from the first update, as work resumed part-way (the audit chain
    from its last checkpoint) starts there."""

    def __init__(
        self,
        description: str,
        total: int,
        unit: str = "events",
        every: float = PROGRESS_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.description, self.total, self.unit = description, total, unit
        self.every, self.clock = every, clock
        self.task_ids = [0]  # as rich's Progress: one task
        self.first: tuple[float, int] | None = None
        self.said = 0.0

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, task: int, *, completed: int, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        now = self.clock()
        if self.first is None:  # the speed counts from here: nothing to say yet
            self.first = (now, completed)
            self.said = now
            return
        if now - self.said < self.every:
            return
        self.said = now
        since, start = self.first
        line = progress_line(
            self.description, completed, self.total, now - since, self.unit, start
        )
        print(line, file=sys.stderr, flush=True)


def progress_bar(description: str, total: int, unit: str = "events") -> Any:
    """A transient bar for long work (a pass over the log: ``total``
    ``unit``), on stderr when stderr is a terminal (stdout stays data);
    otherwise a :class:`LineProgress`."""
    if not sys.stderr.isatty():
        return LineProgress(description, total, unit)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeRemainingColumn,
    )

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    )
    progress.add_task(description, total=total)
    return progress


def configure_logging() -> None:
    """Logs as ``appeals serve`` does (``APPEALS_LOG_FORMAT``): for the
    long-running services (the projection worker, the scheduler, the webhook
    outbox) that systemd or a container collects."""
    from appeals.infra.logs import configure

    configure(settings().log_format)
