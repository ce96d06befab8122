"""The centre's dispatch stage and 当场办 in the views: folded purely from
real events (2026 calendar, tests/builders.py's directory), then the readers
on SQLite and PostgreSQL.

Mon 14 Sep 2026 10:00 receipts: the centre's half day (210 working minutes)
ends at 15:00 the same day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from appeals.application.service import AppealLedger
from appeals.bootstrap import due_cycles_of
from appeals.domain import commands as cmd
from appeals.domain.commands import (
    Accept,
    AnswerOnTheSpot,
    Assign,
    Escalate,
    Evaluate,
    NoteProgress,
    Return,
)
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.values import SYSTEM_ACTOR, Satisfaction
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.projections import accountability, appeal_list, overdue
from appeals.projections import timeliness as timeliness_view
from appeals.projections.runtime.model import fold
from tests.builders import CADRE, DIRECTORY, ITEM, TAX_UNIT, when
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    INTAKE,
    OTHER_HANDLER,
    SUPERVISOR,
    TK,
    UNIT,
    receive,
    t,
)
from tests.support.reports import appeal, at, project
from tests.support.views import PROJECTIONS, events, folded, stored

DISPATCH = ("dispatched", "dispatched_on_time", "dispatch_working_seconds")


def daily(history: list[Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The accountability rows by (unit, day)."""
    rows = fold(accountability.projection(TK), history).rows("accountability_daily")
    return {(r["unit"], r["day"]): r for r in rows}


def late_dispatch_prompt_unit() -> list[Any]:
    """The centre dispatches 3.5 working hours late (after a reminder); the
    unit responds an hour after getting the appeal."""
    appeal = receive(t(9, 14, 10))
    when(appeal, Escalate("dispatch", 0), SYSTEM_ACTOR, t(9, 14, 16))
    when(appeal, Assign(UNIT, CADRE), DISPATCHER, t(9, 15, 10))
    when(appeal, Accept(), HANDLER, t(9, 15, 11))
    when(appeal, NoteProgress("已联系企业"), HANDLER, t(9, 15, 11))
    return list(appeal.collect_events())


def test_the_centres_dispatch_is_its_own_row_and_never_a_units() -> None:
    rows = daily(late_dispatch_prompt_unit())
    assert set(rows) == {
        (CENTRE_UNIT, "2026-09-14"),
        (CENTRE_UNIT, "2026-09-15"),
        (UNIT, "2026-09-15"),
    }
    assert rows[(CENTRE_UNIT, "2026-09-14")]["escalated"] == 1
    centre = rows[(CENTRE_UNIT, "2026-09-15")]
    assert [centre[name] for name in DISPATCH] == [1, 0, 7 * 3600]  # a working day
    assert (centre["cadre"], centre["assigned"], centre["responses_due"]) == ("", 0, 0)
    unit = rows[(UNIT, "2026-09-15")]
    assert [unit[name] for name in DISPATCH] == [0, 0, 0]
    assert unit["escalated"] == 0
    # Counted from the assignment, the unit's response was on time; counted
    # from receipt (the old clock: due 15 Sep 10:00) it would have been late.
    assert (unit["assigned"], unit["responses_due"], unit["responded_on_time"]) == (
        1,
        1,
        1,
    )


def test_answers_on_the_spot_are_the_centres_direct_answers() -> None:
    appeal = receive(t(9, 14, 10))
    when(appeal, AnswerOnTheSpot(ITEM), INTAKE, t(9, 14, 11))
    when(appeal, Evaluate(True, Satisfaction.SATISFIED), ENTERPRISE, t(9, 15, 10))
    history = list(appeal.collect_events())
    rows = daily(history)
    assert set(rows) == {(CENTRE_UNIT, "2026-09-14"), (CENTRE_UNIT, "2026-09-15")}
    answered = rows[(CENTRE_UNIT, "2026-09-14")]
    assert answered["answered_on_the_spot"] == 1  # 直接答复
    assert [answered[name] for name in DISPATCH] == [1, 1, 3600]
    assert answered["assigned"] == 0
    evaluated = rows[(CENTRE_UNIT, "2026-09-15")]
    assert (evaluated["evaluated"], evaluated["satisfied"]) == (1, 1)
    (row,) = fold(appeal_list.PROJECTION, history).rows("appeal_list")
    assert (row["status"], row["unit"]) == ("evaluated", None)


def returned_at(returned: datetime) -> list[Any]:
    appeal = receive(t(9, 14, 10))
    when(appeal, Assign(UNIT), DISPATCHER, t(9, 14, 10))  # response due 15 Sep 10:00
    when(appeal, Return("非本单位职责"), HANDLER, returned)
    when(appeal, Assign(TAX_UNIT), DISPATCHER, t(9, 16, 11))
    when(appeal, Accept(), OTHER_HANDLER, t(9, 16, 14))
    when(appeal, NoteProgress("已联系企业"), OTHER_HANDLER, t(9, 16, 14))
    return list(appeal.collect_events())


