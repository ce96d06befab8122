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
    environment,
    escalate,
    init,
    notices,
    projections,
    registry,
    serve,
    tokens,
    webhooks,
)
from appeals.infra.settings import ConfigurationError

COMMAND_GROUPS = (
    init,
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
    environment.announced.clear()
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
    except Exception as error:
        failure = environment.database_failure(error)
        if failure is None:
            raise
        print(f"appeals: {failure}", file=sys.stderr)
        return 1
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="appeals",
        description="Appeal Ledger: the system of record for enterprise appeals. "
        "Configured by APPEALS_* environment variables (README); a SQLite store "
        "must exist (appeals init makes one), PostgreSQL's is named by "
        "APPEALS_DATABASE_URL. Every command names the database it uses on "
        "stderr.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.add_commands(commands)
    show_defaults(parser)
    return parser


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless it says it already
    (or the option is required): ``(default: 60.0)``, ``(default: off)`` for
    a switch, ``(default: not set)`` for an option with none."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return with_default(action)


def with_default(action: argparse.Action) -> str | None:
    help_text = action.help or ""
    if (
        not action.option_strings
        or action.required
        or action.default is argparse.SUPPRESS
        or "default" in help_text
    ):
        return action.help
    if action.nargs == 0:  # a switch: store_true
        shown = "on" if action.default else "off"
    elif action.default is None or action.default == []:
        shown = "not set"
    else:
        shown = "%(default)s"
    return f"{help_text} (default: {shown})".strip()


def show_defaults(parser: argparse.ArgumentParser) -> None:
    """Gives ``parser`` and every sub-command's parser the formatter above."""
    parser.formatter_class = DefaultsHelpFormatter
    for action in parser._actions:
        if action.help is None and action.option_strings:
            action.help = ""  # argparse leaves an option without help bare
            action.help = with_default(action) or None
        if isinstance(action, argparse._SubParsersAction):
            for child in set(action.choices.values()):
                show_defaults(child)


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
