"""What happens each demo morning at 09:00 besides the appeals' own steps:
the scheduler's pass (warnings, rungs, orders escalated further, lapsed
windows), and the units answering most of the supervision orders addressed
to them (督办回复), some late or never, so the 通报 has names on it."""

from __future__ import annotations

from collections.abc import Callable
from random import Random
from uuid import UUID

from appeals.application.escalation import run_once
from appeals.application.service import AppealLedger
from appeals.bootstrap import (
    due_cycles_of,
    events_of,
    overdue_orders_of,
    warnable_cycles_of,
)
from appeals.domain import commands as cmd
from appeals.domain.errors import AppealError
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.values import Actor, Role
from appeals.projections import directory, supervision
from appeals.projections.runtime.runner import Runner

ANSWERS = (
    "已召开专题会研究，明确专人跟进，限期办结。",
    "分管领导已批示，责成经办处室三个工作日内办结并反馈。",
    "已与企业当面沟通，正在协调相关部门联合处理。",
    "已核实情况，正在补办相关手续，办结后即时反馈。",
)
ANSWERED_SHARE = 0.65
"""Orders answered by their units; the rest are left to escalate further."""


def morning_routine(ledger: AppealLedger, seed: int) -> Callable[[], object]:
    """The chore to run at 09:00 of each demo day."""
    rng = Random(seed)  # noqa: S311 (synthetic data, not security)
    source = events_of(ledger)
    views = [Runner(source, view) for view in (directory.PROJECTION,)]
    due, warnable = due_cycles_of(ledger), warnable_cycles_of(ledger)
    orders = overdue_orders_of(ledger)
    answered: set[tuple[UUID, str, str, int]] = set()

    def chore() -> None:
        for runner in views:  # leaders are found through the directory view
            runner.catch_up()
        run_once(ledger, due, warnable=warnable, orders=orders)
        Runner(source, supervision.PROJECTION).catch_up()
        _, open_orders = supervision.orders(ledger.database, limit=10_000)
        for order in open_orders:
            key = (
                UUID(order["appeal_id"]),
                order["stage"],
                order["due"],
                order["level"],
            )
            if order["answered_at"] is not None or key in answered:
                continue
            answered.add(key)  # each order is decided once
            if rng.random() >= ANSWERED_SHARE:
                continue
            unit = order["unit"] or CENTRE_UNIT
            role = Role.DISPATCHER if unit == CENTRE_UNIT else Role.HANDLER
            actor = Actor(f"demo-{unit}", role, f"{unit} 督办联络人", unit=unit)
            answer = cmd.AnswerOrder(
                order["stage"], order["level"], rng.choice(ANSWERS)
            )
            try:
                ledger.execute(key[0], answer, actor)
            except AppealError:
                continue  # a later rung of the same deadline was answered first

    return chore
