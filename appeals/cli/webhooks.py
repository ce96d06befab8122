"""``appeals webhooks``: subscribers of the notification outbox, their
delivery status, replay, and the deliverer itself (appeals.application.webhooks)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import orjson

from appeals.cli.environment import configure_logging, open_ledger, settings


def add_commands(commands: Any) -> None:
    webhooks = commands.add_parser(
        "webhooks", help="notifications out: webhook subscribers and delivery"
    )
    actions = webhooks.add_subparsers(required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a subscriber; prints its secret once")
    add.add_argument("url", help="where to POST each event (http or https)")
    add.add_argument(
        "--kind",
        action="append",
        default=[],
        help="an event topic to send (Appeal.Assigned...); repeat; default: all",
    )
    add.add_argument("--unit", help="only events of appeals held by this unit")
    add.add_argument(
        "--from-start",
        action="store_true",
        help="deliver the whole history too (default: from now on)",
    )
    add.set_defaults(run=run_add)
    listing = actions.add_parser("list", help="list subscribers (never secrets)")
    listing.set_defaults(run=run_status)
    status = actions.add_parser(
        "status", help="per subscriber: cursor, lag, last error, dead letters"
    )
    status.set_defaults(run=run_status)
    remove = actions.add_parser("remove", help="stop delivering to a subscriber")
    remove.add_argument("subscriber")
    remove.set_defaults(run=run_remove)
    replay = actions.add_parser(
        "replay", help="deliver again from a log position (dead letters included)"
    )
    replay.add_argument("subscriber")
    replay.add_argument(
        "--from",
        dest="position",
        type=int,
        required=True,
        help="the first log position to deliver again",
    )
    replay.set_defaults(run=run_replay)
    run = actions.add_parser("run", help="deliver (a service on PostgreSQL)")
    run.add_argument("--once", action="store_true", help="one pass, then exit")
    run.add_argument(
        "--interval", type=float, default=2.0, help="seconds between passes"
    )
    run.set_defaults(run=run_deliver)


def _store(ledger: Any) -> Any:
    from appeals.infra.webhooks import WebhookStore

    return WebhookStore(ledger.database)


def run_add(args: argparse.Namespace) -> int:
    if not args.url.startswith(("http://", "https://")):
        print(f"appeals webhooks: {args.url!r} is not an http(s) URL", file=sys.stderr)
        return 2
    with open_ledger() as ledger:
        start = 0 if args.from_start else ledger.event_log.head()
        subscriber = _store(ledger).add(
            args.url, tuple(args.kind), args.unit, start, ledger.clock.now()
        )
    print(f"{subscriber.id} {subscriber.secret}")
    print(
        "the secret signs every delivery (X-Appeals-Signature); it is not shown again",
        file=sys.stderr,
    )
    return 0


def run_status(args: argparse.Namespace) -> int:
    from appeals.application.webhooks import status

    with open_ledger() as ledger:
        rows = status(_store(ledger), ledger.event_log.head())
    for row in rows:
        print(orjson.dumps(row).decode())
    if not rows:
        print("no subscribers (appeals webhooks add URL)", file=sys.stderr)
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with open_ledger() as ledger:
        removed = _store(ledger).remove(args.subscriber, ledger.clock.now())
    if not removed:
        print(f"appeals webhooks: no subscriber {args.subscriber}", file=sys.stderr)
        return 1
    return 0


def run_replay(args: argparse.Namespace) -> int:
    with open_ledger() as ledger:
        store = _store(ledger)
        if args.subscriber not in {s.id for s in store.active()}:
            print(f"appeals webhooks: no subscriber {args.subscriber}", file=sys.stderr)
            return 1
        store.replay_from(args.subscriber, max(1, args.position))
    print(f"{args.subscriber}: delivering again from position {args.position}")
    return 0


def run_deliver(args: argparse.Namespace) -> int:
    from appeals.bootstrap import webhook_deliverer

    configure_logging()
    with open_ledger() as ledger:
        deliverer, run = webhook_deliverer(ledger, settings())
        try:
            while True:
                result = run()
                if result is None:
                    print("appeals webhooks: another deliverer holds the lease",
                          file=sys.stderr)  # fmt: skip
                else:
                    for error in result.errors:
                        print(f"failed: {error}", file=sys.stderr)
                    print(
                        f"appeals webhooks: {result.delivered} delivered, "
                        f"{result.failed} to retry, {result.buried} dead-lettered",
                        file=sys.stderr,
                    )
                if args.once:
                    return 0
                if result is None or not result.more:
                    time.sleep(args.interval)
        finally:
            deliverer.close()
