"""Deadlines recorded in the events, with real 2026 dates (the State Council's
notice for 2026: Spring Festival 15-23 Feb with make-up Saturdays 14 and 28
Feb; National Day 1-7 Oct with make-up Sunday 20 Sep and Saturday 10 Oct).

Office hours are 09:00-12:00 and 13:30-17:30 (7 working hours a day). The
default policy counts whole days from the next day (次日起): due at 17:30 of
the Nth working day after the start date; hour limits and pauses count office
time. tests/domain/test_counting.py checks both conventions in detail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from appeals.domain import events as ev
from appeals.domain.appeal import Appeal
from appeals.domain.commands import (
    Accept,
    Assign,
    DecideExtension,
    Evaluate,
    NoteProgress,
    Pause,
    Reopen,
    Reply,
    RequestExtension,
    Resolve,
    Resume,
    Return,
)
from appeals.domain.timeliness import timeliness
from appeals.domain.values import Channel, Outcome, Priority, Satisfaction
from tests.builders import when
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    SUPERVISOR,
    TK,
    UNIT,
    receive,
    t,
)


def last_event(appeal: Appeal) -> Any:
    return appeal.collect_events()[-1]


def test_receipt_records_the_dispatch_deadline_and_policy_version() -> None:
    appeal = receive(t(2, 13, 10))
    event = last_event(appeal)
    # The centre's half day (3.5 working hours): 10:00-12:00, 13:30-15:00.
    assert event.dispatch_due == t(2, 13, 15)
    assert event.first_response_due is None  # the unit's clock starts later
    assert event.sla_version == "domain-defaults-3"
    when(appeal, Assign(UNIT, None), DISPATCHER, t(2, 13, 10))
    # Next-day 1d from Friday 13 Feb: make-up Saturday 14 Feb 1 → 14 Feb 17:30.
    assert last_event(appeal).first_response_due == t(2, 14, 17, 30)


def test_deadlines_across_spring_festival_2026() -> None:
    appeal = receive(t(2, 13, 10))
    when(appeal, Assign(UNIT, None), DISPATCHER, t(2, 13, 10))
    event = last_event(appeal)
    assert event.accept_due == t(2, 14, 17, 30)
    # Sat 14 Feb (make-up) 1, 15-23 Feb off, Tue 24 2, Wed 25 3, Thu 26 4, Fri 27 5.
    assert event.resolve_due == t(2, 27, 17, 30)


def test_deadlines_across_national_day_2026() -> None:
    appeal = receive(t(9, 30, 10))
    when(appeal, Assign(UNIT, None), DISPATCHER, t(9, 30, 10))
    event = last_event(appeal)
    assert event.accept_due == t(10, 8, 17, 30)
    # 1-7 Oct off; Thu 8 Oct 1, Fri 9 2, Sat 10 (make-up) 3, Mon 12 4, Tue 13 5.
    assert event.resolve_due == t(10, 13, 17, 30)


def test_the_make_up_sunday_before_national_day_counts() -> None:
    appeal = receive(t(9, 18, 16))
    when(appeal, Assign(UNIT, None), DISPATCHER, t(9, 18, 16))
    event = last_event(appeal)
    # From Friday 18 Sep: Sun 20 (make-up) 1, Mon 21 2, Tue 22 3, Wed 23 4, Thu 24 5.
    assert event.accept_due == t(9, 20, 17, 30)
    assert event.resolve_due == t(9, 24, 17, 30)


def assigned_at(at: datetime) -> Any:
    appeal = receive(at)
    when(appeal, Assign(UNIT, None), DISPATCHER, at)
    return last_event(appeal)


def test_the_time_of_day_of_the_start_does_not_matter_when_counting_days() -> None:
    late = assigned_at(t(9, 11, 17, 29))  # Friday, a minute before closing: Mon 14 1
    assert late.first_response_due == t(9, 14, 17, 30)
    lunch = assigned_at(t(9, 14, 12, 15))  # Monday lunch: Tue 15 1
    assert lunch.first_response_due == t(9, 15, 17, 30)
    early = assigned_at(t(9, 14, 7, 0))  # Monday before opening: still Tue 15 1
    assert early.first_response_due == t(9, 15, 17, 30)
    holiday = assigned_at(t(10, 3, 11))  # a holiday Saturday: Thu 8 Oct 1
    assert holiday.first_response_due == t(10, 8, 17, 30)


def test_urgent_appeals_must_be_accepted_within_two_working_hours() -> None:
    appeal = receive(t(9, 14, 11), Priority.URGENT)
    when(appeal, Assign(UNIT, None), DISPATCHER, t(9, 14, 11))
    event = last_event(appeal)
    assert event.accept_due == t(9, 14, 14, 30)  # 1 h before lunch, 1 h after
    assert event.resolve_due == t(9, 15, 17, 30)  # urgent 1d: Tue 15 Sep 1


def in_progress_at(at: datetime) -> Appeal:
    appeal = receive(at)
    when(appeal, Assign(UNIT, None), DISPATCHER, at)
    when(appeal, Accept(), HANDLER, at + timedelta(minutes=30))
    return appeal


def test_a_pause_spanning_national_day_moves_the_deadline_by_working_time() -> None:
    appeal = in_progress_at(t(9, 29, 10))
    # From Tue 29 Sep: Wed 30 1, 1-7 Oct off, Thu 8 2, Fri 9 3, Sat 10 4, Mon 12 5.
    assert appeal.resolve_due == t(10, 12, 17, 30)
    when(appeal, Pause("请补充材料"), HANDLER, t(9, 30, 10))
    when(appeal, Resume("已补充"), HANDLER, t(10, 8, 10))
    event = last_event(appeal)
    # 30 Sep 10:00-17:30 is 6 working hours, 8 Oct 09:00-10:00 one more.
    assert event.paused_seconds == 7 * 3600
    # Moved by 7 office hours from Mon 12 Oct 17:30: Tue 13 Oct 17:30.
    assert event.resolve_due == t(10, 13, 17, 30)


def test_an_approved_extension_replaces_the_resolve_deadline() -> None:
    appeal = in_progress_at(t(9, 14, 10))
    when(appeal, RequestExtension(t(9, 22, 17, 30), "会商"), HANDLER, t(9, 15, 10))
    when(appeal, DecideExtension(True), SUPERVISOR, t(9, 15, 11))
    assert appeal.resolve_due == t(9, 22, 17, 30)


def test_a_reopen_starts_a_fresh_resolve_cycle() -> None:
    appeal = in_progress_at(t(9, 14, 10))
    when(appeal, Resolve(Outcome.RESOLVED, "已办"), HANDLER, t(9, 16, 10))
    assert last_event(appeal).reply_due == t(9, 17, 17, 30)
    when(appeal, Reply(Channel.HOTLINE, "告知"), HANDLER, t(9, 16, 11))
    # Thu 17 Sep 1, Fri 18 2, then the make-up Sunday 20 Sep 3.
    assert last_event(appeal).evaluation_due == t(9, 20, 17, 30)
    when(appeal, Evaluate(False, Satisfaction.UNSATISFIED, ""), ENTERPRISE, t(9, 17, 9))
    reopened = last_event(appeal)
    assert type(reopened) is ev.Reopened
    # A 差评 goes back for 核实整改 within 7 working days: reopened Thu 17 Sep
    # 09:00: Fri 18 1, Sun 20 (make-up) 2, Mon 21 3, Tue 22 4, Wed 23 5, Thu 24
    # 6, then the Mid-Autumn holiday (Fri 25 - Sun 27), Mon 28 7.
    assert reopened.rectification
    assert reopened.resolve_due == t(9, 28, 17, 30)


def test_a_supervisors_reopen_gets_the_resolve_limit() -> None:
    appeal = in_progress_at(t(9, 14, 10))
    when(appeal, Resolve(Outcome.RESOLVED, "已办"), HANDLER, t(9, 16, 10))
    when(appeal, Reopen("复核"), SUPERVISOR, t(9, 17, 9))
    reopened = last_event(appeal)
    assert not reopened.rectification
    # Fri 18 1, Sun 20 (make-up) 2, Mon 21 3, Tue 22 4, Wed 23 5.
    assert reopened.resolve_due == t(9, 23, 17, 30)


def test_a_reassignment_after_a_return_restarts_acceptance_for_the_new_unit() -> None:
    appeal = receive(t(9, 14, 10))
    when(appeal, Assign(UNIT, None), DISPATCHER, t(9, 14, 10))
    when(appeal, Return("不属本单位"), HANDLER, t(9, 15, 9, 30))
    when(appeal, Assign("SZ-SWJ", None), DISPATCHER, t(9, 16, 10))
    assert appeal.accept_due == t(9, 17, 17, 30)  # Thu 17 Sep 1
    events = appeal.collect_events()
    stages = timeliness(events, t(9, 16, 11), TK)
    accepts = [s for s in stages if s["stage"] == "accept"]
    assert [(s["unit"], s["ended_by"]) for s in accepts] == [
        (UNIT, "returned"),
        ("SZ-SWJ", None),
    ]
    # The returning unit held it from Monday 10:00 to Tuesday 09:30: 6.5 h.
    assert accepts[0]["working_seconds"] == int(6.5 * 3600)


def test_timeliness_reports_met_late_and_overdue_stages() -> None:
    appeal = receive(t(9, 14, 10))
    when(appeal, Assign(UNIT, None), DISPATCHER, t(9, 14, 10))
    when(appeal, Accept(), HANDLER, t(9, 16, 10))  # due Tue 15 Sep 17:30
    when(appeal, NoteProgress("已联系企业"), HANDLER, t(9, 16, 11))
    events = appeal.collect_events()
    report = {s["stage"]: s for s in timeliness(events, t(9, 22, 10), TK)}
    assert report["accept"]["on_time"] is False
    assert report["accept"]["overdue_seconds"] == 1 * 3600  # 16 Sep 09:00-10:00
    assert report["first_response"]["on_time"] is False
    resolve = report["resolve"]
    # Tue 15 1, Wed 16 2, Thu 17 3, Fri 18 4, Sun 20 (make-up) 5.
    assert resolve["due"] == t(9, 20, 17, 30).isoformat()
    assert resolve["overdue_now"] is True
    # 21 Sep (7 h), 22 Sep 09:00-10:00 (1 h).
    assert resolve["overdue_seconds"] == 8 * 3600


def test_time_paused_does_not_count_and_a_paused_stage_is_not_overdue() -> None:
    appeal = in_progress_at(t(9, 14, 10))
    when(appeal, Pause("等待企业补充"), HANDLER, t(9, 15, 10))
    events = appeal.collect_events()
    now = t(9, 28, 10)  # long after the original 20 Sep 17:30 deadline
    resolve = next(s for s in timeliness(events, now, TK) if s["stage"] == "resolve")
    assert resolve["paused_now"] is True
    assert resolve["overdue_now"] is False
    assert resolve["working_seconds"] == 7 * 3600


def test_a_deadline_in_an_estimated_year_is_marked_provisional() -> None:
    # The test calendar holds 2026 only: 2027 is estimated, never an error.
    appeal = receive(t(12, 29, 10))
    when(appeal, Assign(UNIT, None), DISPATCHER, t(12, 29, 11))
    received, assigned = appeal.collect_events()
    assert received.provisional is False
    assert assigned.resolve_due.year == 2027
    assert assigned.provisional is True  # the event's deadlines: one is estimated
    stages = timeliness([received, assigned], t(12, 30, 9), TK)
    flags = {s["stage"]: s["provisional"] for s in stages}
    assert flags == {
        "dispatch": False,
        "first_response": True,  # recorded with the (estimated) assignment
        "accept": True,
        "resolve": True,
    }


def test_an_event_stored_before_the_provisional_field_reads_false() -> None:
    appeal = in_progress_at(t(9, 14, 10))
    state = dict(appeal.collect_events()[1].__dict__)
    del state["provisional"]
    old = object.__new__(ev.Assigned)  # as the library decodes a stored event
    object.__setattr__(old, "__dict__", state)
    assert old.provisional is False
