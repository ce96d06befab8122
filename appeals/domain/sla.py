"""Time-limit (限时办结) policy: how much working time each step of an appeal may take.

The stages and default limits are those of docs/domain.md, "Time limits"; the financing
override is the Suzhou business-environment action plan (2020), item 34: SME financing
requests get a response within one working day ("响应时间不超过1个工作日"). Limits per
诉求类型 and the counting convention for whole days (次日起 or office hours) are those
of docs/domain.md, "12345 practice".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import TypeVar

from appeals.domain.values import AppealKind, Category, Priority, member_of
from appeals.domain.working_time import WorkingCalendar


class Stage(StrEnum):
    """A step of the lifecycle that runs against a time limit."""

    DISPATCH = "dispatch"  # 接诉转办 by the 12345 centre, from receipt and each 退单
    ACCEPT = "accept"  # 签收, counted from assignment
    FIRST_RESPONSE = "first_response"  # first response to the enterprise, from receipt
    RESOLVE = "resolve"  # 办结, from assignment
    REPLY = "reply"  # 反馈, from resolution
    EVALUATION = "evaluation"  # 企业评价, from the reply
    CALLBACK = "callback"  # 回访 by the centre, from the reply
    RECTIFY = "rectify"  # 核实整改 after a 差评, from the bad evaluation
    CLOSE = "close"  # 对账销号 by the centre, from the evaluation or its lapse


LATER_STAGE_DEFAULTS: dict[Stage, Limit]
"""Limits of the stages added after the first policies (``callback``,
``rectify``, ``close``): a policy that states none keeps these (below)."""


LATE_STAGES: tuple[str, ...] = (
    Stage.FIRST_RESPONSE.value,
    Stage.ACCEPT.value,
    Stage.RESOLVE.value,
    Stage.REPLY.value,
    Stage.CLOSE.value,
)
"""The stages that run late and climb the escalation ladder (the evaluation
window does not: when it passes, it lapses). Listed once, here."""


class DurationUnit(StrEnum):
    DAYS = "d"
    HOURS = "h"
    MINUTES = "m"


class Counting(StrEnum):
    """How a limit is counted (recorded beside each deadline).

    ``NEXT_DAY`` (次日起): "N working days from the next day". The start day is not
    counted, whether or not it is a working day and whatever the time; the period ends
    at the close of business (the end of the last office interval) of the N-th
    working day after the start date (民法典 §201, §203; docs/domain.md,
    "12345 practice").
    Only whole days are counted this way.

    ``OFFICE_HOURS``: N × the day's office hours of working time from the start
    instant (``WorkingCalendar.add_working_time``). Hour and minute limits, and
    fractions of a day such as the centre's "0.5d", are always counted this way.
    """

    NEXT_DAY = "next_day"
    OFFICE_HOURS = "office_hours"


class InvalidLimitError(ValueError):
    """A limit that is not a positive number of working days, hours or minutes
    (whole, except that days may be a decimal fraction such as ``"0.5d"``)."""


class UnknownSlaKeyError(ValueError):
    """A stage, priority, category or 诉求类型 name the policy model does not know."""


class IncompletePolicyError(ValueError):
    """A policy without a version, or a stage without a limit for normal priority."""


_LIMIT_TEXT = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*([a-z]+)")


def _is_decimal(fraction: Fraction) -> bool:
    """Whether ``fraction`` has a finite decimal expansion (so it prints exactly)."""
    denominator = fraction.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def _decimal_text(amount: int | Fraction) -> str:
    """``amount`` in decimal notation, exactly (``Fraction(1, 2)`` is "0.5")."""
    if isinstance(amount, int) or not _is_decimal(amount):
        return str(amount)
    places = 0
    while (amount * 10**places).denominator != 1:
        places += 1
    return str(Decimal((amount * 10**places).numerator).scaleb(-places))


@dataclass(frozen=True)
class Limit:
    """A working-time allowance, written ``"5d"``, ``"0.5d"``, ``"2h"`` or ``"90m"``.

    Days are kept as days, not converted to hours, because a working day is as long as
    the calendar's office hours make it (``WorkingCalendar.day_length``), and because
    whole days may be counted from the next day (:class:`Counting`). Hours and minutes
    are whole numbers; days may be a decimal fraction (``Fraction(1, 2)`` for
    ``"0.5d"``: half of the calendar's office day). A whole amount is kept as an
    ``int``.
    """

    amount: int | Fraction
    unit: DurationUnit

    def __post_init__(self) -> None:
        amount = self.amount
        if isinstance(amount, bool) or not isinstance(amount, int | Fraction):
            raise InvalidLimitError(f"a limit is a number, not {amount!r}")
        if amount <= 0:
            raise InvalidLimitError(f"a limit must be positive, not {self}")
        if isinstance(amount, Fraction):
            if amount.denominator == 1:
                object.__setattr__(self, "amount", amount.numerator)
            elif self.unit is not DurationUnit.DAYS:
                raise InvalidLimitError(
                    f"only days may be fractional: write {self} in a smaller unit"
                )
            elif not _is_decimal(amount):
                raise InvalidLimitError(
                    f"a fraction of a day is a decimal like 0.5d, not {amount}d"
                )

    @classmethod
    def parse(cls, text: str) -> Limit:
        match = _LIMIT_TEXT.fullmatch(text.strip())
        units = ", ".join(f"'{u.value}'" for u in DurationUnit)
        if match is None or match[2] not in {u.value for u in DurationUnit}:
            raise InvalidLimitError(
                f"{text!r} is not a limit like '5d', '0.5d', '2h' or '90m' "
                f"(units {units})"
            )
        return cls(Fraction(match[1]), DurationUnit(match[2]))

    @classmethod
    def days(cls, amount: int | Fraction) -> Limit:
        return cls(amount, DurationUnit.DAYS)

    @classmethod
    def hours(cls, amount: int) -> Limit:
        return cls(amount, DurationUnit.HOURS)

    @property
    def whole_days(self) -> int | None:
        """The number of days if this is a whole number of days, else None."""
        if self.unit is DurationUnit.DAYS and isinstance(self.amount, int):
            return self.amount
        return None

    def working_time(self, day_length: timedelta) -> timedelta:
        """The allowance as working time, given the length of one working day."""
        fraction = Fraction(self.amount)  # whole, unless the unit is days
        if self.unit is DurationUnit.DAYS:
            return day_length * fraction.numerator / fraction.denominator
        if self.unit is DurationUnit.HOURS:
            return timedelta(hours=int(fraction))
        return timedelta(minutes=int(fraction))

    def counting(self, days: Counting | str) -> Counting:
        """The convention this limit is counted by under a policy that counts
        days by ``days``: whole days by ``days``; hours, minutes and fractions
        of a day always by office hours."""
        days = _coerce(Counting, days, "day counting")
        return days if self.whole_days is not None else Counting.OFFICE_HOURS

    def due(
        self,
        calendar: WorkingCalendar,
        start: datetime,
        days: Counting | str = Counting.OFFICE_HOURS,
    ) -> datetime:
        """When this allowance runs out if it starts at ``start``, whole days
        counted by ``days`` (see :meth:`counting`), in the calendar's zone."""
        whole = self.whole_days
        if self.counting(days) is Counting.NEXT_DAY and whole is not None:
            return calendar.close_of_business_after(start, whole)
        return calendar.add_working_time(start, self.working_time(calendar.day_length))

    def __str__(self) -> str:
        return f"{_decimal_text(self.amount)}{self.unit.value}"


_Key = TypeVar("_Key", bound=StrEnum)


def _coerce(kind: type[_Key], value: _Key | str, what: str) -> _Key:
    member = member_of(kind, value)
    if member is not None:
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
    working time (docs/domain.md: "at most 3 extensions of at most 3 working days in
    common practice")."""

    max_count: int = 3
    max_length: Limit = Limit(3, DurationUnit.DAYS)

    def __post_init__(self) -> None:
        count = self.max_count
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidLimitError(f"max_count must be a whole number >= 0: {count!r}")


DEFAULT_EXTENSIONS = ExtensionRules()


class Addressee(StrEnum):
    """Whom a supervision order (督办单) of a rung is addressed to."""

    UNIT = "unit"  # the unit the late stage is charged to
    UNIT_LEADER = "unit_leader"  # its registered leader (分管领导)
    PARENT_LEADER = "parent_leader"  # the leader of the unit above it
    CENTRE_HEAD = "centre_head"  # the 12345 centre's leader


@dataclass(frozen=True)
class OrderRules:
    """Supervision orders (督办单): each rung of the ladder is an order to the
    addressee named for its level, to be answered within ``reply`` working
    time; unanswered by then, the next rung is recorded at once."""

    reply: Limit = Limit(1, DurationUnit.DAYS)
    addressees: Mapping[int, Addressee] = field(
        default_factory=lambda: {
            0: Addressee.UNIT,
            1: Addressee.UNIT_LEADER,
            2: Addressee.PARENT_LEADER,
            3: Addressee.CENTRE_HEAD,
        }
    )

    def addressee(self, level: int) -> Addressee:
        return self.addressees.get(level, Addressee.UNIT)


DEFAULT_ORDERS = OrderRules()


@dataclass(frozen=True)
class SlaPolicy:
    """Limits per stage and priority, with overrides per category and per 诉求类型,
    and the convention whole days are counted by.

    ``limits`` must give every stage a limit for normal priority. ``category_limits``
    (keyed ``(category, stage, priority)``) and ``kind_limits`` (keyed ``(kind,
    stage, priority)``, the 诉求类型 of ``appeals.domain.values.AppealKind``) override
    it. Lookup takes the first limit stated, most specific first:

    1. the category's limit for this stage and priority;
    2. the 诉求类型's limit for this stage and priority;
    3. the general limit for an urgent or complex priority (an explicit urgent or
       complex limit beats a category's or kind's normal one: urgent stays urgent,
       complex keeps its longer allowance);
    4. the category's normal limit for this stage;
    5. the 诉求类型's normal limit for this stage;
    6. the general normal limit for this stage.

    A category is the matter (a published promise such as financing's one-day
    response), so it ranks above the 诉求类型 (the form of the appeal: 咨询 3 days,
    投诉 13). For example, a normal complaint about permits with a 2-day permits
    limit is due in 2 days (rung 4), an urgent consultation in the general urgent
    1 day (rung 3), a complex complaint in the general complex 15 days (rung 3).

    ``day_counting`` is the convention whole-day limits are counted by
    (:class:`Counting`; by default ``NEXT_DAY``, 次日起); hour and minute limits and
    fractions of a day always count office hours.

    ``version`` is recorded with every deadline so that a later change of policy never
    rewrites what a unit was told (docs/domain.md, "Time limits").
    """

    version: str
    limits: Mapping[tuple[Stage, Priority], Limit]
    category_limits: Mapping[tuple[Category, Stage, Priority], Limit] = field(
        default_factory=dict
    )
    escalation: tuple[Rung, ...] = DEFAULT_LADDER
    extensions: ExtensionRules = DEFAULT_EXTENSIONS
    kind_limits: Mapping[tuple[AppealKind, Stage, Priority], Limit] = field(
        default_factory=dict
    )
    day_counting: Counting = Counting.NEXT_DAY
    warning_share: float | None = 0.8
    """预警: a running stage is warned once this share of its working time has
    passed (``None``: no warnings)."""
    callback_attempts: int = 3
    """回访: failed attempts after which an appeal is marked 无法回访."""
    orders: OrderRules = DEFAULT_ORDERS
    """督办单: whom each rung is addressed to and how long they have to answer."""

    @property
    def top_rung(self) -> int:
        """The ladder's highest level (-1 if it has none): a stage recorded
        at it has no rung left to climb."""
        return max((rung.level for rung in self.escalation), default=-1)

    def __post_init__(self) -> None:
        if not self.version.strip():
            raise IncompletePolicyError("a policy needs a non-empty version")
        attempts = self.callback_attempts
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise InvalidLimitError(f"callback attempts must be >= 1: {attempts!r}")
        limits = dict(self.limits)
        for stage, limit in LATER_STAGE_DEFAULTS.items():
            limits.setdefault((stage, Priority.NORMAL), limit)
        object.__setattr__(self, "limits", limits)
        if missing := [
            s.value for s in Stage if (s, Priority.NORMAL) not in self.limits
        ]:
            raise IncompletePolicyError(f"no normal limit for: {', '.join(missing)}")
        object.__setattr__(
            self, "day_counting", _coerce(Counting, self.day_counting, "day counting")
        )
        # Read-only copies, so a policy cannot change after deadlines cite its version.
        for name in ("limits", "category_limits", "kind_limits"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def limit(
        self,
        stage: Stage | str,
        priority: Priority | str = Priority.NORMAL,
        category: Category | str | None = None,
        kind: AppealKind | str | None = None,
    ) -> Limit:
        """The limit for ``stage`` by the lookup order above."""
        stage = _coerce(Stage, stage, "stage")
        priority = _coerce(Priority, priority, "priority")
        chosen = None if category is None else _coerce(Category, category, "category")
        typed = None if kind is None else _coerce(AppealKind, kind, "kind")
        normal = Priority.NORMAL

        def of_category(level: Priority) -> Limit | None:
            if chosen is None:
                return None
            return self.category_limits.get((chosen, stage, level))

        def of_kind(level: Priority) -> Limit | None:
            if typed is None:
                return None
            return self.kind_limits.get((typed, stage, level))

        rungs = (
            of_category(priority),
            of_kind(priority),
            None if priority is normal else self.limits.get((stage, priority)),
            of_category(normal),
            of_kind(normal),
            self.limits[(stage, normal)],
        )
        return next(limit for limit in rungs if limit is not None)

    def counting(self, limit: Limit) -> Counting:
        """The convention ``limit`` is counted by under this policy."""
        return limit.counting(self.day_counting)

    def deadline(
        self,
        calendar: WorkingCalendar,
        stage: Stage | str,
        start: datetime,
        priority: Priority | str = Priority.NORMAL,
        category: Category | str | None = None,
        kind: AppealKind | str | None = None,
    ) -> datetime:
        """When the stage is due if it starts at ``start``, in the calendar's zone."""
        allowance = self.limit(stage, priority, category, kind)
        return allowance.due(calendar, start, self.day_counting)


LATER_STAGE_DEFAULTS = {
    # docs/domain.md, "12345 practice": the centre calls back the day after 办结
    # (Beijing's regulation): by the close of the next working day.
    Stage.CALLBACK: Limit.days(1),
    # 差评 goes back for 核实整改 within 7 days and is re-evaluated.
    Stage.RECTIFY: Limit.days(7),
    # 对账销号 within 3 working days of the evaluation or its lapse (a policy
    # value: the seeds name the step, not its limit).
    Stage.CLOSE: Limit.days(3),
}

DEFAULT_POLICY = SlaPolicy(
    version="domain-defaults-3",
    limits={
        # docs/domain.md, "12345 practice": the centre dispatches within 0.5 working day
        # (half the calendar's office day; a fraction of a day counts office hours).
        (Stage.DISPATCH, Priority.NORMAL): Limit.days(Fraction(1, 2)),
        # docs/domain.md, "Time limits": accept 1 working day after assignment
        # (urgent: 2 h).
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
    kind_limits={
        # docs/domain.md, "12345 practice", one city's rules: 咨询 3 working days,
        # 投诉 and 建议 13 working days, counted from the next day (次日起). 求助, 举报
        # and 表扬 keep the general limits.
        (AppealKind.CONSULT, Stage.RESOLVE, Priority.NORMAL): Limit.days(3),
        (AppealKind.COMPLAINT, Stage.RESOLVE, Priority.NORMAL): Limit.days(13),
        (AppealKind.SUGGESTION, Stage.RESOLVE, Priority.NORMAL): Limit.days(13),
    },
    day_counting=Counting.NEXT_DAY,
)
