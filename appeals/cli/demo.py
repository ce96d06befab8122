"""``appeals demo``: a synthetic data set loaded through the application."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timedelta
from typing import Any

from appeals.cli.environment import open_ledger


def add_commands(commands: Any) -> None:
    demo = commands.add_parser(
        "demo", help="load a synthetic demo data set through the application"
    )
    demo.add_argument("--appeals", type=int, default=3000, help="how many appeals")
    demo.add_argument(
        "--seed",
        type=int,
        default=20261121,
        help="the random seed (same seed, same data)",
    )
    demo.add_argument(
        "--months", type=int, default=6, help="months of history, ending today"
    )
    demo.add_argument(
        "--start",
        type=date.fromisoformat,
        default=None,
        help="first receipt day (default: --months before today, so the demo ends now)",
    )
    demo.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from appeals.demo.mornings import morning_routine
    from appeals.demo.planner import generate_demo
    from appeals.demo.service_links import DemoService
    from appeals.infra.clock import SHANGHAI, FixedClock

    start: date = args.start or (
        datetime.now(SHANGHAI).date() - timedelta(days=round(args.months * 30.44))
    )
    clock = FixedClock(datetime.combine(start, datetime.min.time(), SHANGHAI))
    with open_ledger(clock, create=True) as ledger:
        issued = ledger.tickets.issued()
    if issued:
        print(
            f"appeals demo: 此库已有诉求，未再次载入演示数据 the store already "
            f"holds appeals ({issued} tickets issued); the demo loads into an "
            "empty store only: point APPEALS_DATABASE_URL at a new database "
            "for a fresh demo",
            file=sys.stderr,
        )
        return 1
    with (
        open_ledger(clock) as ledger,
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
        service = DemoService(ledger, start, args.seed)
        scheduler = morning_routine(ledger, args.seed)

        def morning() -> None:
            service.morning()  # the day's visits, then the scheduler's pass
            scheduler()

        summary = generate_demo(
            ledger,
            clock,
            appeals=args.appeals,
            seed=args.seed,
            start=start,
            months=args.months,
            progress=lambda n: progress.update(task, completed=n),
            on_morning=morning,
            receive=service.receive,
        )
    print(summary.describe())
    print(service.describe())
    return 0
