"""``appeals backup FILE`` and ``appeals restore FILE``: a consistent copy
of the store while it serves (SQLite's online backup API, or ``pg_dump``),
and its restoration into a new store (docs/operations.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from appeals.cli.environment import announce, check_store, progress_bar, settings


def add_commands(commands: Any) -> None:
    backup = commands.add_parser(
        "backup", help="copy the store to FILE while it serves (SQLite or pg_dump)"
    )
    backup.add_argument("file", type=Path, help="a new file for the backup")
    backup.set_defaults(run=run_backup)
    restore = commands.add_parser(
        "restore", help="restore a backup FILE into a new, empty store"
    )
    restore.add_argument("file", type=Path, help="a file made by appeals backup")
    restore.set_defaults(run=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    from appeals.infra.backup import BackupError, backup

    config = settings().database
    check_store(config)
    try:
        if config.engine == "sqlite":
            with progress_bar("backing up", 1, "pages") as bar:

                def progress(done: int, total: int) -> None:
                    bar.update(bar.task_ids[0], completed=done, total=total)

                backup(config, args.file, progress)
        else:
            backup(config, args.file)
    except BackupError as error:
        print(f"appeals backup: {error}", file=sys.stderr)
        return 1
    print(f"backed up {config.redacted()} to {args.file}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from appeals.infra.backup import BackupError, restore

    config = settings().database
    announce(config)
    try:
        restore(config, args.file)
    except BackupError as error:
        print(f"appeals restore: {error}", file=sys.stderr)
        return 1
    print(
        f"restored {args.file} into {config.redacted()}; check it with "
        "appeals audit verify --checkpoints FILE"
    )
    return 0
