"""``python -m bench.density``: the slow reports at a city's density, in a
fraction of ``bench scale``'s time.

A report's read grows with the stages in its window (90 days, six or twelve
months, a month), which a larger city's history holds more of a day, not
with the years before the window. So this generates only the latest
``--chunks`` two-month chunks of an ``--events`` history (bench.history: as
many appeals a chunk as that history has, its last chunks), rebuilds the
views the reports read, and times each report's reader in-process: read
afresh, and read again with what the service remembers of days and months
that have not changed (``appeals.projections.reading.Remembered``),
checking that both answer alike. At the defaults (the ten-million-event
city's latest 18 months: some 2,500,000 events) it takes about 45 minutes
on 2 cores: 12 to generate, the rest to rebuild four views one at a time.

The overdue report reads no window: the stages running late now, however
old, and the demo's planner leaves some of every month's appeals open for
good, so a longer history holds more of them than its latest months do.
``--older-backlog`` copies (default 1) of the open stage cycles, each 400
days earlier, stand in for what the older chunks would have left open; its
first page is then timed for every unit and for the busiest unit's handler,
and the escalation scheduler's pass, planned, over the same backlog, each
late stage first raised to the rung its lateness has reached (as a live
city's scheduler leaves them; the generator records no rungs).

Then it times the month's preview read again after the counts of changes of
its first 0, 1, 3, 7, 15 and 30 days (their hours) were raised (the cycles
unchanged): what each day counted again costs. Prints both tables; writes
the figures as JSON to ``--output``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

import orjson

from appeals.application.assessments import Assessments
from appeals.application.escalation import Action, plan, plan_warnings
from appeals.application.service import AppealLedger
from appeals.application.trends import Trends
from appeals.bootstrap import open_ledger
from appeals.cli.environment import progress_line
from appeals.demo.organisation import load_master_data
from appeals.domain.assessment import Period
from appeals.domain.deadlines import Timekeeping
from appeals.domain.directory import RememberingDirectory
from appeals.infra.assessment_scheme import load_scheme
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.infra.settings import Settings
from appeals.projections import assessment, overdue, timeliness
from appeals.projections.changes import PERIOD
from appeals.projections.due_cycles import OpenCycle, due_cycles, warnable_cycles
from appeals.projections.lifecycle import read_instant, stored_instant
from appeals.projections.reading import Remembered, live_table
from appeals.projections.runtime.model import Projection
from appeals.projections.runtime.storage import transaction
from bench import history
from bench.cluster import durable_cluster

VIEWS = ("timeliness", "assessment", "accountability", "appeal_list")
"""The views the timed reports read, rebuilt one at a time."""
Read = Callable[[Remembered | None], Any]


def generate_recent(url: str, events: int, chunks: int, processes: int) -> int:
    """The latest ``chunks`` chunks of an ``events`` history; returns how
    many events were written."""
    ledger = open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": url}))
    load_master_data(ledger)
    size = history.appeals_per_chunk(events, processes)
    first = history.SPAN_CHUNKS - chunks
    work = [(url, index, size) for index in range(first, history.SPAN_CHUNKS)]
    written, sequences = 0, {}
    total = round(size * chunks * history.EVENTS_PER_APPEAL)

    def say(saved: int, seconds: float) -> None:
        _say(progress_line("history", saved, total, seconds))

    for result in history.write_chunks(work, processes, say):
        written += result.events
        sequences.update(result.last_sequences)
    history.record_ticket_counters(ledger, sequences)
    ledger.close()
    return written


def rebuild(url: str) -> None:
    """Rebuilds the views the reports read, one at a time."""
    env = {**os.environ, "APPEALS_DATABASE_URL": url}
    for name in VIEWS:
        _say(f"rebuilding {name}")
        subprocess.run(
            [sys.executable, "-m", "appeals.cli", "projections", "rebuild", name],
            env=env,
            check=True,
        )


def ledger_at_end(url: str) -> AppealLedger:
    """The ledger, its clock stopped a minute after the history's last event
    (the generated history runs to the end of its last chunk, which may be
    after today): reports read as a service would at the end of its log,
    every completion in the store behind the instant asked."""
    settings = Settings.from_env({"APPEALS_DATABASE_URL": url})
    ledger = open_ledger(settings)
    table = live_table(ledger.database, assessment.CYCLES)
    with transaction(ledger.database, write=False) as sql:
        statement = (
            f"SELECT MAX(started_at), MAX(completed_at), MAX(ended_at) FROM {table}"
        )
        row = sql.execute(statement).one() or ()
        latest = max(v for v in row if v is not None)
    ledger.close()
    end = read_instant(latest) + timedelta(minutes=1)
    return open_ledger(settings, clock=FixedClock(end))


def reads(ledger: AppealLedger) -> dict[str, Read]:
    """The reports ``bench.reads`` measures over HTTP that read many stages,
    each as a function of what is remembered (None: read afresh). Rows are
    named from one remembered directory, as the service's are
    (``ServiceContext.names``)."""
    today, this = today_and_month(ledger)
    months = [months_before(this, n) for n in (5, 11)]
    database = ledger.database
    tk = ledger.rules.timekeeping
    scheme = load_scheme()
    names = RememberingDirectory(ledger.rules.directory, 60)

    def trend(measure: str, group_by: str, first: Period) -> Read:
        return lambda past: (
            Trends(ledger, names, past)
            .trend(measure, group_by, first, this, first, this)
            .body["items"]
        )

    return {
        "timeliness, 90 days": lambda past: timeliness.report(
            database, today - timedelta(days=89), today, SHANGHAI, [], "stage", past
        )[1],
        "trend: response rate, 6 months": trend("response_rate", "city", months[0]),
        "trend: median first-response hours by unit, 12 months": trend(
            "first_response_hours", "unit", months[1]
        ),
        "hotspots, 30 days": lambda _: (
            Trends(ledger, names)
            .hotspots(today - timedelta(days=29), today)
            .body["items"]
        ),
        "assessment preview, this month": lambda past: (
            Assessments(ledger, scheme, names, past).compute(this).groups
        ),
        # the report's first page: read afresh each time (nothing remembered)
        **{
            f"overdue, {whose}": lambda _, equals=equals: overdue.report(
                database, tk, ledger.clock.now(), equals, 50
            )[1]
            for whose, equals in (
                ("every unit", []),
                ("the busiest unit (a handler's)", [("unit", busiest_unit(ledger))]),
            )
        },
        "escalation pass, planned (dry run)": escalation_pass(ledger),
    }


def escalated_as_recorded(ledger: AppealLedger) -> int:
    """Raises each late stage's escalation level in the timeliness view to
    the highest rung its lateness has reached at :func:`pass_instant`, as
    the scheduler's passes would have recorded it: bench.history writes no
    rungs, and a live city's late stages stand at the rung they reached,
    most at the top. Standing in for those passes (the aggregates are not
    touched); the escalation pass reads the levels, and the overdue
    report's page shows them. Returns how many stages were raised."""
    tk, now, _, due = _due_at_pass(ledger)
    reached: dict[tuple[str, str], int] = {}
    for action in plan(due(), now, tk):
        if action.level is not None:
            key = (str(action.appeal_id), action.stage)
            reached[key] = max(reached.get(key, -1), action.level)
    table = live_table(ledger.database, timeliness.CYCLES)
    statement = (
        f"UPDATE {table} AS cycle SET escalation_level = reached.level "
        "FROM unnest(?::text[], ?::text[], ?::int[]) "
        "AS reached(appeal_id, stage, level) "
        "WHERE cycle.appeal_id = reached.appeal_id AND cycle.stage = reached.stage "
        "AND cycle.is_open = 1"
    )
    ids, stages = [k[0] for k in reached], [k[1] for k in reached]
    with transaction(ledger.database, write=True) as sql:
        sql.execute(statement, [ids, stages, list(reached.values())])
    return len(reached)


