"""Synthetic, realistic demo data, loaded through the application service.

``generate_demo`` takes the cast of ``appeals.demo.corpus`` (enterprises with valid
credit codes in Suzhou, Kunshan and Zhangjiagang; units with cadres; intake,
dispatch and supervision staff) and invents appeals received over some
months. Each appeal follows one lifecycle path (``PATHS``): its commands are
executed by :class:`AppealLedger` with the :class:`FixedClock` set to each
step's time. Nothing writes events directly, so the data obeys every rule the
application enforces.

Time: receipts fall in office hours (09:00-12:00, 13:30-17:30) on working days
of the official calendar (``holidays``: China, with make-up days); each later
step comes a random number of working hours after the previous one. Units and
cadres have a pace (``corpus.UNITS``), so some are systematically slower.
All steps of all appeals run in one chronological order, so ticket numbers and
the notification log follow business time. A plan that would run past the end
of the window is moved earlier; the share left open (in every status) grows
for recent receipts. The clock is left at the end of the window (``as_of``).

Deterministic for a seed, apart from the UUIDs the application draws. The
first appeals cycle through the closing paths and the last ones through the
open paths (and a merge), so every path occurs in any set of 18 or more.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from random import Random
from uuid import UUID

from appeals.application.service import AppealLedger
from appeals.demo import corpus
from appeals.demo.corpus import Cast, Draft, Window, build_cast, pick
from appeals.domain import commands as cmd
from appeals.domain.appeal import DEFAULT_MAX_REOPENS
from appeals.domain.values import Actor, Channel, Outcome, Priority, Satisfaction
from appeals.infra.clock import SHANGHAI, FixedClock

FIT_ATTEMPTS = 8
RESULTS = {
    Outcome.PARTIAL: corpus.PARTIAL_RESULT,
    Outcome.EXPLAINED: corpus.EXPLAINED_RESULT,
}
Who = Actor | tuple[Actor, ...]  # an actor, or a pool to draw one from


@dataclass(frozen=True)
class MergeInto:
    """A merge whose target is known by its plan index until it runs."""

    target: int


@dataclass(frozen=True)
class Step:
    at: datetime
    actor: Actor
    command: cmd.Receive | cmd.Command | MergeInto


@dataclass(frozen=True)
class Plan:
    path: str
    draft: Draft
    steps: tuple[Step, ...]
    final_at: datetime | None  # when it was closed, withdrawn or merged

    @property
    def receipt(self) -> datetime:
        return self.steps[0].at


class Planner:
    """Lays out one appeal's commands in time; each phase adds some steps."""

    def __init__(self, cast: Cast, window: Window, rng: Random, max_reopens: int):
        self.cast, self.window, self.rng = cast, window, rng
        self.max_reopens = max_reopens
        self.slow, self.outcome, self.unsatisfied = 1.0, Outcome.RESOLVED, 0
        self.final_at: datetime | None = None
        self.target = -1

    def run(self, draft: Draft, at: datetime, path: str) -> Plan:
        self.draft, self.t = draft, at
        self.cadre, cadre_pace = self.rng.choice(draft.unit.cadres)
        self.pace = draft.unit.pace * cadre_pace
        self.resolve_hours = corpus.RESOLVE_HOURS[draft.receive.priority] * self.pace
        self.urgent = draft.receive.priority is Priority.URGENT
        hotline = draft.receive.channel is Channel.HOTLINE
        intake = self.rng.choice(
            self.cast.hotline_ops if hotline else self.cast.desk_ops
        )
        self.steps = [Step(at, intake, draft.receive)]
        for phase in PATHS[path]:
            phase(self)
        return Plan(path, draft, tuple(self.steps), self.final_at)

    def _advance(self, median: float, spread: float = 0.6) -> datetime:
        hours = max(0.05, median * math.exp(self.rng.gauss(0.0, spread)))
        self.t = self.window.add(self.t, hours)
        return self.t

    def _push(self, who: Who, command: cmd.Command | MergeInto) -> None:
        actor = who if isinstance(who, Actor) else self.rng.choice(who)
        self.steps.append(Step(self.t, actor, command))

    def _do(self, median: float, who: Who, command: cmd.Command | MergeInto) -> None:
        self._advance(median)
        self._push(who, command)

    def _or_hotline(self, actor: Actor, chance: float) -> Who:
        return actor if self.rng.random() < chance else self.cast.hotline_ops

    # ---- phases ---------------------------------------------------------

    def dispatch(self) -> None:
        assign = cmd.Assign(self.draft.unit.name, self.cadre.name)
        self._do(0.3 if self.urgent else 1.2, self.cast.dispatchers, assign)
        self.assigned_at = self.t

    def accept(self) -> None:
        self._advance((0.4 if self.urgent else 2.0) * self.pace, 0.8)
        self._push(self.cadre, cmd.Accept())
        # Most units call the enterprise soon after signing for it (the first
        # response the time limits measure); slow ones sometimes do not.
        if self.rng.random() < 0.9 / max(1.0, self.pace):
            note = self.rng.choice(corpus.FIRST_CONTACT_NOTES)
            self._do(1.0 * self.pace, self.cadre, cmd.NoteProgress(note))

    def misroute(self) -> None:
        """Dispatched to the wrong unit, which returns it (退单)."""
        units = self.cast.units.values()
        wrong = self.rng.choice([u for u in units if u != self.draft.unit])
        cadre = self.rng.choice(wrong.cadres)[0]
        self._do(1.2, self.cast.dispatchers, cmd.Assign(wrong.name, cadre.name))
        if self.rng.random() < 0.3:
            self._do(2.0 * wrong.pace, cadre, cmd.Accept())
        reason = self.rng.choice(corpus.RETURN_REASONS)
        self._do(
            3.0 * wrong.pace,
            cadre,
            cmd.Return(reason.format(unit=self.draft.unit.name)),
        )

    def work(self) -> None:
        count = self.rng.choice((0, 0, 1, 1, 2))
        for note in self.rng.sample(corpus.PROGRESS_NOTES, count):
            self._do(self.resolve_hours * 0.3, self.cadre, cmd.NoteProgress(note))

    def pause(self) -> None:
        self.pause_open()
        self._advance(20.0, 0.8)
        self._push(self.cadre, cmd.Resume(self.rng.choice(corpus.RESUME_NOTES)))

    def pause_open(self) -> None:
        reason = self.rng.choice(corpus.PAUSE_REASONS)
        self._do(self.resolve_hours * 0.3, self.cadre, cmd.Pause(reason))

    def extend(self) -> None:
        self._extension(approve=True)

    def deny_extension(self) -> None:
        self._extension(approve=False)

    def _extension(self, approve: bool) -> None:
        at = self._advance(self.resolve_hours * 0.6)
        days = corpus.RESOLVE_LIMIT_DAYS[self.draft.receive.priority]
        # 1 or 2 working days past the deadline set at assignment (the policy
        # allows at most 3), and a working day after the request at least.
        days += self.rng.choice((1, 2))
        deadline = self.window.add(self.assigned_at, days * corpus.OFFICE_DAY_HOURS)
        latest = self.window.add(
            self.assigned_at, (days + 0.5) * corpus.OFFICE_DAY_HOURS
        )
        deadline = max(deadline, self.window.add(at, corpus.OFFICE_DAY_HOURS))
        if deadline > latest:
            return  # requested too late to be allowed: no extension after all
        reason = self.rng.choice(corpus.EXTENSION_REASONS)
        self._push(self.cadre, cmd.RequestExtension(deadline, reason))
        notes = corpus.EXTENSION_APPROVED if approve else corpus.EXTENSION_REFUSED
        deciders = self.cast.supervisors + self.cast.dispatchers
        decision = cmd.DecideExtension(approve, note=self.rng.choice(notes))
        self._advance(1.0, 0.3)  # decided well before the requested deadline
        self._push(deciders, decision)
        self.slow = 2.0 if approve else 0.8

    def supervise(self) -> None:
        top = self.rng.choices((1, 2, 3), (55, 30, 15))[0]
        for level in range(1, top + 1):
            self._supervise(level, self.resolve_hours * 1.8 if level == 1 else 10.0)
        self.slow = 0.5

    def _supervise(self, level: int, median: float) -> None:
        note = self.rng.choice(corpus.SUPERVISION_NOTES[level])
        self._do(median, self.cast.supervisors, cmd.Supervise(level, note))

    def stall(self) -> None:
        """Left open; if open for weeks already, a supervisor urges once."""
        if self.window.end - self.t > timedelta(days=14) and self.rng.random() < 0.6:
            self._supervise(1, self.resolve_hours * 2.0)

    def resolve(self, outcome: Outcome | None = None) -> None:
        self.outcome = outcome or pick(self.rng, corpus.OUTCOMES)
        result = RESULTS.get(self.outcome, self.draft.result)
        self._advance(self.resolve_hours * self.slow, 0.7)
        self._push(self.cadre, cmd.Resolve(self.outcome, result))
        self.slow = 1.0

    def reply(self) -> None:
        channel = self.draft.receive.channel
        prefix = corpus.REPLY_PREFIX.get(channel, corpus.DEFAULT_REPLY_PREFIX)
        content = prefix + RESULTS.get(self.outcome, self.draft.result)
        channel = channel if channel in corpus.REPLY_PREFIX else Channel.HOTLINE
        self._do(2.5, self._or_hotline(self.cadre, 0.85), cmd.Reply(channel, content))

    def evaluate(self, satisfied: bool = True) -> None:
        online = self.draft.receive.channel in (Channel.PORTAL, Channel.WECHAT)
        who = self._or_hotline(self.draft.enterprise.actor, 1.0 if online else 0.3)
        if satisfied:
            satisfaction = pick(self.rng, corpus.SATISFIED)
            resolved = self.outcome is not Outcome.EXPLAINED or self.rng.random() < 0.6
            comment = self.rng.choice(corpus.GOOD_COMMENTS)
        else:
            satisfaction, resolved = Satisfaction.UNSATISFIED, False
            comment = self.rng.choice(corpus.UNSATISFIED_COMMENTS)
            self.unsatisfied += 1
        self._advance(8.0, 0.9)
        self._push(who, cmd.Evaluate(resolved, satisfaction, comment))

    def finish(self) -> None:
        self.resolve()
        self.reply()
        self.evaluate()

    def dissatisfy(self) -> None:
        """Resolved, replied, judged unsatisfied: reopened automatically (or,
        past the reopen limit, referred to a supervisor)."""
        self.resolve(self.rng.choice((Outcome.PARTIAL, Outcome.EXPLAINED)))
        self.reply()
        self.evaluate(satisfied=False)

    def refer(self) -> None:
        for _ in range(self.max_reopens + 1):
            self.dissatisfy()
        self.close()

    def supervisor_reopen(self) -> None:
        self.resolve()
        self.reply()
        if self.rng.random() < 0.4:
            self.evaluate()
        reason = self.rng.choice(corpus.SUPERVISOR_REOPEN_REASONS)
        self._do(10.0, self.cast.supervisors, cmd.Reopen(reason))

    def close(self) -> None:
        referred = self.unsatisfied > self.max_reopens
        notes = corpus.REFERRED_CLOSE_NOTES if referred else corpus.CLOSE_NOTES
        who = self.cast.supervisors if referred else self.cast.dispatchers
        self._do(20.0 if referred else 6.0, who, cmd.Close(self.rng.choice(notes)))
        self.final_at = self.t

    def withdraw(self) -> None:
        stage = self.rng.choice((0, 1, 1, 2))
        if stage >= 1:
            self.dispatch()
        if stage >= 2:
            self.accept()
            self.work()
        reason = self.rng.choice(corpus.WITHDRAW_REASONS)
        self._advance(12.0, 1.0)
        self._push(
            self._or_hotline(self.draft.enterprise.actor, 0.5), cmd.Withdraw(reason)
        )
        self.final_at = self.t

    def merge(self) -> None:
        self._do(2.0, self.cast.dispatchers, MergeInto(self.target))
        self.final_at = self.t


