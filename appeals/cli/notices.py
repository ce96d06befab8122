"""``appeals notices``: the monthly 通报 from the command line.

``publish --month 2026-11 [--reason R]`` first brings the supervision view up
to the log's head, then publishes the ended month's list of appeals still
late after the ladder's last rung, as a supervisor acting through the command
line; publishing a month again is a revision and needs ``--reason``. ``show
--month 2026-11 [--revision N] [--preview] [--html FILE]`` prints it, or
writes the printable page (the same as ``GET /notices/{month}?format=html``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from appeals.cli.assessment import cli_supervisor
from appeals.cli.environment import open_ledger


def add_commands(commands: Any) -> None:
    notices = commands.add_parser(
        "notices", help="the monthly 通报 of appeals still late: publish, show"
    )
    actions = notices.add_subparsers(required=True, metavar="ACTION")
    publish = actions.add_parser("publish", help="publish an ended month's 通报")
    publish.add_argument("--month", required=True, help="the month, like 2026-11")
    publish.add_argument("--reason", help="why a published month is published again")
    publish.set_defaults(run=run_publish)
    show = actions.add_parser("show", help="print a month's 通报")
    show.add_argument("--month", required=True, help="the month, like 2026-11")
    show.add_argument("--revision", type=int, help="an earlier published revision")
    show.add_argument(
        "--preview", action="store_true", help="draw it up now (not published)"
    )
    show.add_argument("--html", type=Path, help="write the printable page here")
    show.set_defaults(run=run_show)


def run_publish(args: argparse.Namespace) -> int:
    from appeals.application.notices import Notices
    from appeals.bootstrap import events_of
    from appeals.domain.assessment import Period
    from appeals.domain.errors import AppealError
    from appeals.projections import supervision
    from appeals.projections.runtime.runner import Runner

    with open_ledger() as ledger:
        try:
            period = Period.parse(args.month, "--month")
            runner = Runner(events_of(ledger), supervision.PROJECTION)
            runner.prepare()
            runner.catch_up()
            revision = Notices(ledger).publish(period, cli_supervisor(), args.reason)
        except AppealError as error:
            print(f"appeals notices: {error}", file=sys.stderr)
            return 1
    print(
        f"{revision['period']}: 通报 revision {revision['revision']} published at "
        f"position {revision['position']}: {len(revision['appeals'])} late "
        f"stages, {len(revision['units'])} units; digest {revision['digest']}"
    )
    return 0


def run_show(args: argparse.Namespace) -> int:
    from appeals.application.notices import Notices
    from appeals.domain.assessment import Period
    from appeals.domain.errors import AppealError
    from appeals.http.supervision import render_notice

    with open_ledger() as ledger:
        service = Notices(ledger)
        try:
            period = Period.parse(args.month, "--month")
            if args.preview:
                found = {**service.compute(period), "published": False}
            else:
                found = {**service.published(period, args.revision), "published": True}
        except AppealError as error:
            print(f"appeals notices: {error}", file=sys.stderr)
            return 1
    if args.html is not None:
        args.html.write_text(render_notice(found), encoding="utf-8")
        print(f"wrote {args.html}")
        return 0
    complete = "complete" if found["complete"] else "INCOMPLETE: the view was behind"
    print(f"{found['period']} 通报 · position {found['position']} ({complete})")
    for unit in found["units"]:
        code, name = unit["unit"] or "-", unit["unit_name"] or ""
        print(f"  {unit['appeals']:>4}  {code:<14} {name}")
    for row in found["appeals"]:
        state = "仍逾期 still late" if row["still_late"] else "已办理 settled"
        print(f"  {row['ticket']}  {row['unit'] or '-':<14} {row['stage']:<15} {state}")
    return 0
