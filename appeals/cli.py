"""The ``appeals`` command line: serve, demo (more commands join as they land).

Configuration comes from environment variables (README); a configuration
error stops the command with one clear line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime

from appeals.infra.settings import ConfigurationError, Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
    except ConfigurationError as error:
        print(f"appeals: configuration error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="appeals",
        description="Appeal Ledger: the system of record for enterprise appeals.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=run_serve)

    demo = commands.add_parser(
        "demo", help="load a synthetic demo data set through the application"
    )
    demo.add_argument("--appeals", type=int, default=3000, help="how many appeals")
    demo.add_argument("--seed", type=int, default=20261121)
    demo.add_argument("--months", type=int, default=6)
    demo.add_argument(
        "--start",
        type=date.fromisoformat,
        default=date(2026, 5, 18),
        help="first receipt day (default 2026-05-18)",
    )
    demo.set_defaults(run=run_demo)
    return parser


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings.from_env(os.environ)
    # Fail fast with one clear line rather than inside a worker process.
    from appeals.infra.store import prepare_database

    prepare_database(settings.database)
    print(
        f"appeals: serving on http://{args.host}:{args.port} "
        f"with {settings.database.redacted()}",
        file=sys.stderr,
    )
    uvicorn.run(
        "appeals.http.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        log_level="info",
    )
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from appeals.bootstrap import open_ledger
    from appeals.demo import generate_demo
    from appeals.infra.clock import SHANGHAI, FixedClock

    settings = Settings.from_env(os.environ)
    clock = FixedClock(datetime.combine(args.start, datetime.min.time(), SHANGHAI))
    with (
        open_ledger(settings, clock=clock) as ledger,
        Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=False,
        ) as progress,
    ):
        task = progress.add_task("loading demo appeals", total=args.appeals)
        summary = generate_demo(
            ledger,
            clock,
            appeals=args.appeals,
            seed=args.seed,
            start=args.start,
            months=args.months,
            progress=lambda n: progress.update(task, completed=n),
        )
    print(summary.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