def pass_instant(ledger: AppealLedger) -> datetime:
    """The first minute of office hours from the ledger's instant: out of
    them a scheduler's pass plans nothing."""
    tk = ledger.rules.timekeeping
    return tk.calendar.add_working_time(ledger.clock.now(), timedelta(minutes=1))


def _due_at_pass(
    ledger: AppealLedger,
) -> tuple[Timekeeping, datetime, Projection, Callable[[], list[OpenCycle]]]:
    """The timekeeping, :func:`pass_instant`, the timeliness view, and the
    scheduler's reader of the late stages below the ladder's top then."""
    tk = ledger.rules.timekeeping
    view = timeliness.projection(tk)
    now = pass_instant(ledger)

    def due() -> list[OpenCycle]:
        return due_cycles(ledger.database, view, now, tk.policy.top_rung)

    return tk, now, view, due


def escalation_pass(ledger: AppealLedger) -> Read:
    """The escalation scheduler's pass, planned and not recorded (``appeals
    escalate run --dry-run``; the service's /metrics plans the same on each
    scrape): the late stages still below the ladder's top read and measured,
    and the warnings planned, at :func:`pass_instant`."""
    tk, now, view, due = _due_at_pass(ledger)

    def read(_: Remembered | None) -> list[Action]:
        warnable = warnable_cycles(ledger.database, view, now)
        return plan(due(), now, tk) + plan_warnings(warnable, now, tk)

    return read


