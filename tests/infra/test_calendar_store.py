"""Loaded official schedules live in the database, on both stores, and change
new deadlines without rewriting recorded ones."""

from __future__ import annotations

from datetime import date, datetime

from appeals.application.queries import appeal_view
from appeals.application.service import AppealLedger, CommandResult
from appeals.bootstrap import open_ledger
from appeals.domain import commands as cmd
from appeals.domain.values import Category, Channel, Priority
from appeals.infra.calendar_data import parse_schedules
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.infra.settings import Settings
from tests.domain.lifecycle_fixtures import DISPATCHER, INTAKE, UNIT, USCC
from tests.support.organisation import register_test_organisation

SCHEDULE_2027 = """
[2027]
source = "国务院办公厅关于2027年部分节假日安排的通知"
holidays = ["2027-01-01", "2027-01-04"]
makeup_workdays = ["2027-01-09"]
"""


def assigned_at(ledger: AppealLedger) -> CommandResult:
    """Received and assigned at once: the unit's first-response clock starts."""
    received = receive_at(ledger)
    return ledger.execute(received.appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)


def receive_at(ledger: AppealLedger) -> CommandResult:
    return ledger.receive_appeal(
        cmd.Receive(
            uscc=USCC,
            enterprise_name="昆山某某电子有限公司",
            channel=Channel.PORTAL,
            category=Category.TAX,
            priority=Priority.NORMAL,
            title="跨年退税",
        ),
        INTAKE,
    )


def test_the_year_boundary_uses_the_package_estimate_until_a_schedule_is_loaded(
    settings: Settings,
) -> None:
    clock = FixedClock(datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI))
    with open_ledger(settings, clock=clock) as ledger:
        register_test_organisation(ledger)
        calendar = ledger.rules.timekeeping.calendar
        assert calendar.is_provisional(date(2027, 1, 4))
        before = ledger.get(assigned_at(ledger).appeal_id)
        # The package estimates 1 Jan 2027 as a holiday and knows no make-up days.
        assert before.first_response_due == datetime(
            2027, 1, 4, 17, 30, tzinfo=SHANGHAI
        )

        ledger.calendars.save(parse_schedules(SCHEDULE_2027), clock.now())
        ledger.reload_calendar()
        assert not ledger.rules.timekeeping.calendar.is_provisional(date(2027, 1, 4))
        after = ledger.get(assigned_at(ledger).appeal_id)
        assert after.first_response_due == datetime(2027, 1, 5, 17, 30, tzinfo=SHANGHAI)
        # What the first unit was told stands.
        assert ledger.get(before.id).first_response_due == before.first_response_due

    with open_ledger(settings, clock=clock) as restarted:
        (schedule,) = restarted.calendars.load()
        assert schedule.makeup_workdays == frozenset({date(2027, 1, 9)})
        assert restarted.rules.timekeeping.calendar.is_working_day(date(2027, 1, 9))


def test_an_assignment_records_deadlines_through_the_store(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI))
    appeal_id = receive_at(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    appeal = ledger.get(appeal_id)
    assert appeal.accept_due == datetime(2026, 10, 8, 17, 30, tzinfo=SHANGHAI)
    assert appeal.resolve_due == datetime(2026, 10, 13, 17, 30, tzinfo=SHANGHAI)
    stages = {s["stage"] for s in appeal_view(ledger, appeal_id)[1]}
    assert stages == {"dispatch", "first_response", "accept", "resolve"}
