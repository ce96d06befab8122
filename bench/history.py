"""A fast generator of a long history made by the real domain.

``python -m bench.history DATABASE_URL EVENTS RESULT.json [--processes N]``.

The demo planner (``appeals.demo.planner.plan_demo``) lays out realistic
appeals in chunks of two months each, one after the other (so ticket numbers
never collide), the last ending at the cutoff (below): the history is the
latest months or years of a city's log, its recent months as busy as its first.
Each chunk's commands are then decided by the real ``Appeal`` aggregate in
memory, in business-time order, exactly as the application would decide them
(the same rules, ticket and source-reference index claims), and its events are
written with ``AppealLedger.save`` in batches of a few thousand: the library's
own mapper, its locked insert path and the ledger's tables, just without a
round trip per command. Everything written is an ordinary domain event that
``ledger.get`` and the projections load back.

Nothing is written from the instant it is generated on (the cutoff): the
history is what a city's log would hold at that instant, its latest appeals
still open where they stand, never events stamped after the clock a service
reading it keeps. (Laid out from January 2021 instead, a million events
ended in 2024, so the reports of recent days and months read nearly nothing;
ten million ran to the end of this December, past today, and the preview
and the trends, finding completions after the instant asked, counted every
day and month again on every request: readings no live service meets.)

Chunks run in ``N`` processes (default: one per core). Not written: appeal
snapshots (no generated appeal reaches the 50-event snapshot interval) and
request records (the generated commands carry no idempotency keys).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson
from eventsourcing.persistence import InternalError

from appeals.application.claims import receipt_claims
from appeals.application.service import AppealLedger, decide
from appeals.bootstrap import open_ledger
from appeals.cli.environment import PROGRESS_SECONDS, progress_line
from appeals.demo.organisation import load_master_data
from appeals.demo.planner import MergeInto, Plan, plan_demo
from appeals.domain import commands as cmd
from appeals.domain.appeal import Appeal
from appeals.domain.errors import AppealError
from appeals.domain.ticket import format_ticket
from appeals.domain.values import Actor
from appeals.infra.clock import SHANGHAI
from appeals.infra.settings import Settings

MAX_APPEALS_PER_CHUNK = 4000
MIN_APPEALS_PER_CHUNK = 500
MONTHS_PER_CHUNK = 2
FIRST_MONTH = date(2021, 1, 1)
EVENTS_PER_SAVE = 4000
OPEN_ATTEMPTS = 5
EVENTS_PER_APPEAL = 11.5  # measured on the demo mix, claims included; sizes a pass
SPAN_CHUNKS = 36
"""At most six years of receipts: a longer history has more appeals a day,
as a larger city would, not receipts decades before."""
MAX_EXTRA_CHUNKS = 4
"""Chunks added before the first if the history falls short of its size
(its appeals made fewer events than EVENTS_PER_APPEAL says)."""


@dataclass(frozen=True)
class ChunkResult:
    events: int
    appeals: int
    abandoned: int  # appeals whose plan the domain refused part-way
    last_sequences: dict[str, int]  # receipt day -> last ticket number used


def months_after(first: date, months: int) -> date:
    """The first day of the month ``months`` after ``first``'s (or before)."""
    month = first.month - 1 + months
    return date(first.year + month // 12, month % 12 + 1, 1)


def chunk_start(index: int, first: date = FIRST_MONTH) -> date:
    """Where chunk ``index`` of a history starting at ``first`` starts."""
    return months_after(first, index * MONTHS_PER_CHUNK)


@dataclass(frozen=True)
class Layout:
    """A history's chunks: the month the first starts, how many, and how
    many appeals each plans."""

    first: date
    chunks: int
    size: int


def layout(events: int, processes: int, cutoff: datetime) -> Layout:
    """Chunks for ``events`` events, laid back from ``cutoff``: the last
    starts the month before the cutoff's and is cut short at it, holding
    about half a chunk's events (:func:`generate` adds one before the first
    if they fall short)."""
    size = appeals_per_chunk(events, processes)
    chunks = max(1, math.ceil(events / EVENTS_PER_APPEAL / size - 0.5)) + 1
    day = cutoff.astimezone(SHANGHAI).date()
    last = months_after(date(day.year, day.month, 1), -1)
    return Layout(months_after(last, -MONTHS_PER_CHUNK * (chunks - 1)), chunks, size)


class Decider:
    """Decides planned commands in memory with the real aggregate, and hands
    out ticket numbers per receipt day as the application's counter does."""

    def __init__(
        self, rules: cmd.Rules, chunk: int, cutoff: datetime | None = None
    ) -> None:
        self.rules = rules
        self.chunk = chunk
        self.cutoff = cutoff
        self.sequences: Counter[date] = Counter()
        self.abandoned: set[int] = set()

    def events(self, plans: list[Plan]) -> Iterator[Any]:
        """Every event the plans' commands lead to, in business-time order,
        up to the cutoff: a step at it or after is not taken (its appeal
        stays where it stands, as an open one would at that instant)."""
        queue = sorted(
            (step.at, index, number)
            for index, plan in enumerate(plans)
            for number, step in enumerate(plan.steps)
        )
        appeals: dict[int, Appeal] = {}
        for at, index, number in queue:
            if self.cutoff is not None and at >= self.cutoff:
                break
            if index in self.abandoned:
                continue
            step = plans[index].steps[number]
            command = step.command
            if isinstance(command, cmd.Receive):
                command = self.unique_reference(command)
                appeal = self.receive(command, step.actor, at)
                appeals[index] = appeal
                yield from appeal.collect_events()
                yield from self.claims(command, appeal, at)
                continue
            if isinstance(command, MergeInto):
                command = cmd.Merge(appeals[command.target].id, "重复反映，合并办理")
            appeal = appeals[index]
            try:
                decide(appeal, command, step.actor, at, self.rules)
            except AppealError:
                # The planner's office-hour arithmetic and the official
                # calendar can disagree around holidays; the application
                # would refuse the command too, so the appeal stops here.
                self.abandoned.add(index)
                continue
            yield from appeal.collect_events()

    def unique_reference(self, command: cmd.Receive) -> cmd.Receive:
        """The planner numbers source references per chunk; the chunk number
        keeps them unique across chunks (as they are across real channels)."""
        if command.external_id is None:
            return command
        return replace(command, external_id=f"{command.external_id}-{self.chunk:03d}")

    def receive(self, command: cmd.Receive, actor: Actor, at: datetime) -> Appeal:
        day = at.astimezone(SHANGHAI).date()
        self.sequences[day] += 1
        return Appeal.receive(
            command,
            appeal_id=uuid4(),
            ticket=format_ticket(day, self.sequences[day]),
            actor=actor,
            at=at,
            rules=self.rules,
        )

    @staticmethod
    def claims(command: cmd.Receive, appeal: Appeal, at: datetime) -> Iterator[Any]:
        """The ticket claim, and the source-reference claim if there is one."""
        for claim in receipt_claims(command, appeal, command.external_id, at):
            yield from claim.collect_events()


def open_worker_ledger(url: str) -> AppealLedger:
    """The ledger, opened in a worker process. Every open runs the store's
    DDL, and PostgreSQL can refuse one of two concurrent ``CREATE OR REPLACE
    FUNCTION`` ("tuple concurrently updated"): try again a moment later."""
    settings = Settings.from_env({"APPEALS_DATABASE_URL": url})
    for attempt in range(OPEN_ATTEMPTS):
        try:
            return open_ledger(settings)
        except InternalError:
            if attempt == OPEN_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def appeals_per_chunk(events: int, processes: int) -> int:
    """Chunks small enough that every process gets a few, and that the
    history overshoots its size by little; larger where more than
    SPAN_CHUNKS of MAX_APPEALS_PER_CHUNK would be needed (about 1,600,000
    events), so that the history keeps within its six years (the last
    chunk, cut short at the cutoff, one of them)."""
    appeals = events / EVENTS_PER_APPEAL
    wanted = round(appeals / (2 * processes))
    size = max(MIN_APPEALS_PER_CHUNK, min(MAX_APPEALS_PER_CHUNK, wanted))
    return max(size, math.ceil(appeals / (SPAN_CHUNKS - 1)))


def write_chunk(
    url: str,
    index: int,
    appeals: int,
    cutoff: datetime | None = None,
    first: date = FIRST_MONTH,
) -> ChunkResult:
    """Plans, decides and saves chunk ``index`` of a history starting at
    ``first`` (in a worker process), nothing from ``cutoff`` on."""
    ledger = open_worker_ledger(url)
    try:
        builder = plan_demo(
            appeals=appeals,
            seed=20261121 + index,
            start=chunk_start(index, first),
            months=MONTHS_PER_CHUNK,
            max_reopens=ledger.rules.max_reopens,
        )
        decider = Decider(ledger.rules, index, cutoff)
        batch: list[Any] = []
        written = 0
        for event in decider.events(builder.plans):
            batch.append(event)
            if len(batch) >= EVENTS_PER_SAVE:
                written += _save(ledger, batch)
                batch = []
        if batch:
            written += _save(ledger, batch)
        sequences = {day.isoformat(): n for day, n in decider.sequences.items()}
        return ChunkResult(
            written, len(builder.plans), len(decider.abandoned), sequences
        )
    except Exception as error:
        # Domain errors do not survive pickling back to the pool.
        raise RuntimeError(f"chunk {index}: {traceback.format_exc()}") from error
    finally:
        ledger.close()


_saved: Any = None
"""In a worker process of :func:`write_chunks`: the events every worker has
saved so far (a shared ``multiprocessing.Value``), or None elsewhere."""


def _count_saved_into(counter: Any) -> None:
    """A worker's initializer: :func:`_save` adds to ``counter``."""
    global _saved
    _saved = counter


def _save(ledger: AppealLedger, batch: list[Any]) -> int:
    """Saves ``batch``; counts it where :func:`write_chunks` can see it."""
    ledger.save(*batch)
    if _saved is not None:
        with _saved.get_lock():
            _saved.value += len(batch)
    return len(batch)


def write_chunks(
    work: list[Any],
    processes: int,
    say: Callable[[int, float], None] | None = None,
    every: float = PROGRESS_SECONDS,
) -> Iterator[ChunkResult]:
    """Writes the chunks ``work`` names (:func:`write_chunk_of`'s arguments)
    in ``processes`` worker processes, yielding each chunk's result as it
    ends. ``say`` hears the events saved so far and the seconds since the
    start at least every ``every`` seconds and after each chunk: a chunk of a
    ten-million history takes about two minutes."""
    context = multiprocessing.get_context("spawn")
    saved = context.Value("q", 0)
    started = time.monotonic()
    with context.Pool(
        processes, initializer=_count_saved_into, initargs=(saved,)
    ) as pool:
        results = pool.imap(write_chunk_of, work)
        while True:
            try:
                result = results.next(timeout=every)
            except multiprocessing.TimeoutError:
                result = None
            except StopIteration:
                return
            if say is not None:
                say(saved.value, time.monotonic() - started)
            if result is not None:
                yield result


def record_ticket_counters(ledger: AppealLedger, sequences: dict[str, int]) -> None:
    """Leaves the ticket counters where the application would have left them."""
    statement = (
        f"INSERT INTO {ledger.tickets.table} AS c (day, last_sequence) "
        "VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET last_sequence = "
        "GREATEST(c.last_sequence, excluded.last_sequence)"
    )
    with ledger.database.transaction() as cursor:
        for day, last in sorted(sequences.items()):
            cursor.execute(statement, (day, last))


def write_chunk_of(
    work: tuple[str, int, int] | tuple[str, int, int, datetime | None, date],
) -> ChunkResult:
    """:func:`write_chunk` for ``Pool.imap`` (one argument)."""
    return write_chunk(*work)


def generate(
    url: str,
    events: int,
    processes: int,
    report: Callable[[str], None] | None = None,
    cutoff: datetime | None = None,
    every: float = PROGRESS_SECONDS,
) -> dict[str, Any]:
    """Writes at least ``events`` events (:func:`layout`), the last of them
    just before ``cutoff`` (by default the instant it starts), none at or
    after it; returns what it wrote and how fast. ``report`` hears a
    :func:`progress_line` every ``every`` seconds and after each chunk."""
    cutoff = cutoff or datetime.now(UTC)
    if cutoff.tzinfo is None:
        raise ValueError(f"the cutoff {cutoff.isoformat()} needs a UTC offset")
    ledger = open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": url}))
    load_master_data(ledger)  # the units, cadres and items the plans route to
    started = time.monotonic()
    written = appeals = abandoned = 0
    sequences: dict[str, int] = {}
    plan = layout(events, processes, cutoff)
    indexes = list(range(plan.chunks))
    extra = 0
    while indexes:

        def say(saved: int, _: float, before: int = written) -> None:
            if report is not None:
                seconds = time.monotonic() - started
                report(progress_line("history", before + saved, events, seconds))

        work = [(url, i, plan.size, cutoff, plan.first) for i in indexes]
        for result in write_chunks(work, processes, say, every):
            written += result.events
            appeals += result.appeals
            abandoned += result.abandoned
            sequences.update(result.last_sequences)
        indexes = []
        if written < events and extra < MAX_EXTRA_CHUNKS:
            extra += 1
            indexes = [-extra]  # one more, before the first
    record_ticket_counters(ledger, sequences)
    head = ledger.recorder.max_notification_id() or 0
    ledger.close()
    seconds = time.monotonic() - started
    return {
        "events": written,
        "appeals": appeals,
        "abandoned": abandoned,
        "head": head,
        "chunks": plan.chunks + extra,
        "first_month": chunk_start(-extra, plan.first).isoformat(),
        "cutoff": cutoff.isoformat(),
        "last_month": chunk_start(plan.chunks - 1, plan.first).isoformat(),
        "seconds": seconds,
        "events_per_second": written / seconds,
        "processes": processes,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.history")
    parser.add_argument("url")
    parser.add_argument("events", type=int)
    parser.add_argument("result")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--cutoff",
        type=datetime.fromisoformat,
        default=None,
        help="nothing written from this instant on (ISO 8601 with an offset; "
        "default: now)",
    )
    args = parser.parse_args(argv)
    result = generate(
        args.url, args.events, args.processes, report=_say, cutoff=args.cutoff
    )
    Path(args.result).write_bytes(orjson.dumps(result))
    return 0


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
