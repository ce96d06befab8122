"""Time-limit policy: the defaults of docs/domain.md, how limits are looked up,
deadlines."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from fractions import Fraction

import pytest

from appeals.domain.sla import (
    DEFAULT_POLICY,
    Counting,
    DurationUnit,
    IncompletePolicyError,
    InvalidLimitError,
    Limit,
    SlaPolicy,
    Stage,
    UnknownSlaKeyError,
)
from appeals.domain.values import AppealKind, Category, Priority
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
            (Stage.DISPATCH, Priority.NORMAL, "0.5d"),
            (Stage.DISPATCH, Priority.URGENT, "0.5d"),
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
        # Changed from "domain-defaults-1" when 诉求类型 limits, next-day counting
        # and the 0.5-day dispatch limit came in.
        assert DEFAULT_POLICY.version == "domain-defaults-3"

    def test_counts_whole_days_from_the_next_day(self) -> None:
        assert DEFAULT_POLICY.day_counting is Counting.NEXT_DAY

    @pytest.mark.parametrize(
        ("kind", "limit"),
        [
            # One city's rules (docs/domain.md, "12345 practice"): 咨询 3, 投诉/建议 13.
            (AppealKind.CONSULT, "3d"),
            (AppealKind.COMPLAINT, "13d"),
            (AppealKind.SUGGESTION, "13d"),
            # The others keep the general 5 days.
            (AppealKind.HELP, "5d"),
            (AppealKind.REPORT, "5d"),
            (AppealKind.PRAISE, "5d"),
        ],
    )
    def test_resolve_limits_by_kind(self, kind: AppealKind, limit: str) -> None:
        assert str(
            DEFAULT_POLICY.limit(Stage.RESOLVE, Priority.NORMAL, None, kind)
        ) == (limit)
        # Other stages are not keyed on the kind.
        assert DEFAULT_POLICY.limit(Stage.ACCEPT, "normal", "tax", kind) == (
            Limit.days(1)
        )

    @pytest.mark.parametrize("kind", list(AppealKind))
    def test_urgent_and_complex_keep_their_general_limits_whatever_the_kind(
        self, kind: AppealKind
    ) -> None:
        assert DEFAULT_POLICY.limit("resolve", "urgent", "tax", kind) == Limit.days(1)
        assert DEFAULT_POLICY.limit("resolve", "complex", "tax", kind) == (
            Limit.days(15)
        )


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
        ("stage", "priority", "category", "kind"),
        [
            ("approve", "normal", None, None),
            ("resolve", "low", None, None),
            ("resolve", "normal", "food", None),
            ("resolve", "normal", None, "gossip"),
        ],
    )
    def test_unknown_names_are_refused(
        self, stage: str, priority: str, category: str | None, kind: str | None
    ) -> None:
        with pytest.raises(UnknownSlaKeyError, match="known:"):
            self.POLICY.limit(stage, priority, category, kind)


class TestLookupByKind:
    """Each rung of the lookup order (SlaPolicy's docstring), most specific first:
    category x priority, kind x priority, general urgent/complex, category normal,
    kind normal, general normal. Every rung is stated for resolve, so each test
    shows the rung it names wins over all the rungs below it."""

    POLICY = SlaPolicy(
        version="test-kinds-1",
        limits={
            **DEFAULT_POLICY.limits,
            (Stage.RESOLVE, Priority.NORMAL): Limit.days(5),  # rung 6
            (Stage.RESOLVE, Priority.URGENT): Limit.days(1),  # rung 3
            (Stage.RESOLVE, Priority.COMPLEX): Limit.days(15),  # rung 3
        },
        category_limits={
            (Category.PERMITS, Stage.RESOLVE, Priority.NORMAL): Limit.days(2),  # 4
            (Category.LAND, Stage.RESOLVE, Priority.URGENT): Limit.hours(4),  # 1
        },
        kind_limits={
            (AppealKind.CONSULT, Stage.RESOLVE, Priority.NORMAL): Limit.days(3),  # 5
            (AppealKind.COMPLAINT, Stage.RESOLVE, Priority.NORMAL): Limit.days(13),
            (AppealKind.COMPLAINT, Stage.RESOLVE, Priority.URGENT): Limit.hours(6),  # 2
        },
    )

    def test_rung_1_the_categorys_limit_for_the_priority_beats_the_kinds(self) -> None:
        assert self.POLICY.limit("resolve", "urgent", "land", "complaint") == (
            Limit.hours(4)
        )

    def test_rung_2_the_kinds_limit_for_the_priority(self) -> None:
        # Beats the general urgent limit and the category's normal limit.
        assert self.POLICY.limit("resolve", "urgent", "permits", "complaint") == (
            Limit.hours(6)
        )
        assert self.POLICY.limit("resolve", "urgent", None, "complaint") == (
            Limit.hours(6)
        )

    def test_rung_3_the_general_urgent_or_complex_limit(self) -> None:
        # Beats the category's and the kind's normal limits.
        assert self.POLICY.limit("resolve", "urgent", "permits", "consult") == (
            Limit.days(1)
        )
        assert self.POLICY.limit("resolve", "complex", "permits", "complaint") == (
            Limit.days(15)
        )
        assert self.POLICY.limit("resolve", "complex", None, "consult") == (
            Limit.days(15)
        )

    def test_rung_4_the_categorys_normal_limit_beats_the_kinds(self) -> None:
        assert self.POLICY.limit("resolve", "normal", "permits", "complaint") == (
            Limit.days(2)
        )
        assert self.POLICY.limit("resolve", "normal", "permits", "consult") == (
            Limit.days(2)
        )

    def test_rung_5_the_kinds_normal_limit(self) -> None:
        assert self.POLICY.limit("resolve", "normal", "tax", "consult") == (
            Limit.days(3)
        )
        assert self.POLICY.limit("resolve", "normal", None, "complaint") == (
            Limit.days(13)
        )

    def test_rung_6_the_general_normal_limit(self) -> None:
        assert self.POLICY.limit("resolve", "normal", "tax", "help") == Limit.days(5)
        assert self.POLICY.limit("resolve", "normal", "tax", None) == Limit.days(5)
        # A kind with limits for one stage leaves the other stages alone.
        assert self.POLICY.limit("accept", "normal", "tax", "consult") == (
            Limit.days(1)
        )

    def test_kinds_are_read_only_after_construction(self) -> None:
        with pytest.raises(TypeError):
            self.POLICY.kind_limits[  # type: ignore[index]
                (AppealKind.HELP, Stage.RESOLVE, Priority.NORMAL)
            ] = Limit.days(1)

    def test_deadlines_use_the_kinds_limit(self) -> None:
        # Consult, next-day 3d from Friday 13 Feb 2026 16:00: Sat 14 Feb (make-up)
        # 1, Tue 24 Feb 2, Wed 25 Feb 3 → Wed 25 Feb 17:30.
        due = self.POLICY.deadline(
            CALENDAR, "resolve", at(2026, 2, 13, 16), "normal", "tax", "consult"
        )
        assert due == at(2026, 2, 25, 17, 30)


class TestLimits:
    @pytest.mark.parametrize(
        ("text", "limit"),
        [
            ("5d", Limit(5, DurationUnit.DAYS)),
            ("2h", Limit(2, DurationUnit.HOURS)),
            ("90m", Limit(90, DurationUnit.MINUTES)),
            (" 15d ", Limit(15, DurationUnit.DAYS)),
            ("0.5d", Limit(Fraction(1, 2), DurationUnit.DAYS)),
            ("1.5d", Limit(Fraction(3, 2), DurationUnit.DAYS)),
            ("0.25d", Limit.days(Fraction(1, 4))),
        ],
    )
    def test_are_written_as_a_number_and_a_unit(self, text: str, limit: Limit) -> None:
        assert Limit.parse(text) == limit
        assert str(limit) == text.strip()
        assert Limit.parse(str(limit)) == limit

    @pytest.mark.parametrize(
        "text",
        [
            *("0d", "-1d", "0.0d", "-0.5d", "1.5h", "0.5m", ".5d", "1.d"),
            *("5", "5w", "d", "5 days", "1,5d", ""),
        ],
    )
    def test_anything_else_is_refused(self, text: str) -> None:
        with pytest.raises(InvalidLimitError):
            Limit.parse(text)

    def test_a_whole_fraction_is_kept_as_a_whole_number(self) -> None:
        assert Limit.parse("2.0d") == Limit.days(2)
        assert isinstance(Limit.parse("2.0d").amount, int)
        assert str(Limit.days(Fraction(4, 2))) == "2d"
        assert hash(Limit.days(Fraction(4, 2))) == hash(Limit.days(2))

    @pytest.mark.parametrize(
        "amount",
        [Fraction(1, 3), Fraction(-1, 3), 0.5, "1", True, Fraction(-1, 2), Fraction(0)],
    )
    def test_only_positive_integers_and_decimal_fractions_are_amounts(
        self, amount: object
    ) -> None:
        with pytest.raises(InvalidLimitError):
            Limit(amount, DurationUnit.DAYS)  # type: ignore[arg-type]

    def test_only_days_may_be_fractional(self) -> None:
        for unit in (DurationUnit.HOURS, DurationUnit.MINUTES):
            with pytest.raises(InvalidLimitError, match="only days"):
                Limit(Fraction(1, 3), unit)

    def test_half_a_working_day_is_half_the_office_day(self) -> None:
        half = Limit.parse("0.5d")
        assert half.working_time(timedelta(hours=7)) == timedelta(hours=3, minutes=30)
        assert half.working_time(timedelta(hours=8)) == timedelta(hours=4)
        assert Limit.parse("0.25d").working_time(timedelta(hours=7)) == timedelta(
            hours=1, minutes=45
        )

    @pytest.mark.parametrize(
        ("text", "next_day", "office_hours"),
        [
            ("1d", Counting.NEXT_DAY, Counting.OFFICE_HOURS),
            ("13d", Counting.NEXT_DAY, Counting.OFFICE_HOURS),
            ("0.5d", Counting.OFFICE_HOURS, Counting.OFFICE_HOURS),
            ("1.5d", Counting.OFFICE_HOURS, Counting.OFFICE_HOURS),
            ("2h", Counting.OFFICE_HOURS, Counting.OFFICE_HOURS),
            ("90m", Counting.OFFICE_HOURS, Counting.OFFICE_HOURS),
        ],
    )
    def test_only_whole_days_follow_the_policys_day_counting(
        self, text: str, next_day: Counting, office_hours: Counting
    ) -> None:
        limit = Limit.parse(text)
        assert limit.counting(Counting.NEXT_DAY) is next_day
        assert limit.counting("office_hours") is office_hours
        assert DEFAULT_POLICY.counting(limit) is next_day

    def test_an_unknown_convention_is_refused(self) -> None:
        with pytest.raises(UnknownSlaKeyError, match="next_day, office_hours"):
            Limit.days(1).counting("calendar_days")
        with pytest.raises(UnknownSlaKeyError, match="day counting"):
            SlaPolicy(
                version="v",
                limits=DEFAULT_POLICY.limits,
                day_counting="calendar_days",  # type: ignore[arg-type]
            )

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


OFFICE_HOURS_POLICY = replace(
    DEFAULT_POLICY, version="office-hours-1", day_counting=Counting.OFFICE_HOURS
)


class TestDeadlines:
    """The default counts whole days from the next day (次日起); the same limits
    counted as office hours for comparison. tests/domain/test_counting.py has
    the full set of hand-computed cases."""

    def test_resolve_from_the_friday_before_spring_festival_2026(self) -> None:
        start = at(2026, 2, 13, 10)
        # Next day: Sat 14 Feb (make-up) 1, 15-23 off, Tue 24 2, Wed 25 3, Thu 26 4,
        # Fri 27 5 → Fri 27 Feb 17:30.
        due = DEFAULT_POLICY.deadline(CALENDAR, Stage.RESOLVE, start)
        assert due == at(2026, 2, 27, 17, 30)
        # Office hours: 13 Feb 10:00-17:30 6 h, 14 Feb 7 h, 24-26 Feb 21 h, then
        # 1 h on 27 Feb → Fri 27 Feb 10:00.
        due = OFFICE_HOURS_POLICY.deadline(CALENDAR, Stage.RESOLVE, start)
        assert due == at(2026, 2, 27, 10)

    def test_urgent_acceptance_within_two_working_hours(self) -> None:
        # Hours always count office hours: 30 min on Friday, 1.5 h on Saturday.
        for policy in (DEFAULT_POLICY, OFFICE_HOURS_POLICY):
            due = policy.deadline(
                CALENDAR, Stage.ACCEPT, at(2026, 2, 13, 17), Priority.URGENT
            )
            assert due == at(2026, 2, 14, 10, 30)

    def test_complex_resolution_over_national_day_2026(self) -> None:
        start = at(2026, 9, 30, 15)
        # Next day from Wed 30 Sep: 1-7 Oct off; Thu 8 1, Fri 9 2, Sat 10 (make-up)
        # 3, 12-16 Oct 4-8, 19-23 Oct 9-13, Mon 26 14, Tue 27 15 → 27 Oct 17:30.
        due = DEFAULT_POLICY.deadline(CALENDAR, "resolve", start, "complex", "legal")
        assert due == at(2026, 10, 27, 17, 30)
        due = OFFICE_HOURS_POLICY.deadline(
            CALENDAR, "resolve", start, "complex", "legal"
        )
        assert due == at(2026, 10, 27, 15)

    def test_days_follow_the_configured_office_hours(self) -> None:
        eight_hour_days = WorkingCalendar(office_hours=OfficeHours.parse("09:00-17:00"))
        start = at(2026, 3, 6, 16)  # a Friday
        # Next day: Mon 9 Mar 1, due at that calendar's close of business, 17:00.
        due = DEFAULT_POLICY.deadline(eight_hour_days, Stage.REPLY, start)
        assert due == at(2026, 3, 9, 17)
        # Office hours: 1 h on Friday, 7 h on Monday → Mon 9 Mar 16:00.
        due = OFFICE_HOURS_POLICY.deadline(eight_hour_days, Stage.REPLY, start)
        assert due == at(2026, 3, 9, 16)

    def test_the_evaluation_window_is_three_working_days_after_the_reply(self) -> None:
        start = at(2026, 2, 12, 9, 30)
        # Next day from Thu 12 Feb: Fri 13 1, Sat 14 (make-up) 2, Tue 24 3.
        due = DEFAULT_POLICY.deadline(CALENDAR, Stage.EVALUATION, start)
        assert due == at(2026, 2, 24, 17, 30)
        due = OFFICE_HOURS_POLICY.deadline(CALENDAR, Stage.EVALUATION, start)
        assert due == at(2026, 2, 24, 9, 30)

    def test_the_centres_half_day_counts_office_hours(self) -> None:
        # 0.5d = 3.5 h: Fri 13 Feb 16:00-17:30 1.5 h, Sat 14 Feb 09:00-11:00 2 h.
        for policy in (DEFAULT_POLICY, OFFICE_HOURS_POLICY):
            due = policy.deadline(CALENDAR, Stage.DISPATCH, at(2026, 2, 13, 16))
            assert due == at(2026, 2, 14, 11)
