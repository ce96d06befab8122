"""Time-limit policy: the defaults of DOMAIN.md, how limits are looked up, deadlines."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from appeals.domain.sla import (
    DEFAULT_POLICY,
    DurationUnit,
    IncompletePolicyError,
    InvalidLimitError,
    Limit,
    SlaPolicy,
    Stage,
    UnknownSlaKeyError,
)
from appeals.domain.values import Category, Priority
from appeals.domain.working_time import SHANGHAI, OfficeHours, WorkingCalendar


def days(first: date, last: date) -> set[date]:
    return {first + timedelta(n) for n in range((last - first).days + 1)}


# From the State Council's notice for 2026: 春节 and 国庆节 with their make-up days.
CALENDAR = WorkingCalendar(
    holidays=frozenset(
        days(date(2026, 2, 15), date(2026, 2, 23))
        | days(date(2026, 10, 1), date(2026, 10, 7))
    ),
    makeup_workdays=frozenset(
        {date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)}
    ),
)


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


class TestDefaultsFromTheDomainBrief:
    @pytest.mark.parametrize(
        ("stage", "priority", "limit"),
        [
            (Stage.ACCEPT, Priority.NORMAL, "1d"),
            (Stage.ACCEPT, Priority.URGENT, "2h"),
            (Stage.ACCEPT, Priority.COMPLEX, "1d"),
            (Stage.FIRST_RESPONSE, Priority.NORMAL, "1d"),
            (Stage.FIRST_RESPONSE, Priority.URGENT, "1d"),
            (Stage.RESOLVE, Priority.NORMAL, "5d"),
            (Stage.RESOLVE, Priority.COMPLEX, "15d"),
            (Stage.RESOLVE, Priority.URGENT, "1d"),
            (Stage.REPLY, Priority.NORMAL, "1d"),
            (Stage.EVALUATION, Priority.NORMAL, "3d"),
            (Stage.EVALUATION, Priority.COMPLEX, "3d"),
        ],
    )
    def test_limit(self, stage: Stage, priority: Priority, limit: str) -> None:
        assert str(DEFAULT_POLICY.limit(stage, priority)) == limit

    @pytest.mark.parametrize("priority", list(Priority))
    def test_financing_requests_get_a_first_response_within_one_working_day(
        self, priority: Priority
    ) -> None:
        # Suzhou action plan 2020, item 34: "响应时间不超过1个工作日".
        limit = DEFAULT_POLICY.limit(Stage.FIRST_RESPONSE, priority, Category.FINANCING)
        assert limit == Limit.days(1)
        assert (Category.FINANCING, Stage.FIRST_RESPONSE, Priority.NORMAL) in (
            DEFAULT_POLICY.category_limits
        )

    def test_every_stage_and_priority_has_a_limit_in_every_category(self) -> None:
        for stage in Stage:
            for priority in Priority:
                for category in Category:
                    assert DEFAULT_POLICY.limit(stage, priority, category).amount > 0

    def test_has_a_version(self) -> None:
        assert DEFAULT_POLICY.version == "domain-defaults-1"


class TestLookup:
    POLICY = SlaPolicy(
        version="test-1",
        limits={
            **DEFAULT_POLICY.limits,
            (Stage.RESOLVE, Priority.NORMAL): Limit.days(5),
            (Stage.RESOLVE, Priority.URGENT): Limit.days(1),
            (Stage.RESOLVE, Priority.COMPLEX): Limit.days(15),
        },
        category_limits={
            # Permits are promised in 2 working days ("2 个工作日")...
            (Category.PERMITS, Stage.RESOLVE, Priority.NORMAL): Limit.days(2),
            # ...and land cases are urgent within 3 working days.
            (Category.LAND, Stage.RESOLVE, Priority.URGENT): Limit.days(3),
        },
    )

    def test_a_category_limit_replaces_the_general_one(self) -> None:
        assert self.POLICY.limit("resolve", "normal", "permits") == Limit.days(2)

    def test_an_explicit_priority_limit_beats_a_categorys_normal_limit(self) -> None:
        assert self.POLICY.limit("resolve", "urgent", "permits") == Limit.days(1)
        assert self.POLICY.limit("resolve", "complex", "permits") == Limit.days(15)

    def test_a_categorys_limit_for_the_priority_beats_everything(self) -> None:
        assert self.POLICY.limit("resolve", "urgent", "land") == Limit.days(3)

    def test_other_categories_and_no_category_use_the_general_limits(self) -> None:
        assert self.POLICY.limit("resolve", "normal", "tax") == Limit.days(5)
        assert self.POLICY.limit("resolve") == Limit.days(5)

    @pytest.mark.parametrize(
        ("stage", "priority", "category"),
        [
            ("approve", "normal", None),
            ("resolve", "low", None),
            ("resolve", "normal", "food"),
        ],
    )
    def test_unknown_names_are_refused(
        self, stage: str, priority: str, category: str | None
    ) -> None:
        with pytest.raises(UnknownSlaKeyError, match="known:"):
            self.POLICY.limit(stage, priority, category)


class TestLimits:
    @pytest.mark.parametrize(
        ("text", "limit"),
        [
            ("5d", Limit(5, DurationUnit.DAYS)),
            ("2h", Limit(2, DurationUnit.HOURS)),
            ("90m", Limit(90, DurationUnit.MINUTES)),
            (" 15d ", Limit(15, DurationUnit.DAYS)),
        ],
    )
    def test_are_written_as_a_whole_number_and_a_unit(
        self, text: str, limit: Limit
    ) -> None:
        assert Limit.parse(text) == limit
        assert str(limit) == text.strip()

    @pytest.mark.parametrize(
        "text", ["0d", "-1d", "1.5d", "5", "5w", "d", "5 days", ""]
    )
    def test_anything_else_is_refused(self, text: str) -> None:
        with pytest.raises(InvalidLimitError):
            Limit.parse(text)

    def test_a_working_day_is_as_long_as_the_office_day(self) -> None:
        seven_hours, eight_hours = timedelta(hours=7), timedelta(hours=8)
        assert Limit.days(2).working_time(seven_hours) == timedelta(hours=14)
        assert Limit.days(2).working_time(eight_hours) == timedelta(hours=16)
        assert Limit.hours(2).working_time(eight_hours) == timedelta(hours=2)
        assert Limit.parse("90m").working_time(eight_hours) == timedelta(minutes=90)


class TestPolicyValidity:
    def test_every_stage_needs_a_normal_limit(self) -> None:
        limits = dict(DEFAULT_POLICY.limits)
        del limits[(Stage.REPLY, Priority.NORMAL)]
        with pytest.raises(IncompletePolicyError, match="reply"):
            SlaPolicy(version="broken", limits=limits)

    def test_a_version_is_required(self) -> None:
        with pytest.raises(IncompletePolicyError, match="version"):
            SlaPolicy(version=" ", limits=DEFAULT_POLICY.limits)

    def test_a_policy_cannot_be_changed_through_the_mapping_it_was_built_from(
        self,
    ) -> None:
        limits = dict(DEFAULT_POLICY.limits)
        policy = SlaPolicy(version="v", limits=limits)
        limits[(Stage.RESOLVE, Priority.NORMAL)] = Limit.days(50)
        assert policy.limit(Stage.RESOLVE) == Limit.days(5)
        with pytest.raises(TypeError):
            policy.limits[(Stage.RESOLVE, Priority.NORMAL)] = Limit.days(50)  # type: ignore[index]


class TestDeadlines:
    def test_resolve_from_the_friday_before_spring_festival_2026(self) -> None:
        # 13 Feb, make-up Saturday 14 Feb, then 24, 25, 26 and 27 Feb.
        due = DEFAULT_POLICY.deadline(CALENDAR, Stage.RESOLVE, at(2026, 2, 13, 10))
        assert due == at(2026, 2, 27, 10)

    def test_urgent_acceptance_within_two_working_hours(self) -> None:
        due = DEFAULT_POLICY.deadline(
            CALENDAR, Stage.ACCEPT, at(2026, 2, 13, 17), Priority.URGENT
        )
        assert due == at(2026, 2, 14, 10, 30)

    def test_complex_resolution_over_national_day_2026(self) -> None:
        # 15 working days from Wednesday 30 September: Oct 1-7 off, Sat 10 Oct works.
        due = DEFAULT_POLICY.deadline(
            CALENDAR, "resolve", at(2026, 9, 30, 15), "complex", "legal"
        )
        assert due == at(2026, 10, 27, 15)

    def test_days_follow_the_configured_office_hours(self) -> None:
        eight_hour_days = WorkingCalendar(office_hours=OfficeHours.parse("09:00-17:00"))
        due = DEFAULT_POLICY.deadline(eight_hour_days, Stage.REPLY, at(2026, 3, 6, 16))
        assert due == at(2026, 3, 9, 16)

    def test_the_evaluation_window_is_three_working_days_after_the_reply(self) -> None:
        due = DEFAULT_POLICY.deadline(
            CALENDAR, Stage.EVALUATION, at(2026, 2, 12, 9, 30)
        )
        assert due == at(2026, 2, 24, 9, 30)
