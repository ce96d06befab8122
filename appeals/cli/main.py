"""The ``appeals`` command line: the entry point, with one module per command
group (serve, demo, calendar, export and audit, escalate, tokens,
projections, registry, catalogue, assessment).

Configuration comes from environment variables (README), parsed once by
``appeals.infra.settings``; a configuration error stops the command with one
clear line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from appeals.cli import (
    assessment,
    audit,
    backup,
    calendar,
    catalogue,
    demo,
    escalate,
    notices,
    projections,
    registry,
    serve,
    tokens,
    webhooks,
)
from appeals.infra.settings import ConfigurationError

COMMAND_GROUPS = (
    serve,
    demo,
    calendar,
    audit,
    escalate,
    tokens,
    projections,
    registry,
    catalogue,
    assessment,
    notices,
    webhooks,
    backup,
)


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
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.add_commands(commands)
    return parser


def version() -> str:
    """The installed distribution's version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("appeal-ledger")
    except PackageNotFoundError:
        return "unknown (not installed)"


if __name__ == "__main__":
    sys.exit(main())
