"""Time-limit (限时办结) policy: how much working time each step of an appeal may take.

The stages and default limits are those of DOMAIN.md, "Time limits"; the financing
override is the Suzhou business-environment action plan (2020), item 34: SME financing
requests get a response within one working day ("响应时间不超过1个工作日").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from appeals.domain.values import Category, Priority
from appeals.domain.working_time import WorkingCalendar


class Stage(StrEnum):
    """A step of the lifecycle that runs against a time limit."""

    DISPATCH = "dispatch"  # 接诉转办 by the 12345 centre, from receipt and each 退单
    ACCEPT = "accept"  # 签收, counted from assignment
    FIRST_RESPONSE = "first_response"  # first response to the enterprise, from receipt
    RESOLVE = "resolve"  # 办结, from assignment
    REPLY = "reply"  # 反馈, from resolution
    EVALUATION = "evaluation"  # 企业评价, from the reply


LATE_STAGES: tuple[str, ...] = (
    Stage.FIRST_RESPONSE.value,
    Stage.ACCEPT.value,
    Stage.RESOLVE.value,
    Stage.REPLY.value,
)
"""The stages that run late and climb the escalation ladder (the evaluation
window does not: when it passes, it lapses). Listed once, here."""


class DurationUnit(StrEnum):
    DAYS = "d"
    HOURS = "h"
    MINUTES = "m"


class InvalidLimitError(ValueError):
    """A limit that is not a positive whole number of working days, hours or minutes."""


class UnknownSlaKeyError(ValueError):
    """A stage, priority or category name that the policy model does not know."""


class IncompletePolicyError(ValueError):
    """A policy without a version, or a stage without a limit for normal priority."""


_LIMIT_TEXT = re.compile(r"([+-]?\d+)\s*([a-z]+)")


@dataclass(frozen=True)
class Limit:
    """A working-time allowance, written ``"5d"``, ``"2h"`` or ``"90m"``.

    Days are kept as days, not converted to hours, because a working day is as long as
    the calendar's office hours make it (``WorkingCalendar.day_length``).
    """

    amount: int
    unit: DurationUnit

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise InvalidLimitError(f"a limit is a whole number, not {self.amount!r}")
        if self.amount <= 0:
            raise InvalidLimitError(f"a limit must be positive, not {self}")

    @classmethod
    def parse(cls, text: str) -> Limit:
        match = _LIMIT_TEXT.fullmatch(text.strip())
        units = ", ".join(f"'{u.value}'" for u in DurationUnit)
        if match is None or match[2] not in {u.value for u in DurationUnit}:
            raise InvalidLimitError(
                f"{text!r} is not a limit like '5d', '2h' or '90m' (units {units})"
            )
        return cls(int(match[1]), DurationUnit(match[2]))

    @classmethod
    def days(cls, amount: int) -> Limit:
        return cls(amount, DurationUnit.DAYS)

    @classmethod
    def hours(cls, amount: int) -> Limit:
        return cls(amount, DurationUnit.HOURS)

    def working_time(self, day_length: timedelta) -> timedelta:
        """The allowance as working time, given the length of one working day."""
        if self.unit is DurationUnit.DAYS:
            return self.amount * day_length
        if self.unit is DurationUnit.HOURS:
            return timedelta(hours=self.amount)
        return timedelta(minutes=self.amount)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.value}"


_Key = TypeVar("_Key", bound=StrEnum)


def _coerce(kind: type[_Key], value: _Key | str, what: str) -> _Key:
    for member in kind:
        if member.value == value:
            return member
    known = ", ".join(member.value for member in kind)
    raise UnknownSlaKeyError(f"unknown {what} {value!r}; known: {known}")


@dataclass(frozen=True)
class Rung:
    """One rung of the escalation ladder: how late a stage may run before the
    system records it, and at which supervision level (0 is a reminder, 催办;
    3 is a written public notice, 通报)."""

    level: int
    after: Limit | None = None  # working time past the deadline; None: at it

    def offset(self, day_length: timedelta) -> timedelta:
        return (
            timedelta(0) if self.after is None else self.after.working_time(day_length)
        )


RUNG_LABELS = {
    0: ("催办", "reminder"),
    1: ("一级督办", "supervision level 1"),
    2: ("二级督办", "supervision level 2"),
    3: ("通报", "public notice (level 3)"),
}

# One municipal rule set (issue 8): a reminder at the deadline, then supervision
# at 1, 3 and 5 working days late, the last a written public notice (通报).
DEFAULT_LADDER = (
    Rung(0),
    Rung(1, Limit(1, DurationUnit.DAYS)),
    Rung(2, Limit(3, DurationUnit.DAYS)),
    Rung(3, Limit(5, DurationUnit.DAYS)),
)


@dataclass(frozen=True)
class ExtensionRules:
    """How far a resolve deadline may be extended (延期): at most ``max_count``
    approved extensions, each moving the deadline by at most ``max_length`` of
    working time (DOMAIN.md: "at most 3 extensions of at most 3 working days in
    common practice")."""

    max_count: int = 3
    max_length: Limit = Limit(3, DurationUnit.DAYS)

    def __post_init__(self) -> None:
        count = self.max_count
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidLimitError(f"max_count must be a whole number >= 0: {count!r}")


DEFAULT_EXTENSIONS = ExtensionRules()


@dataclass(frozen=True)
class SlaPolicy:
    """Limits per stage and priority, with optional per-category overrides.

    ``limits`` must give every stage a limit for normal priority; urgent and complex
    fall back to it. Lookup takes the most specific limit stated:

    1. the category's limit for this stage and priority;
    2. the general limit for this priority (an explicit urgent or complex limit beats a
       category's normal one: urgent stays urgent, complex keeps its longer allowance);
    3. the category's normal limit for this stage;
    4. the general normal limit for this stage.

    ``version`` is recorded with every deadline so that a later change of policy never
    rewrites what a unit was told (DOMAIN.md, "Time limits").
    """

    version: str
    limits: Mapping[tuple[Stage, Priority], Limit]
    category_limits: Mapping[tuple[Category, Stage, Priority], Limit] = field(
        default_factory=dict
    )
    escalation: tuple[Rung, ...] = DEFAULT_LADDER
    extensions: ExtensionRules = DEFAULT_EXTENSIONS

    def __post_init__(self) -> None:
        if not self.version.strip():
            raise IncompletePolicyError("a policy needs a non-empty version")
        if missing := [
            s.value for s in Stage if (s, Priority.NORMAL) not in self.limits
        ]:
            raise IncompletePolicyError(f"no normal limit for: {', '.join(missing)}")
        # Read-only copies, so a policy cannot change after deadlines cite its version.
        object.__setattr__(self, "limits", MappingProxyType(dict(self.limits)))
        object.__setattr__(
            self, "category_limits", MappingProxyType(dict(self.category_limits))
        )

    def limit(
        self,
        stage: Stage | str,
        priority: Priority | str = Priority.NORMAL,
        category: Category | str | None = None,
    ) -> Limit:
        stage = _coerce(Stage, stage, "stage")
        priority = _coerce(Priority, priority, "priority")
        chosen = None if category is None else _coerce(Category, category, "category")
        candidates: list[Limit | None] = []
        if chosen is not None:
            candidates.append(self.category_limits.get((chosen, stage, priority)))
        candidates.append(self.limits.get((stage, priority)))
        if chosen is not None:
            candidates.append(
                self.category_limits.get((chosen, stage, Priority.NORMAL))
            )
        candidates.append(self.limits[(stage, Priority.NORMAL)])
        return next(limit for limit in candidates if limit is not None)

    def deadline(
        self,
        calendar: WorkingCalendar,
        stage: Stage | str,
        start: datetime,
        priority: Priority | str = Priority.NORMAL,
        category: Category | str | None = None,
    ) -> datetime:
        """When the stage is due if it starts at ``start``, in the calendar's zone."""
        allowance = self.limit(stage, priority, category)
        return calendar.add_working_time(
            start, allowance.working_time(calendar.day_length)
        )


DEFAULT_POLICY = SlaPolicy(
    version="domain-defaults-1",
    limits={
        # DOMAIN.md, "12345 practice": the centre dispatches within 0.5 working day
        # (half of the default 7-hour office day).
        (Stage.DISPATCH, Priority.NORMAL): Limit(210, DurationUnit.MINUTES),
        # DOMAIN.md, "Time limits": accept 1 working day after assignment (urgent: 2 h).
        (Stage.ACCEPT, Priority.NORMAL): Limit.days(1),
        (Stage.ACCEPT, Priority.URGENT): Limit.hours(2),
        # First response to the enterprise: 1 working day after receipt.
        (Stage.FIRST_RESPONSE, Priority.NORMAL): Limit.days(1),
        # Resolve: 5 working days after assignment (complex: 15; urgent: 1).
        (Stage.RESOLVE, Priority.NORMAL): Limit.days(5),
        (Stage.RESOLVE, Priority.COMPLEX): Limit.days(15),
        (Stage.RESOLVE, Priority.URGENT): Limit.days(1),
        # Reply: 1 working day after resolution.
        (Stage.REPLY, Priority.NORMAL): Limit.days(1),
        # Evaluation window: 3 working days after the reply.
        (Stage.EVALUATION, Priority.NORMAL): Limit.days(3),
    },
    category_limits={
        # Suzhou action plan 2020, item 34: "响应时间不超过1个工作日". It equals the
        # general limit today, but is stated so that loosening the general limit does
        # not silently loosen a published promise.
        (Category.FINANCING, Stage.FIRST_RESPONSE, Priority.NORMAL): Limit.days(1),
    },
)