def test_a_return_before_the_response_deadline_owes_no_response() -> None:
    rows = daily(returned_at(t(9, 14, 16)))
    returning = rows[(UNIT, "2026-09-14")]
    assert (returning["returned"], returning["responses_due"]) == (1, 0)
    new_unit = rows[(TAX_UNIT, "2026-09-16")]
    assert (new_unit["responses_due"], new_unit["responded_on_time"]) == (1, 1)
    # The centre held the bounced appeal from the return to the re-assignment.
    assert rows[(CENTRE_UNIT, "2026-09-16")]["dispatched"] == 1


def test_a_return_after_the_response_deadline_is_a_missed_response() -> None:
    rows = daily(returned_at(t(9, 16, 10)))
    returning = rows[(UNIT, "2026-09-16")]
    assert (returning["returned"], returning["responses_due"]) == (1, 1)
    assert returning["responded_on_time"] == 0


def test_the_readers_show_the_centres_dispatch_on_both_stores(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    ledger.rules = replace(ledger.rules, directory=DIRECTORY)
    at(clock, 9, 14, 10)
    answered = appeal(ledger, clock)  # 10:01
    ledger.execute(answered, cmd.AnswerOnTheSpot(item=ITEM), INTAKE)
    late = appeal(ledger, clock)  # dispatch due 15:02
    waiting = appeal(ledger, clock)  # never dispatched: due 15:03
    at(clock, 9, 14, 16)
    ledger.execute(late, cmd.Assign(unit=UNIT), DISPATCHER)
    at(clock, 9, 15, 10)
    head = project(ledger)

    for projection in PROJECTIONS:
        assert stored(ledger, projection) == folded(projection, events(ledger))

    september = (date(2026, 9, 1), date(2026, 9, 30))
    seen, units = accountability.report(
        ledger.database, "unit", "month", *september, None
    )
    assert seen == head
    by_unit = {item["unit"]: item for item in units}
    centre = by_unit[CENTRE_UNIT]
    assert (centre["dispatched"], centre["dispatched_on_time"]) == (2, 1)
    assert centre["answered_on_the_spot"] == 1
    assert (by_unit[UNIT]["assigned"], by_unit[UNIT]["dispatched"]) == (1, 0)

    _, stages = timeliness_view.report(
        ledger.database, *september, SHANGHAI, [("stage", "dispatch")], "unit"
    )
    assert [(s["unit"], s["completed"], s["on_time"]) for s in stages] == [
        (CENTRE_UNIT, 2, 1)
    ]

    now = clock.now()
    _, report = overdue.report(
        ledger.database, ledger.rules.timekeeping, now, [("stage", "dispatch")], None
    )
    assert [(i["ticket"], i["unit"]) for i in report.items] == [
        (ledger.get(waiting).ticket, CENTRE_UNIT)
    ]
    assert {(c.appeal_id, c.stage) for c in due_cycles_of(ledger)(now)} >= {
        (waiting, "dispatch")
    }

    _, rows = appeal_list.read_page(ledger.database, appeal_list.ListQuery())
    statuses = {row["appeal_id"]: row["status"] for row in rows}
    assert statuses[str(answered)] == "replied"
    assert statuses[str(waiting)] == "received"


def test_what_happens_while_a_returned_appeal_waits_is_not_the_returning_units() -> (
    None
):
    """D5: after a 退单 the appeal is with nobody until the next assignment;
    a supervisor's urging meanwhile is not charged to the unit that returned
    it (nor to the unit it goes to next), and the returning unit keeps only
    its own bounced stages."""
    appeal = receive(t(9, 14, 10))
    when(appeal, Assign(UNIT, CADRE), DISPATCHER, t(9, 14, 10))
    when(appeal, Return("非本单位职责"), HANDLER, t(9, 14, 16))
    when(appeal, cmd.Supervise(1, "请尽快转办"), SUPERVISOR, t(9, 15, 10))
    when(appeal, Assign(TAX_UNIT), DISPATCHER, t(9, 16, 11))
    history = list(appeal.collect_events())
    rows = daily(history)
    supervised = {unit: r["supervised"] for (unit, _), r in rows.items()}
    assert supervised.get(UNIT, 0) == supervised.get(TAX_UNIT, 0) == 0
    assert supervised[""] == 1  # unassigned: no unit is charged
    returning = rows[(UNIT, "2026-09-14")]
    assert (returning["returned"], returning["assigned"]) == (1, 1)
    cycles = fold(timeliness_view.projection(TK), history).rows("timeliness_cycles")
    bounced = {(c["stage"], c["cycle"]): c for c in cycles}
    assert (bounced[("accept", 1)]["unit"], bounced[("accept", 1)]["cadre"]) == (
        UNIT,
        CADRE,
    )
    assert bounced[("accept", 2)]["unit"] == TAX_UNIT
    assert bounced[("dispatch", 2)]["unit"] == CENTRE_UNIT
