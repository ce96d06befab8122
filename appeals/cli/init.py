"""``appeals init``: make the store, or bring its tables up to this release.

On SQLite it creates the database file (and its folder) where
``APPEALS_DATABASE_URL`` says; other commands refuse a SQLite file that does
not exist, so a command run from the wrong directory never makes an empty
store there. On PostgreSQL it creates every missing table in the configured
schema: run it as the owner role after ``deploy/postgres/roles.sql`` and
after every upgrade (``deploy/postgres/setup.sh`` does both), while the
service itself runs as a role that may not create anything
(``APPEALS_CREATE_TABLES=0``). It also gives each view's live copy the
indexes this release declares and drops those it retired. Safe to run
again: nothing else is dropped.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from appeals.cli.environment import (
    check_store,
    configure_logging,
    describe,
    settings,
)


def add_commands(commands: Any) -> None:
    init = commands.add_parser(
        "init",
        help="create the store (a new SQLite file, or PostgreSQL's tables as "
        "their owner); safe to run again",
    )
    init.set_defaults(run=run_init)


def run_init(args: argparse.Namespace) -> int:
    from appeals.bootstrap import create_storage

    configured = settings()
    check_store(configured.database, create=True)
    configure_logging()  # so it says what it changed of the views' indexes
    create_storage(configured)
    print(f"appeals init: {describe(configured.database)} is ready", file=sys.stderr)
    return 0
