"""Synthetic, realistic demo data, loaded through the application service.

``generate_demo`` takes the cast of ``appeals.demo.cast`` (enterprises with valid
credit codes in Suzhou, Kunshan and Zhangjiagang; units with cadres; intake,
dispatch and supervision staff) and invents appeals received over some
months. Each appeal follows one lifecycle path (``appeals.demo.paths.PATHS``):
its commands are executed by :class:`AppealLedger` with the :class:`FixedClock`
set to each step's time. Nothing writes events directly, so the data obeys every
rule the application enforces.

Time: receipts fall in office hours on working days, and each later step comes
some working hours after the previous one, all counted on the ledger's own
``WorkingCalendar`` (``appeals.demo.window``). All steps of all appeals run in
one chronological order, so ticket numbers and the notification log follow
business time. A plan that would run past the end of the window is moved
earlier; the share left open (in every status) grows for recent receipts. The
clock is left at the end of the window (``as_of``).

Deterministic for a seed and a calendar, apart from the UUIDs the application
draws. The first appeals cycle through the closing paths and the last ones
through the open paths (and a merge), so every path occurs in any set of 18 or
more.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from random import Random
from uuid import UUID

from appeals.application.service import AppealLedger, CommandResult
from appeals.demo import corpus
from appeals.demo.cast import Cast, Draft, Writer, build_cast, pick
from appeals.demo.organisation import MasterData, load_master_data
from appeals.demo.paths import PATHS, MergeInto, Plan, Planner, Step
from appeals.demo.window import Window
from appeals.domain import commands as cmd
from appeals.domain.appeal import DEFAULT_MAX_REOPENS
from appeals.domain.deadlines import Timekeeping
from appeals.domain.sla import DEFAULT_POLICY, SlaPolicy
from appeals.domain.values import Actor
from appeals.domain.working_time import WorkingCalendar
from appeals.infra.calendar_data import build_calendar
from appeals.infra.clock import SHANGHAI, FixedClock

__all__ = ["PATHS", "DemoSummary", "MergeInto", "Plan", "generate_demo", "plan_demo"]

FIT_ATTEMPTS = 8
GUARANTEED_FIRST = tuple(p for p in corpus.CLOSING_WEIGHTS if p != "merged")
GUARANTEED_LAST = (*(p for p in PATHS if p.startswith("open_")), "merged")


def open_weights(age_days: float) -> dict[str, float]:
    """Weights of the open statuses for an appeal ``age_days`` old."""
    weights = corpus.OPEN_WEIGHTS.items()
    return {p: young if age_days < d else old for p, (young, d, old) in weights}


def choose_paths(rng: Random, receipts: list[datetime], end: datetime) -> list[str]:
    """One path per receipt (in time order); the open share grows near ``end``."""
    paths = []
    for receipt in receipts:
        age = (end - receipt).total_seconds() / 86_400
        is_open = rng.random() < 0.04 + 0.8 * math.exp(-age / 8)
        paths.append(
            pick(rng, open_weights(age) if is_open else corpus.CLOSING_WEIGHTS)
        )
    if len(receipts) >= len(GUARANTEED_FIRST) + len(GUARANTEED_LAST):
        paths[: len(GUARANTEED_FIRST)] = GUARANTEED_FIRST
        paths[-len(GUARANTEED_LAST) :] = GUARANTEED_LAST
    return paths


class DemoBuilder:
    """Drafts appeals and plans each so that it fits in the window."""

    def __init__(
        self,
        rng: Random,
        cast: Cast,
        window: Window,
        max_reopens: int,
        timekeeping: Timekeeping,
    ) -> None:
        self.rng, self.cast, self.window = rng, cast, window
        self.timekeeping = timekeeping
        self.max_reopens = max_reopens
        self.writer = Writer(rng, cast, window.begin.year)
        self.plans: list[Plan] = []

    def plan(self, slot: datetime, path: str) -> None:
        seed = self.rng.getrandbits(64)
        if path == "on_the_spot":
            draft = self.writer.consultation()
        else:
            draft = self.writer.draft()
        if path == "reopened" and self.max_reopens < 1:
            path = "referred"  # no automatic reopen is allowed
        if path == "merged":
            duplicate = self._duplicate(draft, seed)
            if duplicate is not None:
                self.plans.append(duplicate)
                return
            path = "straight"  # no open appeal to merge into
        self.plans.append(self._fit(draft, seed, slot, path))

    def _planner(self, seed: int) -> Planner:
        rng = Random(seed)  # noqa: S311 (synthetic data, not security)
        return Planner(self.cast, self.window, rng, self.max_reopens, self.timekeeping)

    def _fit(self, draft: Draft, seed: int, receipt: datetime, path: str) -> Plan:
        """Moves the receipt earlier until the plan ends inside the window
        (the same seed gives the same gaps); truncates as a last resort."""
        window = self.window
        for _ in range(FIT_ATTEMPTS):
            plan = self._planner(seed).run(draft, receipt, path)
            overshoot = plan.steps[-1].at - window.end
            if overshoot < timedelta(0):
                return plan
            receipt = window.earlier(receipt, overshoot.days + 1)
        kept = tuple(step for step in plan.steps if step.at < window.end)
        return Plan("truncated", draft, kept, None)

    def _duplicate(self, draft: Draft, seed: int) -> Plan | None:
        """A second report of a recent appeal, merged into it while it is open."""
        candidates = list(enumerate(self.plans))[-40:]
        Random(seed).shuffle(candidates)  # noqa: S311
        for target, original in candidates:
            title = f"再次反映：{original.draft.receive.title}"[:200]
            receive = replace(
                original.draft.receive,
                channel=draft.receive.channel,
                external_id=draft.receive.external_id,
                title=title,
            )
            planner = self._planner(seed)
            planner.target = target
            at = self.window.add(original.receipt, 2.0 + planner.rng.expovariate(0.1))
            plan = planner.run(replace(original.draft, receive=receive), at, "merged")
            if plan.steps[-1].at < (original.final_at or self.window.end):
                return plan
        return None


@dataclass(frozen=True)
class DemoSummary:
    """What ``generate_demo`` loaded; samples are keyed by path."""

    appeals: int
    commands: int
    by_status: dict[str, int]
    by_path: dict[str, int]
    paused: int  # in progress and waiting for the enterprise
    enterprises: int
    units: int
    cadres: int
    sample_tickets: dict[str, str]
    sample_appeal_ids: dict[str, UUID]
    first_receipt: datetime
    as_of: datetime
    organisation: MasterData

    def describe(self) -> str:
        """A few lines for the person who ran ``appeals demo``."""
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(self.by_status.items()))
        paths = ", ".join(f"{k} {v}" for k, v in sorted(self.by_path.items()))
        samples = "\n".join(
            f"  {path:<28} {ticket}"
            for path, ticket in sorted(self.sample_tickets.items())
        )
        return (
            f"{self.organisation.describe()}\n"
            f"loaded {self.appeals} appeals ({self.commands} commands) from "
            f"{self.first_receipt:%Y-%m-%d} to {self.as_of:%Y-%m-%d}: "
            f"{self.enterprises} enterprises, {self.units} units, "
            f"{self.cadres} cadres\n"
            f"statuses: {statuses}\npaths: {paths}\n"
            f"sample tickets (GET /appeals/by-ticket/TICKET):\n{samples}"
        )


Receive = Callable[[cmd.Receive, Actor], CommandResult]


def run_step(
    ledger: AppealLedger,
    ids: dict[int, UUID],
    index: int,
    step: Step,
    receive: Receive | None = None,
) -> None:
    command = step.command
    if isinstance(command, cmd.Receive):
        received = (receive or ledger.receive_appeal)(command, step.actor)
        ids[index] = received.appeal_id
        return
    if isinstance(command, MergeInto):
        into = ids[command.target]
        reason = corpus.MERGE_REASON.format(ticket=ledger.get(into).ticket)
        command = cmd.Merge(into, reason)
    ledger.execute(ids[index], command, step.actor)


def execute(
    ledger: AppealLedger,
    clock: FixedClock,
    plans: list[Plan],
    progress: Callable[[int], None] | None,
    on_morning: Callable[[], object] | None = None,
    receive: Receive | None = None,
) -> tuple[dict[int, UUID], int]:
    """Runs every step of every plan in time order; returns the appeal ids
    (by plan index) and the number of commands. ``on_morning`` runs with the
    clock at 09:00 of each day the history passes through (the scheduler)."""
    queue = sorted(
        (step.at, index, number)
        for index, plan in enumerate(plans)
        for number, step in enumerate(plan.steps)
    )
    ids: dict[int, UUID] = {}
    finished = 0
    morning: datetime | None = None
    for at, index, number in queue:
        if on_morning is not None:
            morning = _mornings_until(clock, at, morning, on_morning)
        clock.set(at)
        plan = plans[index]
        try:
            run_step(ledger, ids, index, plan.steps[number], receive)
        except Exception as error:
            error.add_note(f"demo appeal #{index} ({plan.path}), step {number}, {at}")
            raise
        if number == len(plan.steps) - 1:
            finished += 1
            if progress is not None:
                progress(finished)
    return ids, len(queue)


def _mornings_until(
    clock: FixedClock,
    at: datetime,
    last: datetime | None,
    on_morning: Callable[[], object],
) -> datetime:
    """Calls ``on_morning`` at 09:00 of every day after ``last`` up to ``at``."""
    local = at.astimezone(SHANGHAI)
    today = local.replace(hour=9, minute=0, second=0, microsecond=0)
    if local < today:
        today -= timedelta(days=1)
    if last is None:
        return today
    morning = last + timedelta(days=1)
    while morning <= today:
        clock.set(morning)
        on_morning()
        morning += timedelta(days=1)
    return today


def summarise(
    ledger: AppealLedger,
    builder: DemoBuilder,
    ids: dict[int, UUID],
    commands: int,
    organisation: MasterData,
) -> DemoSummary:
    statuses: Counter[str] = Counter()
    tickets: dict[str, str] = {}
    samples: dict[str, UUID] = {}
    paused = 0
    for index, plan in enumerate(builder.plans):
        appeal = ledger.get(ids[index])
        statuses[appeal.status] += 1
        paused += appeal.paused
        if plan.path not in tickets:
            tickets[plan.path], samples[plan.path] = appeal.ticket, appeal.id
    cast, window = builder.cast, builder.window
    return DemoSummary(
        appeals=len(builder.plans),
        commands=commands,
        by_status=dict(statuses.most_common()),
        by_path=dict(Counter(plan.path for plan in builder.plans).most_common()),
        paused=paused,
        enterprises=len(cast.enterprises),
        units=len(cast.units),
        cadres=cast.cadres,
        sample_tickets=tickets,
        sample_appeal_ids=samples,
        first_receipt=min((p.receipt for p in builder.plans), default=window.begin),
        as_of=window.end,
        organisation=organisation,
    )


def plan_demo(
    *,
    appeals: int = 3000,
    seed: int = 20261121,
    start: date = date(2026, 6, 1),
    months: int = 6,
    max_reopens: int = DEFAULT_MAX_REOPENS,
    calendar: WorkingCalendar | None = None,
    policy: SlaPolicy = DEFAULT_POLICY,
) -> DemoBuilder:
    """Plans the demo (see ``generate_demo``) without running anything, in
    working time on ``calendar`` (by default the package's official calendar)
    under the time limits of ``policy``."""
    if appeals < 0 or months < 1:
        raise ValueError("appeals must be >= 0 and months >= 1")
    rng = Random(seed)  # noqa: S311 (synthetic data, not security)
    calendar = calendar or build_calendar()
    window = Window(start, months, calendar)
    timekeeping = Timekeeping(calendar, policy)
    builder = DemoBuilder(rng, build_cast(rng), window, max_reopens, timekeeping)
    receipts = sorted(window.receipt(rng) for _ in range(appeals))
    for receipt, path in zip(
        receipts, choose_paths(rng, receipts, window.end), strict=True
    ):
        builder.plan(receipt, path)
    return builder


def generate_demo(
    ledger: AppealLedger,
    clock: FixedClock,
    *,
    appeals: int = 3000,
    seed: int = 20261121,
    start: date = date(2026, 6, 1),
    months: int = 6,
    progress: Callable[[int], None] | None = None,
    on_morning: Callable[[], object] | None = None,
    receive: Receive | None = None,
) -> DemoSummary:
    """Loads ``appeals`` synthetic appeals received over ``months`` months from
    ``start`` through ``ledger``, setting ``clock`` before each command and
    leaving it at the end of the window; calls ``progress(n)`` when the n-th
    appeal has had its last step."""
    rules = ledger.rules
    clock.set(datetime.combine(start, time(), SHANGHAI))
    organisation = load_master_data(ledger)  # registered before any appeal
    builder = plan_demo(
        appeals=appeals,
        seed=seed,
        start=start,
        months=months,
        max_reopens=rules.max_reopens,
        calendar=rules.timekeeping.calendar,
        policy=rules.timekeeping.policy,
    )
    ids, commands = execute(ledger, clock, builder.plans, progress, on_morning, receive)
    clock.set(builder.window.end)
    if on_morning is not None:
        on_morning()
    return summarise(ledger, builder, ids, commands, organisation)