def busiest_unit(ledger: AppealLedger) -> str:
    """The unit with the most running stages of the kinds that can be late
    (a handler's overdue report reads its own unit's)."""
    table = live_table(ledger.database, timeliness.CYCLES)
    statement = (
        f"SELECT unit FROM {table} WHERE {timeliness.RUNNING_LATE_STAGES} "
        "AND unit IS NOT NULL GROUP BY unit ORDER BY COUNT(*) DESC, unit LIMIT 1"
    )
    with transaction(ledger.database, write=False) as sql:
        row = sql.execute(statement).one()
    return str(row[0]) if row else ""


def add_older_backlog(url: str, copies: int) -> int:
    """Copies every open stage cycle of the timeliness view ``copies`` times,
    each copy 400 days earlier than the last (its deadline moved back, under
    a new appeal id made from the old one's and the copy's number): standing
    in for what the history's older chunks, not generated here, leave open
    (``appeals.demo.planner`` leaves 4% of its older appeals open for good,
    so a longer history's backlog of late stages is larger than its latest
    months hold). Returns how many rows were added. Only the overdue reads
    and the escalation pass look at them."""
    ledger = open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": url}))
    table = live_table(ledger.database, timeliness.CYCLES)
    count = f"SELECT COUNT(*) FROM {table}"
    columns = ", ".join(timeliness.CYCLE_COLUMNS)
    moved = {
        "appeal_id": "md5(appeal_id || '-older-' || copy)::uuid::text",
        "due": (
            "to_char(due::timestamp - make_interval(days => 400 * copy), "
            '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')'
        ),
    }
    values = ", ".join(moved.get(c, c) for c in timeliness.CYCLE_COLUMNS)
    statement = (  # one statement: the copies are made of the rows before it
        f"INSERT INTO {table} ({columns}) SELECT {values} FROM {table} "
        "CROSS JOIN generate_series(1, ?) AS copy WHERE is_open = 1"
    )
    with transaction(ledger.database, write=True) as sql:
        before = int(sql.execute(count).all()[0][0])
        sql.execute(statement, [copies])
        added = int(sql.execute(count).all()[0][0]) - before
    ledger.close()
    return added


def today_and_month(ledger: AppealLedger) -> tuple[date, Period]:
    """The ledger's today and this month (in Shanghai)."""
    today = ledger.clock.now().astimezone(SHANGHAI).date()
    return today, Period(today.year, today.month)


def months_before(period: Period, count: int) -> Period:
    month = history.months_after(date(period.year, period.month, 1), -count)
    return Period(month.year, month.month)


def time_reads(ledger: AppealLedger, rounds: int) -> dict[str, dict[str, Any]]:
    """Per report, the median milliseconds over ``rounds`` read afresh and
    read again with what was remembered, and whether both answered alike."""
    found = {}
    for name, read in reads(ledger).items():
        afresh, again = [], []
        past = Remembered(Settings.remembered_entries)
        answer = read(past)  # what is remembered from here on
        for _ in range(rounds):
            afresh.append(_timed(read, None))
            again.append(_timed(read, past))
        found[name] = {
            "afresh_ms": median(afresh),
            "remembered_ms": median(again),
            "alike": read(None) == answer == read(past),
        }
    return found


CHANGED_DAYS = (0, 1, 3, 7, 15, 30)
"""How many of the month's days :func:`preview_as_days_change` changes."""


