"""``appeals catalogue``: the routing catalogue (派单目录) from the command
line: import and export its TOML file, search it by keywords.

The command line acts as the administrator (actor ``cli:<os user>``). An
import reports each rejected item as ``FILE:LINE: reason`` on stderr and
exits with status 1 if any was rejected (the others are imported); an
export writes the items in force (``.csv`` for a spreadsheet, else TOML).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from appeals.cli.environment import open_ledger
from appeals.domain.values import Actor, Role


def add_commands(commands: Any) -> None:
    catalogue = commands.add_parser(
        "catalogue", help="the routing catalogue (派单目录): import, export, search"
    )
    actions = catalogue.add_subparsers(required=True, metavar="ACTION")
    load = actions.add_parser(
        "import", help="publish and revise items from a TOML file ([[item]] tables)"
    )
    load.add_argument("file")
    load.set_defaults(run=run_import)
    save = actions.add_parser(
        "export", help="write the items in force to a TOML (or .csv) file"
    )
    save.add_argument("file")
    save.set_defaults(run=run_export)
    search = actions.add_parser("search", help="find items by Chinese keywords")
    search.add_argument("words", nargs="+")
    search.add_argument("--limit", type=int, default=10, help="at most this many items")
    search.set_defaults(run=run_search)


def cli_actor() -> Actor:
    """The administrator acting through the command line."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or passwd
        user = "unknown"
    return Actor(id=f"cli:{user}", role=Role.ADMIN, name=f"命令行 {user}")


def run_import(args: argparse.Namespace) -> int:
    from appeals.application.catalogue import CatalogueFileError, checked_catalogue

    with open_ledger() as ledger:
        try:
            report = checked_catalogue(ledger).import_file(args.file, cli_actor())
        except CatalogueFileError as error:
            print(f"appeals catalogue: {error}", file=sys.stderr)
            return 1
    for rejected in report.rejected:
        place = args.file if rejected.line is None else f"{args.file}:{rejected.line}"
        print(f"{place}: {rejected.reason}", file=sys.stderr)
    print(
        f"发布 published {len(report.published)}, 修订 revised "
        f"{len(report.revised)}, 未变 unchanged {len(report.unchanged)}, "
        f"拒绝 rejected {len(report.rejected)}"
    )
    return 0 if report.ok else 1


def run_export(args: argparse.Namespace) -> int:
    from appeals.application.catalogue import checked_catalogue

    with open_ledger() as ledger:
        try:
            count = checked_catalogue(ledger).export(args.file)
        except OSError as error:
            print(f"appeals catalogue: {args.file}: {error.strerror}", file=sys.stderr)
            return 1
    print(f"exported {count} items to {args.file}")
    return 0


def run_search(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from appeals.bootstrap import events_of
    from appeals.projections import catalogue as view
    from appeals.projections.runtime.runner import Runner

    if args.limit < 1:
        print("appeals catalogue: --limit must be at least 1", file=sys.stderr)
        return 2
    with open_ledger() as ledger:
        Runner(events_of(ledger), view.PROJECTION).catch_up()  # as the worker would
        _, hits = view.search(ledger.database, " ".join(args.words), args.limit)
    if not hits:
        print("no catalogue item matches", file=sys.stderr)
        return 0
    table = Table("code", "lead 主办", "co 协办", "score", "matched")
    table.add_column("matter 事项", overflow="fold")
    for hit in hits:
        item = hit.item
        table.add_row(
            item["code"],
            item["lead_unit"],
            ", ".join(item["co_units"]),
            f"{hit.score:.2f}",
            " ".join(hit.matched),
            item["matter_zh"],
        )
    Console(soft_wrap=True).print(table)
    return 0
