"""``appeals assessment``: the monthly assessment (考核) from the command line.

``publish --period 2026-11 [--reason R]`` first brings the assessment and
accountability views up to the log's head (so the month is complete), then
publishes the ended month under the scheme in force
(APPEALS_ASSESSMENT_SCHEME), as a supervisor acting through the command line
(actor ``cli:<os user>``); publishing a month again is a revision and needs
``--reason``. ``show --period 2026-11 [--group-by unit] [--revision N]
[--preview]`` prints the rows as a table.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from appeals.cli.environment import open_ledger, settings
from appeals.domain.values import Actor, Role


def add_commands(commands: Any) -> None:
    assessment = commands.add_parser(
        "assessment", help="the monthly assessment (考核): publish, show"
    )
    actions = assessment.add_subparsers(required=True, metavar="ACTION")
    publish = actions.add_parser(
        "publish", help="publish an ended month's assessment (frozen)"
    )
    publish.add_argument("--period", required=True, help="the month, like 2026-11")
    publish.add_argument("--reason", help="why a published month is published again")
    publish.set_defaults(run=run_publish)
    show = actions.add_parser("show", help="print a month's rows")
    show.add_argument("--period", required=True, help="the month, like 2026-11")
    show.add_argument(
        "--group-by",
        default="unit",
        choices=("unit", "cadre", "locality", "category"),
        help="rows per unit, cadre, locality or category",
    )
    show.add_argument("--revision", type=int, help="an earlier published revision")
    show.add_argument(
        "--preview", action="store_true", help="compute it now instead (not published)"
    )
    show.set_defaults(run=run_show)


def cli_supervisor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(id=f"cli:{user}", role=Role.SUPERVISOR, name=f"命令行 {user}")


def run_publish(args: argparse.Namespace) -> int:
    from appeals.application.assessments import Assessments
    from appeals.bootstrap import events_of
    from appeals.domain.assessment import Period
    from appeals.domain.errors import AppealError
    from appeals.infra.assessment_scheme import scheme_of
    from appeals.projections import accountability, assessment
    from appeals.projections.runtime.runner import Runner

    scheme = scheme_of(settings())
    with open_ledger() as ledger:
        try:
            period = Period.parse(args.period, "--period")
            tk = ledger.rules.timekeeping
            for view in (assessment.projection(tk), accountability.projection(tk)):
                runner = Runner(events_of(ledger), view)
                runner.prepare()
                runner.catch_up()
            revision = Assessments(ledger, scheme).publish(
                period, cli_supervisor(), args.reason
            )
        except AppealError as error:
            print(f"appeals assessment: {error}", file=sys.stderr)
            return 1
    print(
        f"{revision['period']}: revision {revision['revision']} published under "
        f"{revision['scheme_version']} at position {revision['position']}; "
        f"digest {revision['digest']}"
    )
    return 0


def run_show(args: argparse.Namespace) -> int:
    from appeals.application.assessments import Assessments
    from appeals.domain.assessment import Period
    from appeals.domain.errors import AppealError
    from appeals.infra.assessment_scheme import scheme_of

    scheme = scheme_of(settings())
    with open_ledger() as ledger:
        service = Assessments(ledger, scheme)
        try:
            period = Period.parse(args.period, "--period")
            if args.preview:
                found = service.compute(period).fields()
            else:
                found = service.published(period, args.revision)
        except AppealError as error:
            print(f"appeals assessment: {error}", file=sys.stderr)
            return 1
    complete = "complete" if found["complete"] else "INCOMPLETE: views were behind"
    print(
        f"{found['period']} · {found['scheme_version']} · position "
        f"{found['position']} ({complete})"
    )
    for row in found["groups"][args.group_by]:
        rank = "-" if row["rank"] is None else str(row["rank"])
        score = "-" if row["score"] is None else f"{row['score']:.4f}"
        name = row.get("label", {}).get("zh", "")
        key = " / ".join(row["key"])
        print(f"{rank:>4}  {key:<22} {name:<20} {score:>8}  {row['note']}")
    return 0
