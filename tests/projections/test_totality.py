"""Every view's fold is total over what the domain can record (issue 13, item 1).

Histories are generated through the domain's commands (the application's
command table, as HTTP takes them), with extreme but accepted values: the
first and last supported years, estimated (provisional) years, offsets of
-14:00 and +14:00, extensions of exactly the policy's maximum, zero and huge
gaps between commands, maximal text. A refused command records nothing; what
was recorded must fold through every view without an error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import given as for_all
from hypothesis import strategies as st

from appeals.domain import commands as cmd
from appeals.domain.appeal import Appeal
from appeals.domain.commands import Rules
from appeals.domain.deadlines import Timekeeping
from appeals.domain.errors import AppealError, InvalidField
from appeals.domain.events import Event
from appeals.domain.late_stages import LATE_STAGES
from appeals.domain.values import (
    SYSTEM_ACTOR,
    TEXT_LIMITS,
    Actor,
    Category,
    Channel,
    Outcome,
    Priority,
    Satisfaction,
)
from appeals.infra.calendar_data import build_calendar
from appeals.projections.runtime.model import Projection, fold
from tests.builders import (
    CADRE,
    DIRECTORY,
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    INTAKE,
    ITEM,
    SUPERVISOR,
    UNIT,
    USCC,
    given,
    when,
)
from tests.support.views import PROJECTIONS

TK = Timekeeping(build_calendar())
"""The calendar and policy the test views use (2020-2030, later years estimated)."""
RULES = Rules(TK, directory=DIRECTORY)
SPAN = TK.calendar.supported_years
assert SPAN is not None

EAST, WEST = timezone(timedelta(hours=14)), timezone(timedelta(hours=-14))
SHANGHAI = TK.calendar.tz
FAR_FUTURE = datetime(9999, 12, 31, 23, 59, 59, tzinfo=WEST)
"""The instant of the report: past ``datetime.max`` once in UTC."""

STARTS = [
    datetime(SPAN.start, 1, 1, 9, tzinfo=SHANGHAI),  # the first supported year
    datetime(2026, 10, 9, 9, 12, tzinfo=SHANGHAI),
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=WEST),  # 2027 in Shanghai
    datetime(2030, 12, 31, 17, 29, tzinfo=SHANGHAI),  # into the estimated years
    datetime(SPAN.stop - 1, 12, 31, 17, tzinfo=EAST),  # the last supported year
]
GAPS = [
    timedelta(0),
    timedelta(microseconds=1),
    timedelta(minutes=1),
    timedelta(hours=3),
    timedelta(days=2),
    timedelta(days=400),
]
LONG = "长" * TEXT_LIMITS["note"]
TEXTS = ["理由", "x", "\u200b说明", LONG[: TEXT_LIMITS["reason"]]]

Choice = Callable[[Appeal, datetime, int], tuple[cmd.Command, Actor]]


def deadline(appeal: Appeal, now: datetime, pick: int) -> datetime:
    """An extension deadline: just past the current one, exactly the most
    the policy allows, beyond it, or the report's instant."""
    due = appeal.resolve_due or now
    most = TK.policy.extensions.max_length.working_time(TK.calendar.day_length)
    options = [
        due + timedelta(microseconds=1),
        TK.moved(due, most),
        TK.moved(due, most) + timedelta(minutes=1),
        FAR_FUTURE,
        (now + timedelta(hours=1)).astimezone(EAST),
    ]
    return options[pick % len(options)]


CHOICES: list[Choice] = [
    lambda a, t, n: (cmd.Assign(UNIT, None if n % 2 else CADRE), DISPATCHER),
    lambda a, t, n: (cmd.Accept(), HANDLER),
    lambda a, t, n: (cmd.Return(TEXTS[n % len(TEXTS)]), HANDLER),
    lambda a, t, n: (cmd.NoteProgress(LONG if n % 2 else "进展"), HANDLER),
    lambda a, t, n: (cmd.Pause(TEXTS[n % len(TEXTS)]), HANDLER),
    lambda a, t, n: (cmd.Resume(), HANDLER),
    lambda a, t, n: (cmd.RequestExtension(deadline(a, t, n), "会商"), HANDLER),
    lambda a, t, n: (
        cmd.DecideExtension(n % 3 != 0, None if n % 2 else deadline(a, t, n)),
        SUPERVISOR,
    ),
    lambda a, t, n: (cmd.Supervise(1 + n % 3, "请加快"), SUPERVISOR),
    lambda a, t, n: (cmd.Resolve(list(Outcome)[n % len(Outcome)], "已办"), HANDLER),
    lambda a, t, n: (cmd.Reply(Channel.HOTLINE, "已告知"), HANDLER),
    lambda a, t, n: (
        cmd.Evaluate(n % 2 == 0, list(Satisfaction)[n % len(Satisfaction)]),
        ENTERPRISE,
    ),
    lambda a, t, n: (cmd.Reopen("重办"), SUPERVISOR),
    lambda a, t, n: (cmd.Close(), SUPERVISOR),
    lambda a, t, n: (cmd.Withdraw("撤回"), ENTERPRISE),
    lambda a, t, n: (cmd.Merge(uuid4(), "重复"), DISPATCHER),
    lambda a, t, n: (
        cmd.Escalate(LATE_STAGES[n % len(LATE_STAGES)], n % 4),
        SYSTEM_ACTOR,
    ),
    lambda a, t, n: (cmd.LapseEvaluation(), SYSTEM_ACTOR),
    lambda a, t, n: (cmd.AnswerOnTheSpot(ITEM, "" if n % 2 else "已当场答复"), INTAKE),
    lambda a, t, n: (cmd.Assign(None if n % 2 else UNIT, None, ITEM), DISPATCHER),
]
# Each step picks among the commands that make sense in the appeal's status
# (others are refused, recording nothing), so histories get far down the path.
MENU = {
    "received": [0, 0, 0, 0, 0, 8, 16, 14, 15, 18, 19, 19],
    "assigned": [1, 1, 1, 1, 2, 8, 16],
    "in_progress": [3, 4, 5, 6, 7, 6, 7, 6, 7, 8, 9, 9, 16, 2],
    "resolved": [10, 10, 12, 16],
    "replied": [11, 11, 12, 13, 16, 17],
    "evaluated": [13, 13, 12],
}
ANYTHING = list(range(len(CHOICES)))

steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=59),
        st.sampled_from(GAPS),
        st.integers(min_value=0, max_value=11),
    ),
    min_size=4,
    max_size=30,
)


def history(
    start: datetime, priority: Priority, plan: list[tuple[int, timedelta, int]]
) -> list[Event]:
    """What the domain records for ``plan``; refused commands record nothing."""
    appeal = Appeal.receive(
        cmd.Receive(
            uscc=USCC,
            enterprise_name="某" * TEXT_LIMITS["enterprise_name"],
            channel=Channel.HOTLINE,
            category=Category.FINANCING,
            priority=priority,
            title="极端",
            description="",
        ),
        appeal_id=uuid4(),
        ticket="20261231-999999",
        actor=INTAKE,
        at=start,
        rules=RULES,
    )
    recorded: list[Event] = list(appeal.collect_events())
    now = start
    for choice, gap, number in plan:
        now += gap
        menu = MENU.get(appeal.status, ANYTHING)
        command, actor = CHOICES[menu[choice % len(menu)]](appeal, now, number)
        try:
            when(appeal, command, actor, now, RULES)
        except AppealError:
            continue
        recorded.extend(appeal.collect_events())
    return recorded


def every_history(test: Callable[..., None]) -> Callable[..., None]:
    """Runs ``test(start, priority, plan)`` over 120 generated histories
    (:func:`history` makes each), the same ones every run."""
    return settings(  # type: ignore[no-any-return]
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=True,
    )(
        for_all(
            start=st.sampled_from(STARTS),
            priority=st.sampled_from(list(Priority)),
            plan=steps,
        )(test)
    )


def fold_everywhere(recorded: list[Event]) -> None:
    for projection in PROJECTIONS:
        try:
            fold(projection, recorded)
        except Exception as error:
            name = getattr(projection, "name", projection)
            raise AssertionError(f"{name} fails on {recorded!r}") from error


@every_history
def test_every_view_folds_every_history_the_domain_can_record(
    start: datetime, priority: Priority, plan: list[tuple[int, timedelta, int]]
) -> None:
    fold_everywhere(history(start, priority, plan))


@pytest.mark.parametrize("field", ["requested_deadline", "new_deadline"])
def test_the_reported_instant_is_refused_and_what_is_recorded_folds(
    field: str,
) -> None:
    """The report: ``9999-12-31T23:59:59-14:00`` as an extension deadline
    was recorded, and the timeliness view failed on it for good."""
    start = STARTS[1]
    plan = [(0, timedelta(hours=1), 0), (1, timedelta(hours=1), 0)]
    recorded = history(start, Priority.NORMAL, plan)
    appeal = given(recorded)
    later = start + timedelta(hours=3)
    if field == "requested_deadline":
        command: cmd.Command = cmd.RequestExtension(FAR_FUTURE, "需省局审批")
    else:
        ok = TK.moved(appeal.resolve_due or later, timedelta(hours=1))
        when(appeal, cmd.RequestExtension(ok, "需省局审批"), HANDLER, later, RULES)
        recorded += appeal.collect_events()
        command = cmd.DecideExtension(True, FAR_FUTURE)
    actor = SUPERVISOR if field == "new_deadline" else HANDLER
    with pytest.raises(InvalidField) as refused:
        when(appeal, command, actor, later, RULES)
    assert refused.value.field == field
    assert appeal.collect_events() == []
    fold_everywhere(recorded)


def test_the_projections_are_every_view() -> None:
    assert len(PROJECTIONS) >= 5
    assert all(isinstance(p, Projection) for p in PROJECTIONS)
