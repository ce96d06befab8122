"""Routing, the dispatch stage and 当场办 through the application service, on
SQLite and PostgreSQL: a ledger given the registered directory refuses what
is not registered and records nothing; the ledger bootstrap opens routes by
the registries and catalogue in its own store; the scheduler escalates a late
dispatch."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from appeals.application.catalogue import Catalogue
from appeals.application.escalation import run_once
from appeals.application.queries import appeal_view
from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.bootstrap import due_cycles_of, warnable_cycles_of
from appeals.domain import commands as cmd
from appeals.domain.appeal import Appeal
from appeals.domain.errors import InvalidField
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.organisation import RetireUnit
from appeals.domain.values import Satisfaction
from appeals.infra.clock import SHANGHAI, FixedClock
from tests.builders import (
    ADMIN,
    CADRE,
    ITEM,
    MARKET_UNIT,
    TAX_UNIT,
    receive,
)
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    INTAKE,
    UNIT,
)
from tests.support.organisation import JOB_RETENTION


def test_an_unregistered_unit_is_refused_and_nothing_is_recorded(
    routed: AppealLedger,
) -> None:
    appeal_id = receive(routed).appeal_id
    with pytest.raises(InvalidField) as refused:
        routed.execute(appeal_id, cmd.Assign(unit="SZ-RJS"), DISPATCHER)
    assert refused.value.field == "unit"
    assert "是否为 'SZ-RSJ'" in refused.value.reason
    assert len(routed.history(appeal_id)) == 1
    with pytest.raises(InvalidField) as refused:
        routed.execute(appeal_id, cmd.Assign(unit=TAX_UNIT, cadre=CADRE), DISPATCHER)
    assert refused.value.field == "cadre"
    assert routed.get(appeal_id).version == 1


def test_an_item_routes_through_the_store(routed: AppealLedger) -> None:
    appeal_id = receive(routed).appeal_id
    routed.execute(appeal_id, cmd.Assign(item=ITEM), DISPATCHER)
    _, assigned = routed.history(appeal_id)
    assert isinstance(assigned, Appeal.Assigned)
    assert (assigned.unit, assigned.item, assigned.item_version) == (UNIT, ITEM, 2)
    assert list(assigned.co_units) == [TAX_UNIT]
    assert (assigned.kind, assigned.limits) == ("consult", {"resolve": "3d"})
    assert assigned.first_response_due is not None
    view, stages = appeal_view(routed, appeal_id)
    assert view.first_response_due == assigned.first_response_due
    assert [(s["stage"], s["unit"]) for s in stages] == [
        ("dispatch", CENTRE_UNIT),
        ("accept", UNIT),
        ("resolve", UNIT),
        ("first_response", UNIT),
        ("co_accept", TAX_UNIT),  # the co-unit's own clocks (协办)
        ("co_report", TAX_UNIT),
    ]


def test_the_scheduler_reads_no_co_handlers_stage(
    routed: AppealLedger, clock: FixedClock
) -> None:
    # A co-unit's clocks run in the view; the scheduler's readers leave them
    # out, since no warning and no rung is ever recorded for them.
    appeal_id = receive(routed).appeal_id
    routed.execute(appeal_id, cmd.Assign(item=ITEM), DISPATCHER)
    ahead = {c.stage for c in warnable_cycles_of(routed)(clock.now())}
    assert ahead == {"accept", "resolve", "first_response"}
    clock.set(clock.now() + timedelta(days=60))
    _, stages = appeal_view(routed, appeal_id)
    assert {"co_accept", "co_report"} <= {s["stage"] for s in stages}
    read = {c.stage for c in due_cycles_of(routed)(clock.now())}
    assert read == {"accept", "resolve", "first_response"}


def test_answered_on_the_spot_then_evaluated_and_closed(
    routed: AppealLedger,
) -> None:
    appeal_id = receive(routed).appeal_id
    routed.execute(appeal_id, cmd.AnswerOnTheSpot(item=ITEM), INTAKE)
    view, stages = appeal_view(routed, appeal_id)
    assert (view.status, view.unit) == ("replied", None)
    assert view.evaluation_due is not None
    assert [(s["stage"], s["unit"]) for s in stages] == [
        ("dispatch", CENTRE_UNIT),
        ("evaluation", CENTRE_UNIT),
    ]
    routed.execute(
        appeal_id,
        cmd.Evaluate(resolved=True, satisfaction=Satisfaction.SATISFIED),
        ENTERPRISE,
    )
    routed.execute(appeal_id, cmd.Close(), INTAKE)
    assert appeal_view(routed, appeal_id)[0].status == "closed"
    assert routed.verify_appeal(appeal_id) is None  # the chain holds the new fields


def test_the_opened_ledger_routes_by_the_registries_and_catalogue_in_its_store(
    ledger: AppealLedger,
) -> None:
    """bootstrap.open_ledger routes by what is registered in the same store:
    the fixture's units and cadres, then a retirement and a new catalogue
    item, each seen by the next assignment."""
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT, cadre=CADRE), DISPATCHER)
    assert appeal_view(ledger, appeal_id)[0].cadre == CADRE
    other = receive(ledger, title="另一诉求").appeal_id
    with pytest.raises(InvalidField) as refused:
        ledger.execute(other, cmd.Assign(unit="市场监管局"), DISPATCHER)
    assert refused.value.reason.startswith("未登记的单位 '市场监管局'")
    Registry(ledger).change(MARKET_UNIT, RetireUnit(reason="机构改革"), ADMIN)
    with pytest.raises(InvalidField) as refused:
        ledger.execute(other, cmd.Assign(unit=MARKET_UNIT), DISPATCHER)
    assert "已撤销" in refused.value.reason
    with pytest.raises(InvalidField) as refused:
        ledger.execute(other, cmd.Assign(item="HR-100"), DISPATCHER)
    assert refused.value.field == "item"
    Catalogue(ledger).publish(JOB_RETENTION, ADMIN)
    ledger.execute(other, cmd.Assign(item="HR-100"), DISPATCHER)
    assigned = ledger.history(other)[-1]
    assert isinstance(assigned, Appeal.Assigned)
    assert (assigned.unit, assigned.item, assigned.item_version) == (
        UNIT,
        "HR-100",
        1,
    )
    assert list(assigned.co_units) == [TAX_UNIT]
    assert len(ledger.history(other)) == 2  # the refusals recorded nothing


def test_the_scheduler_escalates_a_late_dispatch_to_the_centre(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 9, 22, 10, 0, tzinfo=SHANGHAI))
    waiting = receive(ledger).appeal_id  # dispatch due 22 Sep 15:00
    dispatched = receive(ledger, title="已派单").appeal_id
    ledger.execute(dispatched, cmd.Assign(unit=UNIT), DISPATCHER)
    clock.set(datetime(2026, 9, 23, 16, 0, tzinfo=SHANGHAI))  # a day and an hour
    result = run_once(ledger, due_cycles_of(ledger))
    assert result.recorded >= 2
    rungs = [
        (e.stage, e.level)
        for e in ledger.history(waiting)
        if isinstance(e, Appeal.Escalated)
    ]
    assert rungs == [("dispatch", 0), ("dispatch", 1)]
    assert not any(
        isinstance(e, Appeal.Escalated) and e.stage == "dispatch"
        for e in ledger.history(dispatched)
    )
    # Once dispatched, the centre's ladder stops.
    ledger.execute(waiting, cmd.Assign(unit=UNIT), DISPATCHER)
    ledger.execute(waiting, cmd.Accept(), HANDLER)
    clock.set(datetime(2026, 9, 28, 16, 0, tzinfo=SHANGHAI))
    run_once(ledger, due_cycles_of(ledger))
    assert [
        e.level
        for e in ledger.history(waiting)
        if isinstance(e, Appeal.Escalated) and e.stage == "dispatch"
    ] == [0, 1]
