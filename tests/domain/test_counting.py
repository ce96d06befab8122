"""The two counting conventions, hand-computed across Spring Festival and
National Day 2026, through ``Timekeeping`` (what the appeal asks for deadlines).

2026 as the State Council published it (国办发明电〔2025〕7号): Spring Festival
15-23 Feb off with make-up Saturdays 14 and 28 Feb; Mid-Autumn 25-27 Sep and
National Day 1-7 Oct off with make-up Sunday 20 Sep and Saturday 10 Oct. Office
hours 09:00-12:00 and 13:30-17:30 (a 7-hour day). Every case runs on the typed
test calendar (tests/builders.py) and on the real one (appeals.infra.calendar_data).

- next_day (次日起): the start date is not counted, whatever the time and whether
  or not it is a working day; due at 17:30 of the N-th working day after it.
- office_hours: N x 7 office hours from the start instant (from the next opening
  if outside office hours), ending as early as possible.
Hour limits and fractions of a day ("0.5d") always count office hours.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from appeals.domain.deadlines import Timekeeping
from appeals.domain.sla import (
    DEFAULT_POLICY,
    Counting,
    InvalidLimitError,
    Limit,
    SlaPolicy,
    Stage,
)
from appeals.domain.values import AppealKind, Category, Priority
from appeals.domain.working_time import SHANGHAI, WorkingCalendar
from appeals.infra.calendar_data import build_calendar
from tests.builders import CALENDAR_2026

OFFICE_HOURS_POLICY = replace(
    DEFAULT_POLICY, version="office-hours-2", day_counting=Counting.OFFICE_HOURS
)


def t(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(params=["typed", "official"], scope="module")
def calendar(request: pytest.FixtureRequest) -> WorkingCalendar:
    return CALENDAR_2026 if request.param == "typed" else build_calendar()


# (start, limit, next-day due, office-hours due), each counted by hand.
CASES = [
    # ---- Spring Festival: received Fri 13 Feb 16:00 ----
    pytest.param(
        t(2, 13, 16),
        "1d",
        # Sat 14 Feb (make-up) 1 → Sat 14 Feb 17:30.
        t(2, 14, 17, 30),
        # Fri 16:00-17:30 1.5 h, Sat 09:00-12:00 3 h, 13:30-16:00 2.5 h → 16:00.
        t(2, 14, 16),
        id="spring-1d",
    ),
    pytest.param(
        t(2, 13, 16),
        "3d",
        # Sat 14 Feb 1, (15-23 off) Tue 24 Feb 2, Wed 25 Feb 3 → Wed 25 Feb 17:30.
        t(2, 25, 17, 30),
        # 21 h: Fri 1.5, Sat 7, Tue 7 = 15.5, Wed 09:00-12:00 3, 13:30-16:00 2.5.
        t(2, 25, 16),
        id="spring-3d",
    ),
    pytest.param(
        t(2, 13, 16),
        "5d",
        # Sat 14 1, Tue 24 2, Wed 25 3, Thu 26 4, Fri 27 5 → Fri 27 Feb 17:30.
        t(2, 27, 17, 30),
        # 35 h: Fri 1.5, Sat, Tue, Wed, Thu 28 = 29.5, Fri 27 5.5 → 16:00.
        t(2, 27, 16),
        id="spring-5d",
    ),
    pytest.param(
        t(2, 13, 16),
        "13d",
        # Sat 14 1, 24-27 Feb 2-5, Sat 28 (make-up) 6, Mon 2 Mar 7, 3-6 Mar 8-11,
        # Mon 9 Mar 12, Tue 10 Mar 13 → Tue 10 Mar 17:30.
        t(3, 10, 17, 30),
        # 91 h: Fri 1.5 + 12 full days (14 Feb .. 9 Mar) 84 = 85.5, 5.5 on 10 Mar.
        t(3, 10, 16),
        id="spring-13d",
    ),
    pytest.param(
        t(2, 13, 16),
        "0.5d",
        # Half a day is always office hours: 3.5 h, Fri 1.5 + Sat 09:00-11:00 2.
        t(2, 14, 11),
        t(2, 14, 11),
        id="spring-half-day",
    ),
    # ---- Before office hours: Fri 13 Feb 07:30 ----
    pytest.param(
        t(2, 13, 7, 30),
        "1d",
        # Fri 13 is the start day, not counted: Sat 14 1 → Sat 14 Feb 17:30.
        t(2, 14, 17, 30),
        # From the opening at 09:00, 7 h end at Friday's close.
        t(2, 13, 17, 30),
        id="before-opening-1d",
    ),
    pytest.param(
        t(2, 13, 7, 30),
        "5d",
        # Sat 14 1, Tue 24 2, Wed 25 3, Thu 26 4, Fri 27 5.
        t(2, 27, 17, 30),
        # Fri 13, Sat 14, Tue 24, Wed 25, Thu 26 in full → Thu 26 Feb 17:30.
        t(2, 26, 17, 30),
        id="before-opening-5d",
    ),
    pytest.param(
        t(2, 13, 7, 30),
        "0.5d",
        # 09:00-12:00 3 h, 13:30-14:00 0.5 h → Fri 13 Feb 14:00.
        t(2, 13, 14),
        t(2, 13, 14),
        id="before-opening-half-day",
    ),
    pytest.param(
        t(9, 29, 8),
        "3d",
        # From Tue 29 Sep: Wed 30 1, (1-7 Oct off) Thu 8 Oct 2, Fri 9 Oct 3.
        t(10, 9, 17, 30),
        # Tue 29, Wed 30, Thu 8 Oct in full → Thu 8 Oct 17:30.
        t(10, 8, 17, 30),
        id="before-opening-national-day-3d",
    ),
    # ---- After close of business: the conventions agree ----
    pytest.param(
        t(2, 13, 18),
        "1d",
        # Sat 14 1 → 17:30; office hours count Sat 09:00-17:30.
        t(2, 14, 17, 30),
        t(2, 14, 17, 30),
        id="after-closing-1d",
    ),
    pytest.param(
        t(2, 13, 18),
        "3d",
        # Sat 14 1, Tue 24 2, Wed 25 3; office hours the same three full days.
        t(2, 25, 17, 30),
        t(2, 25, 17, 30),
        id="after-closing-3d",
    ),
    pytest.param(
        t(9, 30, 19),
        "5d",
        # Eve of National Day: Thu 8 Oct 1, Fri 9 2, Sat 10 (make-up) 3, Mon 12 4,
        # Tue 13 5 → Tue 13 Oct 17:30, both ways.
        t(10, 13, 17, 30),
        t(10, 13, 17, 30),
        id="after-closing-national-day-5d",
    ),
    pytest.param(
        t(9, 30, 19),
        "0.5d",
        # Thu 8 Oct 09:00-12:00 3 h, 13:30-14:00 0.5 h.
        t(10, 8, 14),
        t(10, 8, 14),
        id="after-closing-half-day",
    ),
    # ---- On a holiday: counting starts after the break, both ways ----
    pytest.param(
        t(2, 18, 10),
        "1d",
        # Wed 18 Feb is 春节: Tue 24 Feb 1.
        t(2, 24, 17, 30),
        t(2, 24, 17, 30),
        id="holiday-spring-1d",
    ),
    pytest.param(
        t(2, 18, 10),
        "5d",
        # Tue 24 1, Wed 25 2, Thu 26 3, Fri 27 4, Sat 28 (make-up) 5.
        t(2, 28, 17, 30),
        t(2, 28, 17, 30),
        id="holiday-spring-5d",
    ),
    pytest.param(
        t(2, 18, 10),
        "0.5d",
        # Tue 24 Feb 09:00-12:00 3 h, 13:30-14:00 0.5 h.
        t(2, 24, 14),
        t(2, 24, 14),
        id="holiday-spring-half-day",
    ),
    pytest.param(
        t(10, 3, 11),
        "3d",
        # Sat 3 Oct is 国庆: Thu 8 1, Fri 9 2, Sat 10 (make-up) 3.
        t(10, 10, 17, 30),
        t(10, 10, 17, 30),
        id="holiday-national-day-3d",
    ),
    pytest.param(
        t(10, 3, 11),
        "13d",
        # Thu 8 1, Fri 9 2, Sat 10 3, 12-16 Oct 4-8, 19-23 Oct 9-13 → Fri 23 Oct.
        t(10, 23, 17, 30),
        t(10, 23, 17, 30),
        id="holiday-national-day-13d",
    ),
    # ---- On a make-up working day: the start day is not counted ----
    pytest.param(
        t(2, 14, 10),
        "1d",
        # Sat 14 Feb (make-up) is the start day: Tue 24 Feb 1.
        t(2, 24, 17, 30),
        # Sat 10:00-12:00 2 h, 13:30-17:30 4 h, Tue 24 Feb 09:00-10:00 1 h.
        t(2, 24, 10),
        id="make-up-saturday-1d",
    ),
    pytest.param(
        t(2, 14, 10),
        "5d",
        # Tue 24 1, Wed 25 2, Thu 26 3, Fri 27 4, Sat 28 (make-up) 5.
        t(2, 28, 17, 30),
        # 35 h: Sat 14 6, 24-27 Feb 28 = 34, Sat 28 Feb 09:00-10:00 1.
        t(2, 28, 10),
        id="make-up-saturday-5d",
    ),
    pytest.param(
        t(10, 10, 9),
        "1d",
        # Sat 10 Oct (make-up) is the start day: Mon 12 Oct 1.
        t(10, 12, 17, 30),
        # From the opening, the whole of Sat 10 Oct.
        t(10, 10, 17, 30),
        id="make-up-saturday-national-day-1d",
    ),
    pytest.param(
        t(9, 20, 15),
        "5d",
        # Sun 20 Sep (make-up) is the start day: Mon 21 1, Tue 22 2, Wed 23 3,
        # Thu 24 4, (25 Sep 中秋, 26-27 off) Mon 28 5.
        t(9, 28, 17, 30),
        # Sun 15:00-17:30 2.5 h, 21-24 Sep 28 h = 30.5, Mon 28 09:00-12:00 3,
        # 13:30-15:00 1.5 → Mon 28 Sep 15:00.
        t(9, 28, 15),
        id="make-up-sunday-5d",
    ),
    pytest.param(
        t(9, 20, 15),
        "13d",
        # Mon 21 1 .. Thu 24 4, Mon 28 5, Tue 29 6, Wed 30 7, (1-7 Oct off)
        # Thu 8 8, Fri 9 9, Sat 10 10, Mon 12 11, Tue 13 12, Wed 14 13.
        t(10, 14, 17, 30),
        # 91 h: Sun 2.5, 12 full days (21 Sep .. 13 Oct) 84 = 86.5, Wed 14 4.5.
        t(10, 14, 15),
        id="make-up-sunday-13d",
    ),
    # ---- In the middle of a working day before National Day ----
    pytest.param(
        t(9, 30, 10),
        "1d",
        # Wed 30 Sep is the start day: Thu 8 Oct 1.
        t(10, 8, 17, 30),
        # Wed 10:00-17:30 6 h, Thu 8 Oct 09:00-10:00 1 h.
        t(10, 8, 10),
        id="national-day-1d",
    ),
    pytest.param(
        t(9, 30, 10),
        "3d",
        # Thu 8 1, Fri 9 2, Sat 10 (make-up) 3.
        t(10, 10, 17, 30),
        # 21 h: Wed 6, Thu 7, Fri 7 = 20, Sat 10 Oct 09:00-10:00 1.
        t(10, 10, 10),
        id="national-day-3d",
    ),
    pytest.param(
        t(9, 30, 10),
        "5d",
        # Thu 8 1, Fri 9 2, Sat 10 3, Mon 12 4, Tue 13 5.
        t(10, 13, 17, 30),
        # 35 h: Wed 6, 8-12 Oct 28 = 34, Tue 13 09:00-10:00 1.
        t(10, 13, 10),
        id="national-day-5d",
    ),
    pytest.param(
        t(9, 30, 10),
        "13d",
        # Thu 8 1, Fri 9 2, Sat 10 3, 12-16 Oct 4-8, 19-23 Oct 9-13 → Fri 23 Oct.
        t(10, 23, 17, 30),
        # 91 h: Wed 6, 12 full days (8 .. 22 Oct) 84 = 90, Fri 23 09:00-10:00 1.
        t(10, 23, 10),
        id="national-day-13d",
    ),
    pytest.param(
        t(9, 30, 10),
        "0.5d",
        # Wed 10:00-12:00 2 h, 13:30-15:00 1.5 h → Wed 30 Sep 15:00.
        t(9, 30, 15),
        t(9, 30, 15),
        id="national-day-half-day",
    ),
]


@pytest.mark.parametrize(("start", "limit", "next_day", "office_hours"), CASES)
def test_a_catalogue_items_limit_by_each_convention(
    calendar: WorkingCalendar,
    start: datetime,
    limit: str,
    next_day: datetime,
    office_hours: datetime,
) -> None:
    item = {"resolve": limit}
    by_next_day = Timekeeping(calendar, DEFAULT_POLICY)
    by_office_hours = Timekeeping(calendar, OFFICE_HOURS_POLICY)
    assert by_next_day.due(Stage.RESOLVE, start, "normal", "tax", limits=item) == (
        next_day
    )
    assert by_office_hours.due(Stage.RESOLVE, start, "normal", "tax", limits=item) == (
        office_hours
    )
    whole = Limit.parse(limit).whole_days is not None
    assert by_next_day.counting(Stage.RESOLVE, "normal", "tax", limits=item) == (
        "next_day" if whole else "office_hours"
    )
    assert (
        by_office_hours.counting(Stage.RESOLVE, "normal", "tax", limits=item)
        == "office_hours"
    )


class TestThePolicysLimitsByKind:
    """The default policy's 诉求类型 limits (one city's rules), next-day."""

    def test_a_consultation_is_due_in_3_working_days(
        self, calendar: WorkingCalendar
    ) -> None:
        tk = Timekeeping(calendar)
        # Fri 13 Feb 16:00: Sat 14 1, Tue 24 2, Wed 25 3 → Wed 25 Feb 17:30.
        due = tk.due(Stage.RESOLVE, t(2, 13, 16), "normal", "tax", kind="consult")
        assert due == t(2, 25, 17, 30)

    def test_a_complaint_is_due_in_13_working_days(
        self, calendar: WorkingCalendar
    ) -> None:
        tk = Timekeeping(calendar)
        # Fri 13 Feb 16:00: 14 Feb 1, 24-27 Feb 2-5, 28 Feb 6, 2-6 Mar 7-11,
        # 9 Mar 12, 10 Mar 13 → Tue 10 Mar 17:30.
        due = tk.due(Stage.RESOLVE, t(2, 13, 16), "normal", "labour", kind="complaint")
        assert due == t(3, 10, 17, 30)

    def test_a_suggestion_is_due_in_13_working_days(
        self, calendar: WorkingCalendar
    ) -> None:
        tk = Timekeeping(calendar)
        # Sun 20 Sep (make-up) is the start day: 21-24 Sep 1-4, 28-30 Sep 5-7,
        # 8-10 Oct 8-10, 12-14 Oct 11-13 → Wed 14 Oct 17:30.
        due = tk.due(Stage.RESOLVE, t(9, 20, 15), "normal", "policy", kind="suggestion")
        assert due == t(10, 14, 17, 30)

    def test_a_request_for_help_keeps_the_general_5_days(
        self, calendar: WorkingCalendar
    ) -> None:
        tk = Timekeeping(calendar)
        # Wed 30 Sep 10:00: Thu 8 1, Fri 9 2, Sat 10 3, Mon 12 4, Tue 13 5.
        due = tk.due(Stage.RESOLVE, t(9, 30, 10), "normal", "tax", kind="help")
        assert due == t(10, 13, 17, 30)
        assert tk.due(Stage.RESOLVE, t(9, 30, 10), "normal", "tax") == due

    def test_an_urgent_complaint_is_due_in_the_urgent_1_day(
        self, calendar: WorkingCalendar
    ) -> None:
        tk = Timekeeping(calendar)
        # Wed 30 Sep 10:00: Thu 8 Oct 1 → Thu 8 Oct 17:30.
        due = tk.due(Stage.RESOLVE, t(9, 30, 10), "urgent", "tax", kind="complaint")
        assert due == t(10, 8, 17, 30)

    def test_an_items_limit_beats_the_kinds(self, calendar: WorkingCalendar) -> None:
        tk = Timekeeping(calendar)
        item = {"resolve": "10d", "accept": "0.5d"}
        # Fri 13 Feb 16:00: 14 Feb 1, 24-27 Feb 2-5, 28 Feb 6, 2-5 Mar 7-10.
        due = tk.due(
            Stage.RESOLVE, t(2, 13, 16), "normal", "tax", kind="consult", limits=item
        )
        assert due == t(3, 5, 17, 30)
        # A stage the item does not name falls back to the policy.
        reply = tk.due(Stage.REPLY, t(2, 13, 16), "normal", "tax", limits=item)
        assert reply == t(2, 14, 17, 30)


class TestHourLimitsAlwaysCountOfficeHours:
    @pytest.mark.parametrize("policy", [DEFAULT_POLICY, OFFICE_HOURS_POLICY])
    def test_urgent_acceptance_in_two_hours_over_national_day(
        self, calendar: WorkingCalendar, policy: SlaPolicy
    ) -> None:
        tk = Timekeeping(calendar, policy)
        # Wed 30 Sep 17:00-17:30 0.5 h, Thu 8 Oct 09:00-10:30 1.5 h.
        due = tk.due(Stage.ACCEPT, t(9, 30, 17), "urgent", "tax")
        assert due == t(10, 8, 10, 30)
        assert tk.counting(Stage.ACCEPT, "urgent", "tax") == "office_hours"

    def test_the_centres_dispatch_is_half_a_working_day(
        self, calendar: WorkingCalendar
    ) -> None:
        tk = Timekeeping(calendar)
        # Received Fri 13 Feb 16:00: 1.5 h Friday, 2 h on make-up Sat 14 Feb.
        assert tk.due(Stage.DISPATCH, t(2, 13, 16), "normal", "tax") == t(2, 14, 11)
        assert tk.counting(Stage.DISPATCH, "normal", "tax") == "office_hours"

    def test_counting_names_the_convention_of_each_default_stage(self) -> None:
        tk = Timekeeping(CALENDAR_2026)
        named = {
            stage: tk.counting(stage, Priority.NORMAL, Category.TAX) for stage in Stage
        }
        assert named == {
            Stage.DISPATCH: "office_hours",
            Stage.ACCEPT: "next_day",
            Stage.FIRST_RESPONSE: "next_day",
            Stage.RESOLVE: "next_day",
            Stage.REPLY: "next_day",
            Stage.EVALUATION: "next_day",
            Stage.CALLBACK: "next_day",
            Stage.RECTIFY: "next_day",
            Stage.CLOSE: "next_day",
        }
        office = Timekeeping(CALENDAR_2026, OFFICE_HOURS_POLICY)
        assert {office.counting(stage, "normal", "tax") for stage in Stage} == {
            "office_hours"
        }
        assert all(
            type(tk.counting(Stage.RESOLVE, "normal", "tax", kind=kind)) is str
            for kind in AppealKind
        )


class TestPausesStillMoveDeadlinesByOfficeTime:
    def test_a_next_day_deadline_moved_by_a_days_pause(self) -> None:
        tk = Timekeeping(CALENDAR_2026)
        due = tk.due(Stage.RESOLVE, t(9, 29, 10), "normal", "tax")
        # Wed 30 Sep 1, Thu 8 Oct 2, Fri 9 3, Sat 10 4, Mon 12 5.
        assert due == t(10, 12, 17, 30)
        # 7 office hours from a close of business end at the next one.
        assert tk.moved(due, tk.working_time(t(9, 30, 10), t(10, 8, 10))) == (
            t(10, 13, 17, 30)
        )


def test_an_items_limit_that_is_not_a_limit_is_refused() -> None:
    tk = Timekeeping(CALENDAR_2026)
    with pytest.raises(InvalidLimitError):
        tk.due(Stage.RESOLVE, t(3, 2, 10), "normal", "tax", limits={"resolve": "soon"})
