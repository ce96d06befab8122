"""``appeals escalate``: time-driven supervision of late stages."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from appeals.cli.environment import configure_logging, open_ledger, settings


def add_commands(commands: Any) -> None:
    escalate = commands.add_parser(
        "escalate", help="time-driven supervision: escalate late stages"
    )
    actions = escalate.add_subparsers(required=True, metavar="ACTION")
    run = actions.add_parser(
        "run", help="record due escalation rungs and lapsed evaluation windows"
    )
    run.add_argument("--once", action="store_true", help="one pass, then exit")
    run.add_argument(
        "--dry-run", action="store_true", help="list what would be done, change nothing"
    )
    run.add_argument(
        "--interval", type=float, default=60.0, help="seconds between passes"
    )
    run.set_defaults(run=run_escalate)


def run_escalate(args: argparse.Namespace) -> int:
    import time

    from appeals.application.escalation import Action
    from appeals.bootstrap import scheduled_escalation

    def show(action: Action, done: bool) -> None:
        mark = "would record" if args.dry_run else ("recorded" if done else "skipped")
        print(f"{mark}: {action.describe()}")

    configure_logging()
    database = settings().database
    with open_ledger() as ledger:
        scheduled = scheduled_escalation(ledger, database)
        while True:
            result = scheduled(dry_run=args.dry_run, on_action=show)
            if result is None:
                print(
                    "appeals escalate: another scheduler holds the lease "
                    f"({'appeals serve' if database.engine == 'sqlite' else 'a peer'})"
                    "; nothing done this pass",
                    file=sys.stderr,
                )
                if args.once or args.dry_run:
                    return 0
                time.sleep(args.interval)
                continue
            print(
                f"appeals escalate: {result.planned} due, {result.recorded} "
                f"recorded, {result.skipped} skipped",
                file=sys.stderr,
            )
            if args.once or args.dry_run:
                return 0
            time.sleep(args.interval)
