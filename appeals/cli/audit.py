"""``appeals export`` and ``appeals audit``: the log as stored, the global
digest chain's checkpoints and a full verification."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from typing import Any

from appeals.cli.environment import open_ledger, progress_bar, settings


def add_commands(commands: Any) -> None:
    export = commands.add_parser(
        "export", help="stream stored events as NDJSON (business time from/to)"
    )
    export.add_argument(
        "--from",
        dest="start",
        type=_instant,
        default=None,
        help="business time from: a day (Shanghai midnight) or a time with offset",
    )
    export.add_argument(
        "--to",
        dest="end",
        type=_instant,
        default=None,
        help="business time to: a day (Shanghai midnight) or a time with offset",
    )
    export.set_defaults(run=run_export)

    audit = commands.add_parser("audit", help="tamper evidence: chains, checkpoints")
    actions = audit.add_subparsers(required=True, metavar="ACTION")
    checkpoint = actions.add_parser(
        "checkpoint", help="extend the global digest chain and record checkpoints"
    )
    checkpoint.set_defaults(run=run_audit_checkpoint)
    verify = actions.add_parser(
        "verify", help="verify every appeal's chain and the global checkpoints"
    )
    verify.add_argument(
        "--from-checkpoint",
        action="store_true",
        help="start at the latest checkpoint instead of the beginning",
    )
    verify.add_argument(
        "--checkpoints",
        help="an exported checkpoints file (NDJSON) to compare against instead "
        "of the database's own",
    )
    verify.set_defaults(run=run_audit_verify)
    listing = actions.add_parser(
        "checkpoints", help="print the checkpoints as NDJSON, to keep elsewhere"
    )
    listing.set_defaults(run=run_audit_list)


def _instant(raw: str) -> datetime:
    """An instant with its offset, or a plain day: its midnight in Asia/Shanghai."""
    from appeals.infra.clock import SHANGHAI

    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not a day (2026-11-01) or a time with its offset"
        ) from None
    if len(raw) == len("2026-11-01"):
        return value.replace(tzinfo=SHANGHAI)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{raw!r} needs a time zone, like +08:00")
    return value


def run_export(args: argparse.Namespace) -> int:
    import orjson

    from appeals.application.audit import export_records

    out = sys.stdout.buffer
    with open_ledger() as ledger:
        count = 0
        # The bar counts positions read (on stderr, on a terminal only); the
        # time filter may write fewer events than that.
        with progress_bar("exporting", ledger.event_log.head()) as bar:
            task = bar.task_ids[0]
            for entry in export_records(ledger.event_log, args.start, args.end):
                out.write(orjson.dumps(entry) + b"\n")
                count += 1
                if count % 1000 == 0:
                    bar.update(task, completed=entry["position"])
    out.flush()
    print(f"appeals export: {count} events", file=sys.stderr)
    return 0


def run_audit_checkpoint(args: argparse.Namespace) -> int:
    from appeals.application.audit import extend_checkpoints
    from appeals.infra.checkpoints import CheckpointStore

    with open_ledger() as ledger:
        store = CheckpointStore(ledger.database)
        with progress_bar("chaining the log", ledger.event_log.head()) as bar:
            new = extend_checkpoints(
                ledger.event_log,
                store,
                ledger.clock.now(),
                progress=lambda p: bar.update(bar.task_ids[0], completed=p),
            )
    for checkpoint in new:
        print(f"checkpoint {checkpoint.position} {checkpoint.digest}")
    if not new:
        print("no new events since the last checkpoint", file=sys.stderr)
    return 0


def run_audit_verify(args: argparse.Namespace) -> int:
    import orjson

    from appeals.application.audit import verify_log
    from appeals.infra.blobs import open_blob_store
    from appeals.infra.checkpoints import Checkpoint, CheckpointStore

    if args.checkpoints and not os.path.isfile(args.checkpoints):
        print(
            f"appeals audit verify: no checkpoints file {args.checkpoints} "
            "(make one with: appeals audit checkpoints > FILE)",
            file=sys.stderr,
        )
        return 2
    config = settings()
    blobs = open_blob_store(config.blob_store, config.s3_endpoint_url)
    with open_ledger() as ledger:
        if args.checkpoints:
            with open(args.checkpoints, "rb") as file:
                checkpoints = [
                    Checkpoint(int(row["position"]), str(row["digest"]))
                    for row in map(orjson.loads, filter(bytes.strip, file))
                ]
        else:
            checkpoints = CheckpointStore(ledger.database).all()
        start = checkpoints[-1] if args.from_checkpoint and checkpoints else None
        with progress_bar("verifying", ledger.event_log.head()) as bar:
            result = verify_log(
                ledger.event_log,
                checkpoints,
                start=start,
                progress=lambda p: bar.update(bar.task_ids[0], completed=p),
                blobs=blobs,
            )
    scope = f"from checkpoint {start.position}" if start else "from the beginning"
    summary = (
        f"{result.events} events, {result.appeals} appeals, "
        f"{result.records} chained records, {scope}; "
        f"{result.checkpoints_matched} checkpoints matched; "
        f"{result.attachments} attachments checked in {blobs.describe()}"
    )
    for damaged in result.damaged:
        print(f"DAMAGED: {damaged.describe()}")
    if result.clean:
        print(f"clean: {summary}")
        return 0
    if result.finding is not None:
        print(f"BROKEN: {result.finding.describe()}; {summary}")
    else:
        print(f"BROKEN: {len(result.damaged)} attachments damaged; {summary}")
    return 1


def run_audit_list(args: argparse.Namespace) -> int:
    import orjson

    from appeals.infra.checkpoints import CheckpointStore

    with open_ledger() as ledger:
        for checkpoint in CheckpointStore(ledger.database).all():
            line = {"position": checkpoint.position, "digest": checkpoint.digest}
            print(orjson.dumps(line).decode())
    return 0
