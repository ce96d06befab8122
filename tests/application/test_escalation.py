"""The escalation scheduler on real stores, with a controlled clock across
National Day 2026 (1-7 Oct off; make-up Saturday 10 Oct)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest

from appeals.application.escalation import Action, RunResult, plan, run_once
from appeals.application.service import AppealLedger
from appeals.bootstrap import due_cycles_of, open_ledger, warnable_cycles_of
from appeals.domain import commands as cmd
from appeals.domain.appeal import Appeal
from appeals.domain.deadlines import Timekeeping
from appeals.domain.errors import CommandNotAllowed
from appeals.domain.values import SYSTEM_ACTOR, Channel, Outcome
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.infra.settings import Settings
from appeals.projections import overdue
from appeals.projections.due_cycles import OpenCycle
from tests.builders import receive
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    HANDLER,
    SUPERVISOR,
    TK,
    UNIT,
)
from tests.support.organisation import register_test_organisation


def run_pass(
    ledger: AppealLedger,
    *,
    dry_run: bool = False,
    on_action: Callable[[Action, bool], None] | None = None,
) -> RunResult:
    """One scheduler pass as ``appeals escalate run`` makes it."""
    return run_once(ledger, due_cycles_of(ledger), dry_run=dry_run, on_action=on_action)


def at(clock: FixedClock, month: int, day: int, hour: int, minute: int = 0) -> None:
    clock.set(datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI))


def due_before_national_day(ledger: AppealLedger, clock: FixedClock) -> UUID:
    """Assigned Tue 22 Sep 10:00: resolve due at the close of Wed 30 Sep
    (from the next day: 23, 24, (25 Mid-Autumn), 28, 29, 30 Sep)."""
    at(clock, 9, 22, 10)
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    at(clock, 9, 22, 11)
    ledger.execute(appeal_id, cmd.Accept(), HANDLER)
    ledger.execute(appeal_id, cmd.NoteProgress(note="已联系企业"), HANDLER)
    return appeal_id


def rungs(ledger: AppealLedger, appeal_id: UUID) -> list[tuple[str, int, str]]:
    return [
        (e.stage, e.level, e.timestamp.strftime("%m-%d %H:%M"))
        for e in ledger.history(appeal_id)
        if isinstance(e, Appeal.Escalated)
    ]


def test_escalations_land_on_working_days_only_and_a_rerun_changes_nothing(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = due_before_national_day(ledger, clock)
    # Passes each morning; a rung is recorded at the first pass in office
    # hours after it is due (1 day late: close of 8 Oct; 3: close of the
    # make-up Saturday 10 Oct; 5: close of 13 Oct).
    for month, day, hour in [(9, 30, 14), (10, 5, 10), (10, 8, 10), (10, 9, 10),
                             (10, 10, 10), (10, 12, 10), (10, 14, 10)]:  # fmt: skip
        at(clock, month, day, hour)
        run_pass(ledger)
    assert rungs(ledger, appeal_id) == [
        ("resolve", 0, "10-08 10:00"),
        ("resolve", 1, "10-09 10:00"),
        ("resolve", 2, "10-12 10:00"),
        ("resolve", 3, "10-14 10:00"),
    ]
    version = ledger.get(appeal_id).version
    result = run_pass(ledger)
    assert (result.planned, result.recorded) == (0, 0)
    assert ledger.get(appeal_id).version == version


def test_a_late_pass_records_every_rung_due_in_ladder_order(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = due_before_national_day(ledger, clock)
    at(clock, 10, 14, 10)  # the scheduler was down for two weeks
    result = run_pass(ledger)
    assert result.recorded == 4
    assert [level for _, level, _ in rungs(ledger, appeal_id)] == [0, 1, 2, 3]


def test_a_stage_at_the_top_rung_is_neither_read_nor_measured_again(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    # Rung 2 is due at the close of the make-up Saturday 10 Oct, rung 3 at
    # the close of 13 Oct; after it, the stage is still late (the overdue
    # report lists it) but the scheduler's reader leaves it out.
    appeal_id = due_before_national_day(ledger, clock)
    due = due_cycles_of(ledger)
    at(clock, 10, 13, 10)
    run_pass(ledger)
    assert [(c.appeal_id, c.escalation_level) for c in due(clock.now())] == [
        (appeal_id, 2)
    ]
    at(clock, 10, 14, 10)
    run_pass(ledger)
    assert due(clock.now()) == []
    tk = ledger.rules.timekeeping
    late = overdue.report(ledger.database, tk, clock.now(), [], 50)[1]
    assert [row["appeal_id"] for row in late.items] == [str(appeal_id)]


def test_planning_measures_only_the_stages_with_a_rung_left() -> None:
    measured: list[datetime] = []

    @dataclass(frozen=True)
    class Measuring(Timekeeping):
        def working_time(self, start: datetime, end: datetime) -> timedelta:
            measured.append(start)
            return super().working_time(start, end)

    tk = Measuring(TK.calendar, TK.policy)
    now = datetime(2026, 10, 14, 10, tzinfo=SHANGHAI)
    at_top, below = (
        OpenCycle(
            uuid4(),
            ticket,
            "resolve",
            datetime(2026, 9, day, 17, tzinfo=SHANGHAI),
            level,
        )
        for ticket, day, level in (("A", 29, 3), ("B", 30, 2))
    )
    actions = plan([at_top, below], now, tk)
    assert [(a.ticket, a.level) for a in actions] == [("B", 3)]
    assert below.due in measured
    assert at_top.due not in measured


def test_nothing_is_recorded_outside_office_hours(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    due_before_national_day(ledger, clock)
    at(clock, 10, 3, 10)  # a holiday Saturday
    assert run_pass(ledger).planned == 0
    at(clock, 10, 8, 8, 30)  # before opening
    assert run_pass(ledger).planned == 0
    at(clock, 10, 8, 9, 0)
    assert run_pass(ledger).planned == 1  # the reminder; 1 h late is not a day


def test_two_schedulers_racing_record_each_rung_once(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeals = [due_before_national_day(ledger, clock) for _ in range(5)]
    at(clock, 10, 14, 10)
    barrier = threading.Barrier(2)

    def scheduler() -> None:
        barrier.wait()
        run_pass(ledger)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for appeal_id in appeals:
        assert [level for _, level, _ in rungs(ledger, appeal_id)] == [0, 1, 2, 3]


def test_a_restart_in_the_middle_skips_nothing_and_repeats_nothing(
    settings: Settings, clock: FixedClock
) -> None:
    with open_ledger(settings, clock=clock) as first:
        register_test_organisation(first)
        appeal_id = due_before_national_day(first, clock)
        at(clock, 10, 8, 10)
        run_pass(first)
    with open_ledger(settings, clock=clock) as second:
        at(clock, 10, 14, 10)
        run_pass(second)
        run_pass(second)
        assert [lv for _, lv, _ in rungs(second, appeal_id)] == [0, 1, 2, 3]


def test_a_paused_appeal_waits_and_its_ladder_moves_after_resuming(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = due_before_national_day(ledger, clock)
    at(clock, 9, 29, 10)
    ledger.execute(appeal_id, cmd.Pause(reason="请企业补充材料"), HANDLER)
    at(clock, 10, 12, 10)
    assert run_pass(ledger).planned == 0
    ledger.execute(appeal_id, cmd.Resume(note="已补充"), HANDLER)
    # Paused 29 Sep 10:00 - 12 Oct 10:00: 6 + 7 (30 Sep) + 7 + 7 + 7 (8, 9
    # and the make-up Saturday 10 Oct) + 1 = 35 h; the deadline moves from
    # the close of 30 Sep by 35 working hours to the close of 13 Oct.
    assert ledger.get(appeal_id).resolve_due == datetime(
        2026, 10, 13, 17, 30, tzinfo=SHANGHAI
    )
    at(clock, 10, 13, 10)
    assert run_pass(ledger).planned == 0
    at(clock, 10, 15, 10)
    run_pass(ledger)
    assert [lv for _, lv, _ in rungs(ledger, appeal_id)] == [0, 1]


def test_an_extension_moves_the_ladder_and_a_resolved_stage_stops(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = due_before_national_day(ledger, clock)
    at(clock, 9, 29, 10)
    ledger.execute(
        appeal_id,
        cmd.RequestExtension(
            requested_deadline=datetime(2026, 10, 9, 17, 30, tzinfo=SHANGHAI),
            reason="需会商",
        ),
        HANDLER,
    )
    ledger.execute(appeal_id, cmd.DecideExtension(approve=True), SUPERVISOR)
    at(clock, 10, 9, 10)
    assert run_pass(ledger).planned == 0
    at(clock, 10, 10, 11, 30)  # 2.5 working hours past the new deadline
    run_pass(ledger)
    ledger.execute(
        appeal_id, cmd.Resolve(outcome=Outcome.RESOLVED, result="已办结"), HANDLER
    )
    at(clock, 10, 30, 10)
    run_pass(ledger)
    resolve_rungs = [
        lv for stage, lv, _ in rungs(ledger, appeal_id) if stage == "resolve"
    ]
    assert resolve_rungs == [0]


def test_evaluation_windows_lapse_and_a_dry_run_changes_nothing(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = due_before_national_day(ledger, clock)
    at(clock, 9, 28, 10)
    ledger.execute(
        appeal_id, cmd.Resolve(outcome=Outcome.RESOLVED, result="已办结"), HANDLER
    )
    ledger.execute(
        appeal_id, cmd.Reply(channel=Channel.HOTLINE, content="已告知"), HANDLER
    )
    at(clock, 10, 9, 10)  # the window closed 8 Oct 10:00
    version = ledger.get(appeal_id).version
    seen: list[str] = []
    dry = run_pass(ledger, dry_run=True, on_action=lambda a, _: seen.append(a.kind))
    assert dry.planned == 1
    assert seen == ["lapse_evaluation"]
    assert ledger.get(appeal_id).version == version
    run_pass(ledger)
    appeal = ledger.get(appeal_id)
    assert appeal.evaluation_lapsed
    ledger.execute(appeal_id, cmd.Close(note="评价期满，销号"), DISPATCHER)
    assert ledger.get(appeal_id).status == "closed"


def warnings_of(ledger: AppealLedger, appeal_id: UUID) -> list[tuple[str, str]]:
    return [
        (e.stage, e.timestamp.strftime("%m-%d %H:%M"))
        for e in ledger.history(appeal_id)
        if isinstance(e, Appeal.Warned)
    ]


def test_a_warning_comes_at_four_fifths_of_the_time_once(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """Resolve runs 41 working hours (22 Sep 10:00 to the close of 30 Sep);
    four fifths, 32.8 h, are used at 29 Sep 16:18."""
    appeal_id = due_before_national_day(ledger, clock)
    warnable = warnable_cycles_of(ledger)
    due = due_cycles_of(ledger)
    at(clock, 9, 29, 16, 0)
    assert run_once(ledger, due, warnable=warnable).planned == 0
    at(clock, 9, 29, 16, 30)
    assert run_once(ledger, due, warnable=warnable).recorded == 1
    assert warnings_of(ledger, appeal_id) == [("resolve", "09-29 16:30")]
    at(clock, 9, 30, 10, 0)
    assert run_once(ledger, due, warnable=warnable).planned == 0  # once
    with pytest.raises(CommandNotAllowed, match="already warned"):
        ledger.execute(appeal_id, cmd.Warn("resolve"), SYSTEM_ACTOR)
    at(clock, 10, 8, 10, 0)  # past the deadline: escalation, not warning
    result = run_once(ledger, due, warnable=warnable)
    assert result.recorded == 1
    assert warnings_of(ledger, appeal_id) == [("resolve", "09-29 16:30")]
    assert [level for _, level, _ in rungs(ledger, appeal_id)] == [0]


def test_a_policy_without_warnings_warns_of_nothing(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = due_before_national_day(ledger, clock)
    ledger.rules = replace(
        ledger.rules,
        timekeeping=replace(
            ledger.rules.timekeeping,
            policy=replace(ledger.rules.timekeeping.policy, warning_share=None),
        ),
    )
    at(clock, 9, 30, 16, 0)
    assert (
        run_once(
            ledger, due_cycles_of(ledger), warnable=warnable_cycles_of(ledger)
        ).planned
        == 0
    )
    with pytest.raises(CommandNotAllowed, match="no warnings"):
        ledger.execute(appeal_id, cmd.Warn("resolve"), SYSTEM_ACTOR)