def preview_as_days_change(
    ledger: AppealLedger, rounds: int
) -> dict[int, dict[str, Any]]:
    """The month's preview read again after the counts of changes of its
    first N days (:data:`CHANGED_DAYS`, days of Shanghai: every hour each
    holds) were raised, before each read, its cycles unchanged: what it
    costs per day counted again. Per N, the median milliseconds over
    ``rounds``, how many counter rows a round raised, and whether the last
    answer was the month counted afresh."""
    _, this = today_and_month(ledger)
    names = RememberingDirectory(ledger.rules.directory, 60)
    preview = Assessments(
        ledger, load_scheme(), names, Remembered(Settings.remembered_entries)
    )
    preview.compute(this)  # every day that may be kept, kept
    start, end = this.bounds(SHANGHAI)
    days = [start + timedelta(days=n) for n in range((end - start).days)]
    table = live_table(ledger.database, assessment.DAYS)
    within = "WHERE period >= ? AND period <= ?"
    raise_day = f"UPDATE {table} SET changes = changes + 1 {within}"
    count_day = f"SELECT COUNT(*) FROM {table} {within}"
    found: dict[int, dict[str, Any]] = {}
    for count in CHANGED_DAYS:
        hours = [
            [
                stored_instant(day)[:PERIOD],
                stored_instant(day + timedelta(days=1, microseconds=-1))[:PERIOD],
            ]
            for day in days[:count]
        ]
        with transaction(ledger.database, write=False) as sql:
            raised = sum(int(sql.execute(count_day, b).all()[0][0]) for b in hours)
        times = []
        for _ in range(rounds):
            with transaction(ledger.database, write=True) as sql:
                for bounds in hours:
                    sql.execute(raise_day, bounds)
            started = time.perf_counter()
            answer = preview.compute(this).groups
            times.append((time.perf_counter() - started) * 1000)
        alike = answer == preview.compute(this, afresh=True).groups
        found[count] = {
            "remembered_ms": median(times),
            "raised": raised,
            "alike": alike,
        }
    return found


def days_table(found: dict[int, dict[str, Any]]) -> str:
    counts = list(found)
    return "\n".join(
        [
            "| days changed | " + " | ".join(str(n) for n in counts) + " |",
            "|---|" + "---|" * len(counts),
            "| preview read again (ms) | "
            + " | ".join(f"{found[n]['remembered_ms']:.0f}" for n in counts)
            + " |",
            "| alike | " + " | ".join(str(found[n]["alike"]) for n in counts) + " |",
        ]
    )


def _timed(read: Read, past: Remembered | None) -> float:
    started = time.perf_counter()
    read(past)
    return (time.perf_counter() - started) * 1000


def table(found: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| report | read afresh (ms) | read again (ms) | alike |",
        "|---|---|---|---|",
    ]
    for name, figures in found.items():
        lines.append(
            f"| {name} | {figures['afresh_ms']:.0f} | "
            f"{figures['remembered_ms']:.0f} | {figures['alike']} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.density",
        description="the reports that read many stages, timed in process at a "
        "city's density (about 45 min on 2 cores at the defaults)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--events",
        type=int,
        default=10_000_000,
        help="events of the history whose density is made",
    )
    parser.add_argument(
        "--chunks", type=int, default=9, help="its latest two-month chunks made"
    )
    parser.add_argument("--rounds", type=int, default=5, help="reads per report")
    parser.add_argument(
        "--older-backlog",
        type=int,
        default=1,
        help="copies of the open stages, each 400 days earlier, standing in for "
        "what older chunks leave open (1: about the ten-million city's)",
    )
    parser.add_argument(
        "--output", type=Path, default=Path("density.json"), help="the figures"
    )
    args = parser.parse_args(argv)
    with durable_cluster(log=_say) as cluster:
        cluster.create_database("bench")
        url = cluster.url("bench")
        written = generate_recent(url, args.events, args.chunks, 2)
        rebuild(url)
        added = add_older_backlog(url, args.older_backlog)
        _say(f"older backlog: {added:,} open stage cycles added")
        ledger = ledger_at_end(url)
        try:
            raised = escalated_as_recorded(ledger)
            _say(f"late stages at the rung they reached: {raised:,}")
            found = time_reads(ledger, args.rounds)
            days = preview_as_days_change(ledger, args.rounds)
        finally:
            ledger.close()
    result = {
        "events": written,
        "density_of": args.events,
        "reads": found,
        "preview_as_days_change": days,
    }
    args.output.write_bytes(
        orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    )
    print(f"{written:,} events at the density of {args.events:,}")
    print(table(found))
    print(days_table(days))
    return 0


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
