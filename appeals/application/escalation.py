"""Time-driven supervision (定期督办): overdue stages escalate on their own and
evaluation windows expire, without anyone remembering to do it.

The scheduler finds candidates through the timeliness view's reader (open
stage cycles past their deadline) instead of loading every aggregate, then
asks each appeal to record what is due; it writes no view. The aggregate
decides again from its own state, so a read model that lags, two schedulers
racing, or a restart half-way never records a rung twice or skips one: a rung
already recorded is refused and skipped, a write that loses a race is retried
on fresh state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from appeals.application.service import AppealLedger
from appeals.domain.deadlines import Timekeeping
from appeals.domain.late_stages import LATE_STAGES
from appeals.domain.working_time import measured_to
from appeals.infra.clock import SHANGHAI
from appeals.projections.due_cycles import OpenCycle, WarnableCycle
from appeals.projections.supervision import OverdueOrder

ESCALATING_STAGES = frozenset(LATE_STAGES)


@dataclass(frozen=True)
class Action:
    """One thing the scheduler will ask an appeal to record."""

    appeal_id: UUID
    ticket: str
    kind: str  # "escalate", "warn" or "lapse_evaluation"
    stage: str
    level: int | None
    due: datetime

    def describe(self) -> str:
        due = self.due.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        if self.kind == "lapse_evaluation":
            return f"{self.ticket} evaluation window lapsed (due {due})"
        if self.kind == "warn":
            return f"{self.ticket} {self.stage} due {due}: warning (预警)"
        return f"{self.ticket} {self.stage} late since {due}: rung {self.level}"


def plan(cycles: Iterable[OpenCycle], now: datetime, tk: Timekeeping) -> list[Action]:
    """Every rung due now for each open late cycle (in ladder order), and every
    evaluation window that has passed. Pure: the same inputs, the same plan.

    Nothing is recorded outside office hours on working days: a notice is not
    issued on a Sunday; what fell due is recorded at the next opening."""
    if not tk.calendar.is_working_time(now):
        return []
    late_by = measured_to(tk.working_time, now, tk.calendar.tz)
    actions: list[Action] = []
    for cycle in cycles:
        if now <= cycle.due:
            continue
        if cycle.stage == "evaluation":
            actions.append(
                Action(
                    cycle.appeal_id,
                    cycle.ticket,
                    "lapse_evaluation",
                    "evaluation",
                    None,
                    cycle.due,
                )
            )
            continue
        if cycle.stage not in ESCALATING_STAGES:
            continue
        reached = -1 if cycle.escalation_level is None else cycle.escalation_level
        left = [rung for rung in tk.policy.escalation if rung.level > reached]
        if not left:
            continue  # at the top: nothing to measure
        late = late_by(cycle.due)
        for rung in left:
            if late >= rung.offset(tk.calendar.day_length):
                actions.append(
                    Action(
                        cycle.appeal_id,
                        cycle.ticket,
                        "escalate",
                        cycle.stage,
                        rung.level,
                        cycle.due,
                    )
                )
    return actions


def plan_warnings(
    cycles: Iterable[WarnableCycle], now: datetime, tk: Timekeeping
) -> list[Action]:
    """A warning (预警) for each running cycle that has used the policy's
    ``warning_share`` of its working time (its pauses not counted) and whose
    deadline is still ahead. Pure; nothing outside office hours."""
    share = tk.policy.warning_share
    if share is None or not tk.calendar.is_working_time(now):
        return []
    used_by = measured_to(tk.working_time, now, tk.calendar.tz)
    actions = []
    for cycle in cycles:
        if cycle.stage not in ESCALATING_STAGES or now >= cycle.due:
            continue
        paused = timedelta(seconds=cycle.paused_seconds)
        allowed = tk.working_time(cycle.started_at, cycle.due) - paused
        used = used_by(cycle.started_at) - paused
        if allowed > timedelta(0) and used >= allowed * share:
            actions.append(
                Action(
                    cycle.appeal_id, cycle.ticket, "warn", cycle.stage, None, cycle.due
                )
            )
    return actions


def plan_orders(
    orders: Iterable[OverdueOrder], now: datetime, tk: Timekeeping
) -> list[Action]:
    """The next rung for each supervision order left unanswered past its
    reply deadline (the order escalates further); nothing past the ladder's
    last rung (the appeal stays on the 通报 list). Pure; office hours only."""
    if not tk.calendar.is_working_time(now):
        return []
    actions = []
    for order in orders:
        if order.stage not in ESCALATING_STAGES or now <= order.reply_due:
            continue
        higher = [r.level for r in tk.policy.escalation if r.level > order.level]
        if higher:
            actions.append(
                Action(
                    order.appeal_id,
                    order.ticket,
                    "escalate",
                    order.stage,
                    min(higher),
                    order.due,
                )
            )
    return actions


@dataclass(frozen=True)
class RunResult:
    planned: int
    recorded: int
    skipped: int


def carry_out(
    ledger: AppealLedger,
    actions: Iterable[Action],
    on_action: Callable[[Action, bool], None] | None = None,
) -> RunResult:
    """Asks each appeal to record its action; the aggregate may refuse (not
    due after all, already recorded by a racing scheduler): that is a skip."""
    planned = recorded = 0
    for action in actions:
        planned += 1
        if action.kind == "lapse_evaluation":
            result = ledger.lapse_evaluation(action.appeal_id)
        elif action.kind == "warn":
            result = ledger.warn(action.appeal_id, action.stage)
        else:
            assert action.level is not None
            result = ledger.escalate(action.appeal_id, action.stage, action.level)
        done = result is not None
        recorded += done
        if on_action is not None:
            on_action(action, done)
    return RunResult(planned, recorded, planned - recorded)


class ScheduledPass(Protocol):
    """One scheduler pass under a lease (bootstrap.scheduled_escalation):
    None when another process holds the lease."""

    def __call__(
        self,
        dry_run: bool = False,
        on_action: Callable[[Action, bool], None] | None = None,
    ) -> RunResult | None: ...


DueCycles = Callable[[datetime], list[OpenCycle]]
WarnableCycles = Callable[[datetime], list[WarnableCycle]]
OverdueOrders = Callable[[datetime], list[OverdueOrder]]
"""The running cycles past their deadline at a given instant, from the
timeliness view's reader (bootstrap's ``due_cycles_of`` keeps the view current
first)."""


def run_once(
    ledger: AppealLedger,
    due: DueCycles,
    *,
    dry_run: bool = False,
    on_action: Callable[[Action, bool], None] | None = None,
    warnable: WarnableCycles | None = None,
    orders: OverdueOrders | None = None,
) -> RunResult:
    """One pass: plan from the read model, then (unless ``dry_run``) let each
    appeal decide and record. Writes no view. With ``warnable``, warnings
    (预警) before deadlines are planned too; with ``orders``, the next rung of
    every supervision order left unanswered (the same rung planned twice is
    recorded once: the aggregate refuses the second)."""
    now = ledger.clock.now()
    tk = ledger.rules.timekeeping
    actions = plan(due(now), now, tk)
    if orders is not None:
        planned = {(a.appeal_id, a.stage, a.due, a.level) for a in actions}
        actions += [
            a
            for a in plan_orders(orders(now), now, tk)
            if (a.appeal_id, a.stage, a.due, a.level) not in planned
        ]
    if warnable is not None:
        actions += plan_warnings(warnable(now), now, tk)
    if dry_run:
        for action in actions:
            if on_action is not None:
                on_action(action, False)
        return RunResult(len(actions), 0, 0)
    return carry_out(ledger, actions, on_action)
