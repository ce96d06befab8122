"""Co-handling in the views (both stores): each co-unit's part is a cycle of
its own in the timeliness view, completed when the part is reported, ended
when waived, so the stored view agrees with GET /appeals/{id}."""

from __future__ import annotations

from appeals.application.service import AppealLedger
from appeals.domain import commands as cmd
from appeals.domain.values import Actor, Outcome, Role
from appeals.infra.clock import FixedClock
from appeals.projections import timeliness
from appeals.projections.reading import live_table
from appeals.projections.runtime.storage import transaction
from tests.builders import MARKET_UNIT, TAX_UNIT
from tests.domain.lifecycle_fixtures import HANDLER, SUPERVISOR, UNIT
from tests.support.reports import assigned, project


def test_each_part_is_its_own_cycle_in_the_timeliness_view(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = assigned(ledger, clock, 14)
    ledger.execute(appeal_id, cmd.Return(reason="改派协办"), HANDLER)
    dispatcher = Actor("d", Role.DISPATCHER, "派单")
    ledger.execute(
        appeal_id, cmd.Assign(unit=UNIT, co_units=(TAX_UNIT, MARKET_UNIT)), dispatcher
    )
    tax = Actor("t", Role.HANDLER, "市税务局 赵四", unit=TAX_UNIT)
    ledger.execute(appeal_id, cmd.Accept(), HANDLER)
    ledger.execute(appeal_id, cmd.ReportPart(report="已核实"), tax)
    ledger.execute(
        appeal_id, cmd.WaivePart(unit=MARKET_UNIT, reason="不涉及"), SUPERVISOR
    )
    ledger.execute(
        appeal_id, cmd.Resolve(outcome=Outcome.RESOLVED, result="已办"), HANDLER
    )
    project(ledger)
    table = live_table(ledger.database, timeliness.CYCLES)
    with transaction(ledger.database, write=False) as sql:
        rows = sql.execute(
            f"SELECT stage, unit, completed_at IS NOT NULL, ended_by FROM {table} "
            "WHERE appeal_id = ? AND stage IN ('co_accept', 'co_report') "
            "ORDER BY stage, unit",
            [str(appeal_id)],
        ).all()
    assert [tuple(r) for r in rows] == [
        ("co_accept", MARKET_UNIT, 0, "waived"),
        ("co_accept", TAX_UNIT, 1, None),
        ("co_report", MARKET_UNIT, 0, "waived"),
        ("co_report", TAX_UNIT, 1, None),
    ]
