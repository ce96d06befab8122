"""The lifecycle paths a demo appeal takes (appeals.demo): ``PATHS`` names each
path's phases after receipt, and ``Planner`` lays one appeal's commands out in
working time along one of them.

Each later step comes a random number of working hours after the previous one.
Units and cadres have a pace (``corpus.UNITS``), so some are systematically
slower.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

from appeals.demo import corpus
from appeals.demo.cast import Cast, Draft, pick
from appeals.demo.window import Window
from appeals.domain import commands as cmd
from appeals.domain.deadlines import Timekeeping
from appeals.domain.sla import Stage
from appeals.domain.values import (
    Actor,
    CallbackOutcome,
    Channel,
    Grade,
    Outcome,
    Priority,
    Role,
    Satisfaction,
)

GRADES = {  # 好差评: the five grades a three-grade verdict is given as
    Satisfaction.SATISFIED: (Grade.VERY_SATISFIED, Grade.SATISFIED),
    Satisfaction.BASIC: (Grade.BASIC,),
    Satisfaction.UNSATISFIED: (Grade.UNSATISFIED, Grade.VERY_UNSATISFIED),
}
FAILED_CALLS = (
    CallbackOutcome.NO_ANSWER,
    CallbackOutcome.NO_ANSWER,
    CallbackOutcome.REFUSED,
    CallbackOutcome.WRONG_NUMBER,
)
REACHED = CallbackOutcome.REACHED
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

    def __init__(
        self,
        cast: Cast,
        window: Window,
        rng: Random,
        max_reopens: int,
        timekeeping: Timekeeping,
    ) -> None:
        self.cast, self.window, self.rng = cast, window, rng
        self.timekeeping = timekeeping
        self.max_reopens = max_reopens
        self.slow, self.outcome, self.unsatisfied = 1.0, Outcome.RESOLVED, 0
        self.final_at: datetime | None = None
        self.target = -1
        self.parts: list[str] = []

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
        item = self.draft.item
        assign = cmd.Assign(
            self.draft.unit.code, self.cadre.id, None if item is None else item.code
        )
        self._do(0.3 if self.urgent else 1.2, self.cast.dispatchers, assign)
        self.assigned_at = self.t
        self.parts = [] if item is None else list(item.co_units)  # 协办

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
        self._do(1.2, self.cast.dispatchers, cmd.Assign(wrong.code, cadre.id))
        if self.rng.random() < 0.3:
            self._do(2.0 * wrong.pace, cadre, cmd.Accept())
        reason = self.rng.choice(corpus.RETURN_REASONS)
        self._do(
            3.0 * wrong.pace,
            cadre,
            cmd.Return(reason.format(unit=self.draft.unit.name)),
        )

    def answer_on_the_spot(self) -> None:
        """当场办: intake answers from the item's standard answer at once."""
        assert self.draft.item is not None  # a consultation draft (Writer)
        intake = self.steps[0].actor
        self._do(0.1, intake, cmd.AnswerOnTheSpot(self.draft.item.code))

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
        # 1 or 2 working days past the resolve deadline set at assignment (by
        # the item's limits or the policy), within what the policy allows,
        # and a working day after the request at least.
        tk, due = self.timekeeping, self._resolve_due()
        deadline = self.window.add_days(due, self.rng.choice((1, 2)))
        most = tk.policy.extensions.max_length
        latest = tk.moved(due, most.working_time(tk.calendar.day_length))
        deadline = max(deadline, self.window.add(at, self.window.day_hours))
        if deadline <= due or deadline > latest:
            return  # requested too late to be allowed: no extension after all
        reason = self.rng.choice(corpus.EXTENSION_REASONS)
        self._push(self.cadre, cmd.RequestExtension(deadline, reason))
        notes = corpus.EXTENSION_APPROVED if approve else corpus.EXTENSION_REFUSED
        deciders = self.cast.supervisors + self.cast.dispatchers
        decision = cmd.DecideExtension(approve, note=self.rng.choice(notes))
        self._advance(1.0, 0.3)  # decided well before the requested deadline
        self._push(deciders, decision)
        self.slow = 2.0 if approve else 0.8

    def _resolve_due(self) -> datetime:
        """The resolve deadline set at assignment (by the item's limits or
        the policy)."""
        receive, item = self.draft.receive, self.draft.item
        return self.timekeeping.due(
            Stage.RESOLVE,
            self.assigned_at,
            receive.priority.value,
            receive.category.value,
            kind=None if item is None else item.kind,
            limits=None if item is None else item.limits,
        )

    def supervise(self) -> None:
        top = self.rng.choices((1, 2, 3), (55, 30, 15))[0]
        for level in range(1, top + 1):
            self._supervise(level, self.resolve_hours * 1.8 if level == 1 else 10.0)
        self.slow = 0.5

    def _supervise(self, level: int, median: float) -> None:
        note = self.rng.choice(corpus.SUPERVISION_NOTES[level])
        self._do(median, self.cast.supervisors, cmd.Supervise(level, note))

    def stall(self) -> None:
        """Left open; if open for weeks already, a supervisor urges once. Once
        its resolve deadline has passed, the centre calls the enterprise back
        (回访) and records its verdict, so the ignored appeal is judged."""
        if self.window.end - self.t > timedelta(days=14) and self.rng.random() < 0.6:
            self._supervise(1, self.resolve_hours * 2.0)
        call_at = self.window.add_days(self._resolve_due(), 1)
        if call_at <= self.t or call_at >= self.window.end:
            return
        self.t = call_at
        for _ in range(self.rng.choice((0, 0, 1, 2))):
            failed = self.rng.choice(FAILED_CALLS)
            self._do(3.0, self.cast.hotline_ops, cmd.CallBack(failed))
            if self.t >= self.window.end:
                return
        grade = self.rng.choice((Grade.UNSATISFIED, Grade.VERY_UNSATISFIED))
        note = self.rng.choice(corpus.UNSATISFIED_COMMENTS)
        self._do(1.0, self.cast.hotline_ops, cmd.CallBack(REACHED, grade, False, note))

    def co_handle(self) -> None:
        """Each co-handling unit accepts and reports its part before the lead
        resolves; now and then a supervisor waives one instead."""
        for code in self.parts:
            if self.rng.random() < 0.1:
                waiver = cmd.WaivePart(code, self.rng.choice(corpus.WAIVER_REASONS))
                self._do(4.0, self.cast.supervisors, waiver)
                continue
            handler = self._co_handler(code)
            self._do(1.5 * self.pace, handler, cmd.AcceptPart())
            report = self.rng.choice(corpus.PART_REPORTS)
            self._do(self.resolve_hours * 0.4, handler, cmd.ReportPart(report))
        self.parts = []

    def _co_handler(self, code: str) -> Actor:
        for unit in self.cast.units.values():
            if unit.code == code and unit.cadres:
                return self.rng.choice(unit.cadres)[0]
        return Actor(f"demo-{code}", Role.HANDLER, f"{code} 协办联络人", unit=code)

    def resolve(self, outcome: Outcome | None = None) -> None:
        self.co_handle()
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
        grade = self.rng.choice(GRADES[satisfaction])
        if isinstance(who, Actor):  # the enterprise's own (好差评)
            self._push(who, cmd.Evaluate(resolved, comment=comment, grade=grade))
            return
        if self.rng.random() < 0.2:  # the first call does not get through
            self._push(who, cmd.CallBack(self.rng.choice(FAILED_CALLS)))
            self._advance(3.0, 0.5)
        self._push(who, cmd.CallBack(REACHED, grade, resolved, comment))  # 回访

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
        if self.rng.random() < 0.06:  # 抽查: a supervisor's quality-check sample
            self._do(16.0, self.cast.supervisors, cmd.Sample("月度质量抽查"))
            satisfaction = pick(self.rng, corpus.SATISFIED)
            grade = self.rng.choice(GRADES[satisfaction])
            if self.rng.random() < 0.15:
                grade = Grade.UNSATISFIED
            callback = cmd.CallBack(REACHED, grade, note="抽查回访")
            self._do(6.0, self.cast.hotline_ops, callback)

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
    "on_the_spot": (P.answer_on_the_spot, P.evaluate, P.close),
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
