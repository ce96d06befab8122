"""``appeals calendar``: the official working-day calendar (工作日, 调休)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from appeals.cli.environment import open_ledger


def add_commands(commands: Any) -> None:
    calendar = commands.add_parser(
        "calendar", help="the official working-day calendar (工作日, 调休)"
    )
    actions = calendar.add_subparsers(required=True, metavar="ACTION")
    show = actions.add_parser("show", help="a year's days off and make-up working days")
    show.add_argument("year", type=int)
    show.set_defaults(run=run_calendar_show)
    load = actions.add_parser(
        "load", help="load the State Council's schedule for a year from a TOML file"
    )
    load.add_argument("file")
    load.set_defaults(run=run_calendar_load)


def run_calendar_show(args: argparse.Namespace) -> int:
    from appeals.infra.calendar_data import describe_year, format_year

    with open_ledger() as ledger:
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
    from appeals.infra.calendar_data import CalendarFileError, load_schedules

    try:
        schedules = load_schedules(args.file)
    except CalendarFileError as error:
        print(f"appeals calendar: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"appeals calendar: {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    with open_ledger() as ledger:
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