P = Planner
PATHS: dict[str, tuple[Callable[[Planner], None], ...]] = {
    "straight": (P.dispatch, P.accept, P.work, P.finish, P.close),
    "returned": (P.misroute, P.dispatch, P.accept, P.work, P.finish, P.close),
    "paused": (P.dispatch, P.accept, P.pause, P.work, P.finish, P.close),
    "extension_approved": (P.dispatch, P.accept, P.extend, P.finish, P.close),
    "extension_refused": (P.dispatch, P.accept, P.deny_extension, P.finish, P.close),
    "supervised": (P.dispatch, P.accept, P.supervise, P.finish, P.close),
    "reopened": (P.dispatch, P.accept, P.dissatisfy, P.work, P.finish, P.close),
    "referred": (P.dispatch, P.accept, P.work, P.refer),
    "supervisor_reopen": (P.dispatch, P.accept, P.supervisor_reopen, P.finish, P.close),
    "withdrawn": (P.withdraw,),
    "merged": (P.merge,),
    "open_received": (),
    "open_assigned": (P.dispatch, P.stall),
    "open_in_progress": (P.dispatch, P.accept, P.work, P.stall),
    "open_paused": (P.dispatch, P.accept, P.pause_open),
    "open_resolved": (P.dispatch, P.accept, P.work, P.resolve),
    "open_replied": (P.dispatch, P.accept, P.resolve, P.reply),
    "open_evaluated": (P.dispatch, P.accept, P.resolve, P.reply, P.evaluate),
}
"""Every lifecycle path: the phases after receipt."""
GUARANTEED_FIRST = tuple(p for p in corpus.CLOSING_WEIGHTS if p != "merged")
GUARANTEED_LAST = (*(p for p in PATHS if p.startswith("open_")), "merged")


