"""The lookups made once instead of on every call (issue 21) answer exactly as
the scans they replace: closed sets by code, SLA keys, an event's deadline
fields, a day's office time."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from itertools import product
from typing import Any

import pytest

from appeals.domain.deadlines import Timekeeping
from appeals.domain.errors import InvalidField
from appeals.domain.guards import AppealState, DeadlineTerms
from appeals.domain.sla import (
    DEFAULT_POLICY,
    Counting,
    Limit,
    Stage,
    UnknownSlaKeyError,
)
from appeals.domain.values import (
    AppealKind,
    Category,
    Channel,
    ExclusionReason,
    Labelled,
    Priority,
)
from appeals.domain.working_time import (
    OfficeHours,
    OfficeInterval,
)
from tests.builders import CALENDAR_2026, TK

SHANGHAI = CALENDAR_2026.tz


def closed_sets() -> list[type[Labelled]]:
    found: list[type[Labelled]] = []
    pending = list(Labelled.__subclasses__())
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending += kind.__subclasses__()
    return sorted(found, key=lambda kind: kind.__name__)


def scanned(kind: type[Labelled], value: object) -> Labelled | None:
    """The member the scan that was replaced would find."""
    return next((m for m in kind if m.value == value), None)


def test_every_closed_set_is_seen() -> None:
    assert len(closed_sets()) >= 15
    assert Channel in closed_sets()
    assert Priority in closed_sets()


@pytest.mark.parametrize("kind", closed_sets(), ids=lambda kind: kind.__name__)
def test_every_member_is_found_by_its_code(kind: type[Labelled]) -> None:
    for member in kind:
        code = str(member.value)
        assert type(code) is str
        assert kind.parse(code, "field") is member
        assert kind.of(code) is member
        assert kind.parse(member, "field") is member
        assert kind.of(member) is member


@pytest.mark.parametrize("kind", closed_sets(), ids=lambda kind: kind.__name__)
@pytest.mark.parametrize(
    "value",
    ["", "nope", " hotline", "HOTLINE", "12345热线", "normal ", 1, None, 1.5, b"tax"],
)
def test_unknown_input_is_refused_as_before(kind: type[Labelled], value: Any) -> None:
    """A label, a near miss or a non-string is no code; the refusal names the
    field and lists every code, in order."""
    assert scanned(kind, value) is None
    codes = ", ".join(m.value for m in kind)
    with pytest.raises(InvalidField) as refused:
        kind.parse(value, "channel")
    assert refused.value.field == "channel"
    assert refused.value.reason == f"{value!r} is not one of: {codes}"
    with pytest.raises(InvalidField) as unknown:
        kind.of(value)
    assert unknown.value.field == kind.__name__.lower()
    assert unknown.value.reason == f"{value!r} is not one of: {codes}"


@pytest.mark.parametrize("value", [["hotline"], {"code": "hotline"}, {"hotline"}])
def test_an_unhashable_value_is_refused_not_crashed_on(value: Any) -> None:
    with pytest.raises(InvalidField) as refused:
        Channel.parse(value, "channel")
    assert refused.value.reason.startswith(f"{value!r} is not one of: hotline, ")


def test_a_member_of_another_set_with_the_same_code_finds_this_sets() -> None:
    """Codes are strings: ``Category.OTHER`` equals ``"other"``, as it did."""
    assert ExclusionReason.parse(Category.OTHER, "reason") is ExclusionReason.OTHER
    assert scanned(ExclusionReason, Category.OTHER) is ExclusionReason.OTHER
    with pytest.raises(InvalidField):
        Channel.parse(Category.TAX, "channel")


# ---- SLA keys ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "what"),
    [
        (Stage, "stage"),
        (Priority, "priority"),
        (Category, "category"),
        (AppealKind, "kind"),
    ],
)
def test_policy_keys_by_value_and_by_member(kind: type[StrEnum], what: str) -> None:
    for member in kind:
        arguments: dict[str, Any] = {
            "stage": Stage.RESOLVE,
            "priority": Priority.NORMAL,
            "category": None,
            "kind": None,
        }
        by_member = DEFAULT_POLICY.limit(**{**arguments, what: member})
        by_value = DEFAULT_POLICY.limit(**{**arguments, what: str(member.value)})
        assert by_member == by_value
    known = ", ".join(m.value for m in kind)
    for unknown in ("nope", "", "RESOLVE", 3, ("resolve",)):
        with pytest.raises(UnknownSlaKeyError) as refused:
            DEFAULT_POLICY.limit(**{**arguments, what: unknown})
        assert str(refused.value) == f"unknown {what} {unknown!r}; known: {known}"
    with pytest.raises(UnknownSlaKeyError, match=f"unknown {what} \\[1\\]"):
        DEFAULT_POLICY.limit(**{**arguments, what: [1]})


def test_the_lookup_order_is_kept_for_every_key() -> None:
    """Values and members give the same limit for every combination."""
    for stage, priority, category, kind in product(
        Stage, Priority, [None, *Category], [None, *AppealKind]
    ):
        expected = DEFAULT_POLICY.limit(stage, priority, category, kind)
        assert (
            DEFAULT_POLICY.limit(
                stage.value,
                priority.value,
                None if category is None else category.value,
                None if kind is None else kind.value,
            )
            == expected
        )


def test_counting_conventions_by_value_and_member() -> None:
    for days in Counting:
        assert Limit.days(2).counting(days.value) is days
        assert Limit.days(2).counting(days) is days
        assert Limit.hours(2).counting(days.value) is Counting.OFFICE_HOURS
    with pytest.raises(UnknownSlaKeyError) as refused:
        Limit.days(2).counting("tomorrow")
    assert str(refused.value) == (
        "unknown day counting 'tomorrow'; known: next_day, office_hours"
    )


# ---- an event's deadline fields -------------------------------------------------


def state(priority: str, category: str) -> AppealState:
    appeal = object.__new__(AppealState)
    appeal.__dict__.update(
        priority=priority, category=category, deadline_kind=None, limits=None
    )
    return appeal


STARTS = [
    datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI),  # before National Day
    datetime(2026, 10, 9, 12, 15, tzinfo=SHANGHAI),  # lunch
    datetime(2026, 12, 31, 17, 29, tzinfo=SHANGHAI),  # into an estimated year
]
TERMS = [
    None,
    DeadlineTerms("consult"),
    DeadlineTerms("complaint", {"resolve": "2h", "accept": "3d"}),
    DeadlineTerms(None, {"reply": "0.5d"}),
]
PAIRS = [
    {"accept_due": Stage.ACCEPT, "resolve_due": Stage.RESOLVE},
    {"resolve_due": Stage.RESOLVE, "accept_due": Stage.ACCEPT},
    {"callback_due": Stage.CALLBACK, "evaluation_due": Stage.EVALUATION},
    {"reply_due": Stage.REPLY},
    {"dispatch_due": Stage.DISPATCH},
]


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("terms", TERMS)
@pytest.mark.parametrize("stages", PAIRS)
def test_deadline_fields_are_each_stages_own(
    start: datetime, terms: DeadlineTerms | None, stages: dict[str, Stage]
) -> None:
    """Each deadline is the stage's own, and the counting is the last stage's
    (an urgent accept counts office hours, its resolve whole days)."""
    for priority, category in product(Priority, ["financing", "permits"]):
        appeal = state(priority.value, category)
        dues = appeal._dues(TK, start, terms, **stages)
        used = terms or DeadlineTerms()
        keys: tuple[Any, ...] = (priority.value, category)
        extra: dict[str, Any] = {"kind": used.kind, "limits": used.limits}
        for name, stage in stages.items():
            assert dues[name] == TK.due(stage, start, *keys, **extra), name
        principal = list(stages.values())[-1]
        assert dues["counting"] == TK.counting(principal, *keys, **extra)
        assert dues["sla_version"] == TK.version
        wanted = [dues[name] for name in stages]
        assert dues["provisional"] == TK.provisional(*wanted)
        assert set(dues) == {*stages, "sla_version", "provisional", "counting"}


def test_the_counting_follows_the_last_stage_not_the_first() -> None:
    urgent = state(Priority.URGENT.value, "financing")
    start = STARTS[1]
    accept_last = urgent._dues(
        TK, start, resolve_due=Stage.RESOLVE, accept_due=Stage.ACCEPT
    )
    resolve_last = urgent._dues(
        TK, start, accept_due=Stage.ACCEPT, resolve_due=Stage.RESOLVE
    )
    assert accept_last["counting"] == "office_hours"  # urgent accept: 2 h
    assert resolve_last["counting"] == "next_day"  # urgent resolve: 1 day


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(InvalidField, match="at: must include a time zone"):
        state("normal", "tax")._dues(TK, datetime(2026, 10, 9, 9), reply=Stage.REPLY)


# ---- office hours ----------------------------------------------------------------


def test_each_office_hours_day_length_is_its_own() -> None:
    default = OfficeHours()
    whole = OfficeHours.whole_day()
    short = OfficeHours.parse("08:00-11:00")
    assert default.day_length == timedelta(hours=7)
    assert whole.day_length == timedelta(hours=24)
    assert short.day_length == timedelta(hours=3)
    assert default.day_length == timedelta(hours=7)  # asked again
    # remembered, the hours still compare and hash by their intervals alone
    again = OfficeHours(default.intervals)
    assert again == default
    assert hash(again) == hash(default)
    assert OfficeHours((OfficeInterval(timedelta(0), timedelta(hours=1)),)) != short


def test_a_calendar_on_other_hours_counts_its_own_day() -> None:
    calendar = Timekeeping(
        type(CALENDAR_2026)(office_hours=OfficeHours.parse("08:00-11:00"))
    ).calendar
    monday = datetime(2026, 10, 12, 8, 0, tzinfo=SHANGHAI)
    assert calendar.day_length == timedelta(hours=3)
    assert calendar.add_working_days(monday, 1) == monday.replace(hour=11)
    assert CALENDAR_2026.add_working_days(monday, 1) == monday.replace(
        hour=17, minute=30
    )
