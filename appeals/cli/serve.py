"""``appeals serve``: the HTTP API under uvicorn, one or more workers, with
the connection limits of ``APPEALS_MAX_CONNECTIONS``,
``APPEALS_REQUEST_TIMEOUT_MS`` and ``APPEALS_KEEP_ALIVE_SECONDS``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from appeals.cli.environment import settings


def add_commands(commands: Any) -> None:
    serve = commands.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from appeals.bootstrap import create_storage
    from appeals.infra.serving import serve
    from appeals.infra.store import prepare_database

    # Fail fast, with one clear line, rather than inside a worker process.
    configured = settings()
    # Every table once, here, before the workers start (they are started
    # with a factory that creates none): several processes running the event
    # store's DDL at once collide in PostgreSQL's catalog.
    if configured.create_tables:
        create_storage(configured)
    else:
        prepare_database(configured.database)
    print(
        f"appeals: serving on http://{args.host}:{args.port} "
        f"with {configured.database.redacted()}",
        file=sys.stderr,
    )
    serve(args.host, args.port, args.workers, configured.server)
    return 0