def choose_paths(rng: Random, receipts: list[datetime], end: datetime) -> list[str]:
    """One path per receipt (in time order); the open share grows near ``end``."""
    paths = []
    for receipt in receipts:
        age = (end - receipt).total_seconds() / 86_400
        is_open = rng.random() < 0.04 + 0.8 * math.exp(-age / 8)
        paths.append(
            pick(rng, corpus.open_weights(age) if is_open else corpus.CLOSING_WEIGHTS)
        )
    if len(receipts) >= len(GUARANTEED_FIRST) + len(GUARANTEED_LAST):
        paths[: len(GUARANTEED_FIRST)] = GUARANTEED_FIRST
        paths[-len(GUARANTEED_LAST) :] = GUARANTEED_LAST
    return paths


class DemoBuilder:
    """Drafts appeals and plans each so that it fits in the window."""

    def __init__(self, rng: Random, cast: Cast, window: Window, max_reopens: int):
        self.rng, self.cast, self.window = rng, cast, window
        self.max_reopens = max_reopens
        self.writer = corpus.Writer(rng, cast, window.begin.year)
        self.plans: list[Plan] = []

    def plan(self, slot: datetime, path: str) -> None:
        seed, draft = self.rng.getrandbits(64), self.writer.draft()
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
        return Planner(self.cast, self.window, rng, self.max_reopens)

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

    def describe(self) -> str:
        """A few lines for the person who ran ``appeals demo``."""
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(self.by_status.items()))
        paths = ", ".join(f"{k} {v}" for k, v in sorted(self.by_path.items()))
        samples = "\n".join(
            f"  {path:<28} {ticket}"
            for path, ticket in sorted(self.sample_tickets.items())
        )
        return (
            f"loaded {self.appeals} appeals ({self.commands} commands) from "
            f"{self.first_receipt:%Y-%m-%d} to {self.as_of:%Y-%m-%d}: "
            f"{self.enterprises} enterprises, {self.units} units, "
            f"{self.cadres} cadres\n"
            f"statuses: {statuses}\npaths: {paths}\n"
            f"sample tickets (GET /appeals/by-ticket/TICKET):\n{samples}"
        )


