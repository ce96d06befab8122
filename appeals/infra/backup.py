"""Backup and restore of the store (docs/operations.md, "Backup and restore").

- The embedded SQLite store is copied with SQLite's online backup API, page by
  page, while the service runs: the copy is one consistent snapshot of the
  database file (events, views, tokens, checkpoints, the webhook outbox).
- PostgreSQL is dumped with ``pg_dump`` (custom format, the store's schema,
  no ownership) and restored with ``pg_restore`` into a fresh database; for
  point-in-time recovery use ``pg_basebackup`` with WAL archiving (the guide
  says how).

Nothing here interprets what is stored: a restored store is checked with
``appeals audit verify --checkpoints FILE`` against checkpoints kept apart.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from glob import glob
from pathlib import Path

from appeals.infra.settings import DatabaseConfig

PAGES_PER_STEP = 1024


class BackupError(RuntimeError):
    """A backup or restore that could not be made, with why."""


def backup(
    config: DatabaseConfig,
    target: Path,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Writes a backup of the configured store to ``target`` (which must not
    exist): an SQLite database file, or a ``pg_dump`` custom-format archive."""
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file")
    if config.engine == "sqlite":
        _sqlite_copy(Path(config.sqlite_path), target, progress)
    else:
        _pg(
            "pg_dump",
            config,
            ["--format=custom", "--no-owner", f"--schema={config.pg_schema}"],
            ["--file", str(target)],
        )


def restore(config: DatabaseConfig, source: Path) -> None:
    """Restores a backup into the configured store, which must be new: an
    SQLite file that does not exist yet, or a PostgreSQL database without the
    store's schema."""
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    if config.engine == "sqlite":
        target = Path(config.sqlite_path)
        if target.exists():
            raise BackupError(
                f"{target} already exists: restore into a new file "
                "(nothing is overwritten)"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source, target, None)
    else:
        _pg("pg_restore", config, ["--no-owner", "--exit-on-error"], [str(source)])


def _sqlite_copy(
    source: Path, target: Path, progress: Callable[[int, int], None] | None
) -> None:
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writer = sqlite3.connect(target)
    try:

        def report(status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        reader.backup(writer, pages=PAGES_PER_STEP, progress=report)
    finally:
        writer.close()
        reader.close()


def _pg(
    program: str, config: DatabaseConfig, options: list[str], rest: list[str]
) -> None:
    binary = _binary(program)
    env = {**os.environ, "PGPASSWORD": config.pg_password}
    argv = [
        binary,
        *options,
        f"--host={config.pg_host}",
        f"--port={config.pg_port}",
        f"--username={config.pg_user}",
        f"--dbname={config.pg_dbname}",
        *rest,
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{program} failed: {done.stderr.strip()[-500:]}")


def _binary(program: str) -> str:
    """The newest server installation's program, else the one on PATH."""
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{program}"), key=_version)
    if found:
        return found[-1]
    on_path = shutil.which(program)
    if on_path is None:
        raise BackupError(
            f"{program} is not installed (Debian: apt-get install postgresql-client)"
        )
    return on_path


def _version(path: str) -> tuple[int, ...]:
    part = Path(path).parent.parent.name
    return tuple(int(p) for p in part.split(".") if p.isdigit())
