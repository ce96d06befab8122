"""Extensions (延期) within the policy and the calendar: issue 13, item 1.

A request for ``9999-12-31T23:59:59-14:00`` used to be recorded, and the
timeliness view then failed on it forever. The domain now refuses any
instant outside the calendar's supported years and any extension longer, or
more frequent, than the policy allows, naming the field.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from appeals.domain import events as ev
from appeals.domain.commands import DecideExtension, RequestExtension, Rules
from appeals.domain.deadlines import Timekeeping
from appeals.domain.errors import CommandNotAllowed, InvalidField
from appeals.domain.sla import DEFAULT_POLICY, ExtensionRules, Limit
from tests.builders import when
from tests.domain.lifecycle_fixtures import HANDLER, SUPERVISOR, TK, appeal_in, at

UTC8 = timezone(timedelta(hours=8))
FAR_FUTURE = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=14)))
"""The instant of the report: one past ``datetime.max`` once in UTC."""


def one_day_after(deadline: datetime | None) -> datetime:
    assert deadline is not None
    return TK.moved(deadline, TK.calendar.day_length)


@pytest.mark.parametrize("requested", [FAR_FUTURE, datetime(2200, 1, 1, tzinfo=UTC8)])
def test_an_instant_outside_the_calendars_years_is_refused(requested: datetime) -> None:
    appeal = appeal_in("in_progress")
    with pytest.raises(InvalidField, match="calendar's years") as refused:
        when(appeal, RequestExtension(requested, "理由"), HANDLER, at(3))
    assert refused.value.field == "requested_deadline"
    assert appeal.collect_events() == []


def test_an_extension_longer_than_the_policy_allows_is_refused() -> None:
    appeal = appeal_in("in_progress")
    assert appeal.resolve_due is not None
    latest = TK.moved(appeal.resolve_due, 3 * TK.calendar.day_length)
    with pytest.raises(InvalidField, match="at most 3d") as refused:
        when(
            appeal,
            RequestExtension(latest + timedelta(minutes=1), "理由"),
            HANDLER,
            at(3),
        )
    assert refused.value.field == "requested_deadline"
    when(appeal, RequestExtension(latest, "理由"), HANDLER, at(3))  # exactly 3d: fine


def test_an_approved_deadline_is_held_to_the_same_limits() -> None:
    appeal = appeal_in("in_progress")
    when(
        appeal,
        RequestExtension(one_day_after(appeal.resolve_due), "理由"),
        HANDLER,
        at(3),
    )
    for new_deadline in (FAR_FUTURE, at(24 * 60)):
        with pytest.raises(InvalidField) as refused:
            when(appeal, DecideExtension(True, new_deadline), SUPERVISOR, at(4))
        assert refused.value.field == "new_deadline"
    assert [type(e) for e in appeal.collect_events()] == [ev.ExtensionRequested]


def test_at_most_the_policys_number_of_extensions_is_approved() -> None:
    appeal = appeal_in("in_progress")
    for hour in (3, 5, 7):
        requested = one_day_after(appeal.resolve_due)
        when(appeal, RequestExtension(requested, "理由"), HANDLER, at(hour))
        when(appeal, DecideExtension(True), SUPERVISOR, at(hour + 1))
    assert appeal.extension_count == 3
    with pytest.raises(CommandNotAllowed, match="3 extensions"):
        when(
            appeal,
            RequestExtension(one_day_after(appeal.resolve_due), "理由"),
            HANDLER,
            at(9),
        )


def test_the_limits_come_from_the_policy() -> None:
    rules = Rules(
        Timekeeping(
            TK.calendar,
            dataclasses.replace(
                DEFAULT_POLICY, extensions=ExtensionRules(1, Limit.days(10))
            ),
        )
    )
    appeal = appeal_in("in_progress")
    assert appeal.resolve_due is not None
    far = TK.moved(appeal.resolve_due, 10 * TK.calendar.day_length)
    when(appeal, RequestExtension(far, "理由"), HANDLER, at(3), rules)
    when(appeal, DecideExtension(True), SUPERVISOR, at(4), rules)
    with pytest.raises(CommandNotAllowed, match="1 extensions"):
        when(
            appeal,
            RequestExtension(far + timedelta(hours=1), "理由"),
            HANDLER,
            at(5),
            rules,
        )