def run_step(
    ledger: AppealLedger, ids: dict[int, UUID], index: int, step: Step
) -> None:
    command = step.command
    if isinstance(command, cmd.Receive):
        ids[index] = ledger.receive_appeal(command, step.actor).appeal_id
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
            run_step(ledger, ids, index, plan.steps[number])
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
    ledger: AppealLedger, builder: DemoBuilder, ids: dict[int, UUID], commands: int
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
    )


def plan_demo(
    *,
    appeals: int = 3000,
    seed: int = 20261121,
    start: date = date(2026, 6, 1),
    months: int = 6,
    max_reopens: int = DEFAULT_MAX_REOPENS,
) -> DemoBuilder:
    """Plans the demo (see ``generate_demo``) without running anything."""
    if appeals < 0 or months < 1:
        raise ValueError("appeals must be >= 0 and months >= 1")
    rng = Random(seed)  # noqa: S311 (synthetic data, not security)
    window = Window(start, months)
    builder = DemoBuilder(rng, build_cast(rng), window, max_reopens)
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
) -> DemoSummary:
    """Loads ``appeals`` synthetic appeals received over ``months`` months from
    ``start`` through ``ledger``, setting ``clock`` before each command and
    leaving it at the end of the window; calls ``progress(n)`` when the n-th
    appeal has had its last step."""
    max_reopens = ledger.rules.max_reopens
    builder = plan_demo(
        appeals=appeals, seed=seed, start=start, months=months, max_reopens=max_reopens
    )
    ids, commands = execute(ledger, clock, builder.plans, progress, on_morning)
    clock.set(builder.window.end)
    if on_morning is not None:
        on_morning()
    return summarise(ledger, builder, ids, commands)
