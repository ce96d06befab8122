"""``appeals registry``: the organisation's registries from the command line:
import and export units, cadres and enterprises as CSV or TOML (chosen by
the file's extension; formats in appeals.application.registry_files).

The command line acts as the administrator (actor ``cli:<os user>``, its
name given by ``--as``). An import reports each rejected row as
``FILE:LINE: reason`` on stderr and exits with status 1 if any was rejected
(the other rows are imported); importing the same file again records
nothing. An export writes the records in force.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from appeals.cli.environment import open_ledger, progress_bar
from appeals.domain.values import Actor, Role

KINDS = ("units", "cadres", "enterprises")


def add_commands(commands: Any) -> None:
    registry = commands.add_parser(
        "registry",
        help="the organisation's registries (units, cadres, enterprises): "
        "import and export CSV or TOML files",
    )
    actions = registry.add_subparsers(required=True, metavar="ACTION")
    load = actions.add_parser(
        "import", help="register and update records from a .csv or .toml file"
    )
    load.add_argument("kind", choices=KINDS)
    load.add_argument("file")
    load.add_argument(
        "--as",
        dest="actor_name",
        metavar="ACTOR-NAME",
        default=None,
        help="the name recorded as the acting administrator (default: the "
        "operating-system user)",
    )
    load.set_defaults(run=run_import)
    save = actions.add_parser(
        "export", help="write the records in force to a .csv or .toml file"
    )
    save.add_argument("kind", choices=KINDS)
    save.add_argument("file")
    save.set_defaults(run=run_export)


def cli_actor(name: str | None = None) -> Actor:
    """The administrator acting through the command line."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or passwd
        user = "unknown"
    return Actor(id=f"cli:{user}", role=Role.ADMIN, name=name or f"命令行 {user}")


def run_import(args: argparse.Namespace) -> int:
    from appeals.application.registry import Registry
    from appeals.application.registry_files import (
        KINDS as RECORD_KINDS,
    )
    from appeals.application.registry_files import (
        RegistryFileError,
        import_file,
    )

    kind = RECORD_KINDS[args.kind]
    actor = cli_actor(args.actor_name)
    with (
        open_ledger() as ledger,
        progress_bar(f"importing {args.kind}", 0, "rows") as bar,
    ):
        task = bar.task_ids[0]

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            report = import_file(Registry(ledger), kind, args.file, actor, progress)
        except RegistryFileError as error:
            print(f"appeals registry: {error}", file=sys.stderr)
            return 1
    for rejected in report.rejected:
        place = args.file if rejected.line is None else f"{args.file}:{rejected.line}"
        print(f"{place}: {rejected.reason}", file=sys.stderr)
    print(
        f"登记 registered {len(report.registered)}, 变更 changed "
        f"{len(report.changed)}, 未变 unchanged {len(report.unchanged)}, "
        f"拒绝 rejected {len(report.rejected)}"
    )
    return 0 if report.ok else 1


def run_export(args: argparse.Namespace) -> int:
    from appeals.application.registry import Registry
    from appeals.application.registry_files import KINDS as RECORD_KINDS
    from appeals.application.registry_files import RegistryFileError, export_file

    with open_ledger() as ledger:
        try:
            count = export_file(Registry(ledger), RECORD_KINDS[args.kind], args.file)
        except RegistryFileError as error:
            print(f"appeals registry: {error}", file=sys.stderr)
            return 1
        except OSError as error:
            print(f"appeals registry: {args.file}: {error.strerror}", file=sys.stderr)
            return 1
    print(f"exported {count} {args.kind} to {args.file}")
    return 0
