"""The ``appeals`` command line: serve, demo (more commands join as they land).

Configuration comes from environment variables (README); a configuration
error stops the command with one clear line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from appeals.cli.projections import add_commands as add_projection_commands
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
    except BrokenPipeError:
        # The reader (say, `| head`) stopped; that is not an error here.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
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
        default=None,
        help="first receipt day (default: --months before today, so the demo ends now)",
    )
    demo.set_defaults(run=run_demo)

    calendar = commands.add_parser(
        "calendar", help="the official working-day calendar (工作日, 调休)"
    )
    calendar_commands = calendar.add_subparsers(required=True, metavar="ACTION")
    show = calendar_commands.add_parser(
        "show", help="a year's days off and make-up working days"
    )
    show.add_argument("year", type=int)
    show.set_defaults(run=run_calendar_show)
    load = calendar_commands.add_parser(
        "load", help="load the State Council's schedule for a year from a TOML file"
    )
    load.add_argument("file")
    load.set_defaults(run=run_calendar_load)

    export = commands.add_parser(
        "export", help="stream stored events as NDJSON (business time from/to)"
    )
    export.add_argument("--from", dest="start", type=_instant, default=None)
    export.add_argument("--to", dest="end", type=_instant, default=None)
    export.set_defaults(run=run_export)

    audit = commands.add_parser("audit", help="tamper evidence: chains, checkpoints")
    audit_commands = audit.add_subparsers(required=True, metavar="ACTION")
    checkpoint = audit_commands.add_parser(
        "checkpoint", help="extend the global digest chain and record checkpoints"
    )
    checkpoint.set_defaults(run=run_audit_checkpoint)
    verify = audit_commands.add_parser(
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
    listing = audit_commands.add_parser(
        "checkpoints", help="print the checkpoints as NDJSON, to keep elsewhere"
    )
    listing.set_defaults(run=run_audit_list)

    escalate = commands.add_parser(
        "escalate", help="time-driven supervision: escalate late stages"
    )
    escalate_commands = escalate.add_subparsers(required=True, metavar="ACTION")
    run = escalate_commands.add_parser(
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

    tokens = commands.add_parser("tokens", help="manage API tokens")
    token_commands = tokens.add_subparsers(required=True, metavar="ACTION")
    create = token_commands.add_parser(
        "create", help="create a token and print it once"
    )
    create.add_argument(
        "--role",
        required=True,
        help="intake, dispatcher, handler, supervisor, auditor, enterprise or admin",
    )
    create.add_argument("--name", required=True, help="who or what uses it")
    create.add_argument("--unit", help="the unit of a handler token")
    create.add_argument("--uscc", help="the credit code of an enterprise token")
    create.set_defaults(run=run_tokens_create)
    listing = token_commands.add_parser("list", help="list tokens (never secrets)")
    listing.set_defaults(run=run_tokens_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id")
    revoke.set_defaults(run=run_tokens_revoke)
    add_projection_commands(commands)
    return parser


def run_serve(args: argparse.Namespace) -> int:
    from appeals.bootstrap import open_ledger
    from appeals.http.app import prepare_storage
    from appeals.infra.serving import serve
    from appeals.infra.store import prepare_database
    from appeals.projections.runtime.settings import ProjectionSettings

    # Fail fast, with one clear line, rather than inside a worker process.
    settings = Settings.from_env(os.environ)
    ProjectionSettings.from_env(os.environ, settings.database.engine)
    prepare_database(settings.database)
    # Create every table once, here, before the workers start: several
    # processes running the event store's DDL at once collide in PostgreSQL's
    # catalog ("tuple concurrently updated") and the server fails to start.
    with open_ledger(settings) as ledger:
        prepare_storage(ledger)
    os.environ["APPEALS_CREATE_TABLES"] = "0"
    print(
        f"appeals: serving on http://{args.host}:{args.port} "
        f"with {settings.database.redacted()}",
        file=sys.stderr,
    )
    serve(args.host, args.port, args.workers)
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from appeals.application.escalation import run_once
    from appeals.bootstrap import open_ledger
    from appeals.demo.planner import generate_demo
    from appeals.infra.clock import SHANGHAI, FixedClock

    settings = Settings.from_env(os.environ)
    start: date = args.start or (
        datetime.now(SHANGHAI).date() - timedelta(days=round(args.months * 30.44))
    )
    clock = FixedClock(datetime.combine(start, datetime.min.time(), SHANGHAI))
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
            start=start,
            months=args.months,
            progress=lambda n: progress.update(task, completed=n),
            on_morning=lambda: run_once(ledger),
        )
    print(summary.describe())
    return 0


def run_calendar_show(args: argparse.Namespace) -> int:
    from appeals.bootstrap import open_ledger
    from appeals.infra.calendar_data import describe_year, format_year

    with open_ledger(Settings.from_env(os.environ)) as ledger:
        calendar = ledger.rules.timekeeping.calendar
        years = calendar.years or range(args.year, args.year + 1)
        if args.year not in years:
            first, last = years[0], years[-1]
            print(
                f"appeals calendar: {args.year} is outside {first}-{last}",
                file=sys.stderr,
            )
            return 2
        summary = describe_year(calendar, args.year, schedules=ledger.calendars.load())
    print(format_year(summary))
    return 0


def run_calendar_load(args: argparse.Namespace) -> int:
    from appeals.bootstrap import open_ledger
    from appeals.infra.calendar_data import CalendarFileError, load_schedules

    try:
        schedules = load_schedules(args.file)
    except CalendarFileError as error:
        print(f"appeals calendar: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"appeals calendar: {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    with open_ledger(Settings.from_env(os.environ)) as ledger:
        ledger.calendars.save(schedules, ledger.clock.now())
        ledger.reload_calendar()
    for schedule in schedules:
        print(
            f"loaded {schedule.year}: {len(schedule.holidays)} days off, "
            f"{len(schedule.makeup_workdays)} make-up working days "
            f"({schedule.source}); new deadlines use it, recorded ones stand",
            file=sys.stderr,
        )
    return 0


def _instant(raw: str) -> datetime:
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{raw!r} needs a time zone, like +08:00")
    return value


def run_export(args: argparse.Namespace) -> int:
    import orjson

    from appeals.application.audit import export_records
    from appeals.bootstrap import open_ledger

    out = sys.stdout.buffer
    with open_ledger(Settings.from_env(os.environ)) as ledger:
        count = 0
        for entry in export_records(ledger.event_log, args.start, args.end):
            out.write(orjson.dumps(entry) + b"\n")
            count += 1
    out.flush()
    print(f"appeals export: {count} events", file=sys.stderr)
    return 0


def _log_progress(description: str, total: int) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeRemainingColumn,
    )

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    )
    progress.add_task(description, total=total)
    return progress


def run_audit_checkpoint(args: argparse.Namespace) -> int:
    from appeals.application.audit import CheckpointStore, extend_checkpoints
    from appeals.bootstrap import open_ledger

    with open_ledger(Settings.from_env(os.environ)) as ledger:
        store = CheckpointStore(ledger.database)
        store.create_table()
        with _log_progress("chaining the log", ledger.event_log.head()) as bar:
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

    from appeals.application.audit import Checkpoint, CheckpointStore, verify_log
    from appeals.bootstrap import open_ledger

    with open_ledger(Settings.from_env(os.environ)) as ledger:
        store = CheckpointStore(ledger.database)
        store.create_table()
        if args.checkpoints:
            with open(args.checkpoints, "rb") as file:
                checkpoints = [
                    Checkpoint(int(row["position"]), str(row["digest"]))
                    for row in map(orjson.loads, file)
                ]
        else:
            checkpoints = store.all()
        start = checkpoints[-1] if args.from_checkpoint and checkpoints else None
        with _log_progress("verifying", ledger.event_log.head()) as bar:
            result = verify_log(
                ledger.event_log,
                checkpoints,
                start=start,
                progress=lambda p: bar.update(bar.task_ids[0], completed=p),
            )
    scope = f"from checkpoint {start.position}" if start else "from the beginning"
    summary = (
        f"{result.events} events, {result.appeals} appeals, {scope}; "
        f"{result.checkpoints_matched} checkpoints matched"
    )
    if result.finding is None:
        print(f"clean: {summary}")
        return 0
    print(f"BROKEN: {result.finding.describe()}; {summary}")
    return 1


def run_audit_list(args: argparse.Namespace) -> int:
    import orjson

    from appeals.application.audit import CheckpointStore
    from appeals.bootstrap import open_ledger

    with open_ledger(Settings.from_env(os.environ)) as ledger:
        store = CheckpointStore(ledger.database)
        store.create_table()
        for checkpoint in store.all():
            line = {"position": checkpoint.position, "digest": checkpoint.digest}
            print(orjson.dumps(line).decode())
    return 0


def run_escalate(args: argparse.Namespace) -> int:
    import time

    from appeals.application.escalation import Action, run_once
    from appeals.bootstrap import open_ledger

    def show(action: Action, done: bool) -> None:
        mark = "would record" if args.dry_run else ("recorded" if done else "skipped")
        print(f"{mark}: {action.describe()}")

    with open_ledger(Settings.from_env(os.environ)) as ledger:
        while True:
            result = run_once(ledger, dry_run=args.dry_run, on_action=show)
            print(
                f"appeals escalate: {result.planned} due, {result.recorded} "
                f"recorded, {result.skipped} skipped",
                file=sys.stderr,
            )
            if args.once or args.dry_run:
                return 0
            time.sleep(args.interval)


def token_store() -> tuple[Any, Any]:
    from appeals.bootstrap import open_ledger
    from appeals.infra.tokens import TokenStore

    ledger = open_ledger(Settings.from_env(os.environ))
    store = TokenStore(ledger.database)
    store.create_table()
    return ledger, store


def run_tokens_create(args: argparse.Namespace) -> int:
    from appeals.infra.tokens import TokenError

    ledger, store = token_store()
    try:
        token, info = store.create(
            role=args.role,
            name=args.name,
            unit=args.unit,
            uscc=args.uscc,
            now=ledger.clock.now(),
        )
    except TokenError as error:
        print(f"appeals tokens: {error}", file=sys.stderr)
        return 2
    finally:
        ledger.close()
    print(token)
    print(
        f"created {info.id} ({info.role.value}) for {info.name}; "
        "this is the only time the token is shown",
        file=sys.stderr,
    )
    return 0


def run_tokens_list(args: argparse.Namespace) -> int:
    ledger, store = token_store()
    try:
        for info in store.list():
            scope = info.unit or info.uscc or ""
            state = f"revoked {info.revoked_at}" if info.revoked_at else "active"
            print(
                f"{info.id}\t{info.role.value}\t{scope}\t{info.name}\t"
                f"{info.created_at}\t{state}"
            )
    finally:
        ledger.close()
    return 0


def run_tokens_revoke(args: argparse.Namespace) -> int:
    from appeals.infra.tokens import TokenError

    ledger, store = token_store()
    try:
        info = store.revoke(args.token_id, ledger.clock.now())
    except TokenError as error:
        print(f"appeals tokens: {error}", file=sys.stderr)
        return 2
    finally:
        ledger.close()
    print(f"revoked {info.id} ({info.name})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
