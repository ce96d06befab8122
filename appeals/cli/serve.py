"""``appeals serve``: the HTTP API under uvicorn, one or more workers, with
the connection limits of ``APPEALS_MAX_CONNECTIONS``,
``APPEALS_REQUEST_TIMEOUT_MS`` and ``APPEALS_KEEP_ALIVE_SECONDS``, logs as
``APPEALS_LOG_FORMAT`` says (appeals.infra.logs) and, with ``--workers``
above 1, Prometheus's multi-process mode: every worker's counters in a fresh
directory of their own (``PROMETHEUS_MULTIPROC_DIR``), removed on exit.

A port already in use is one line and exit status 1, never a traceback."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appeals.cli.environment import settings

if TYPE_CHECKING:
    from appeals.infra.settings import Settings

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def add_commands(commands: Any) -> None:
    serve = commands.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (each its own pool)"
    )
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from appeals.bootstrap import create_storage
    from appeals.infra.logs import log_config
    from appeals.infra.store import prepare_database

    if args.workers < 1:
        print("appeals: --workers must be at least 1", file=sys.stderr)
        return 2
    # Fail fast, with one clear line, rather than inside a worker process.
    configured = settings()
    taken = port_taken(args.host, args.port)
    if taken is not None:
        print(
            f"appeals: cannot listen on {args.host}:{args.port}: {taken}",
            file=sys.stderr,
        )
        return 1
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
    with ExitStack() as stack:
        if args.workers > 1 or os.environ.get(MULTIPROCESS_DIR):
            metrics_directory(stack)
        return serving(args, configured, log_config(configured.log_format))


def serving(
    args: argparse.Namespace, configured: Settings, logging: dict[str, Any]
) -> int:
    from appeals.infra.serving import serve

    try:
        serve(args.host, args.port, args.workers, configured.server, logging)
    except OSError as error:  # bound between the check and the workers' start
        reason = error.strerror or str(error)
        print(
            f"appeals: cannot listen on {args.host}:{args.port}: {reason}",
            file=sys.stderr,
        )
        return 1
    return 0


def port_taken(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (in use, not an address of
    this machine, not permitted), or None. Bound without ``SO_REUSEPORT``,
    so a server already there (ours included) is found."""
    from appeals.infra.serving import listening_socket

    try:
        listening_socket(host, port).close()
    except OSError as error:
        return error.strerror or str(error)
    return None


def metrics_directory(stack: ExitStack) -> Path:
    """``PROMETHEUS_MULTIPROC_DIR`` for the workers: the operator's, emptied
    of a previous run's files, or a fresh temporary one removed on exit."""
    given = os.environ.get(MULTIPROCESS_DIR, "").strip()
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return folder
    made = stack.enter_context(tempfile.TemporaryDirectory(prefix="appeals-metrics-"))
    os.environ[MULTIPROCESS_DIR] = made
    stack.callback(os.environ.pop, MULTIPROCESS_DIR, None)
    return Path(made)
