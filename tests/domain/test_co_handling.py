"""Co-handling (主办/协办, issue 18 item 4): co-units from the catalogue item
and the dispatcher, each accepting and reporting its own part under its own
clock, a supervisor's waiver with its reason, and the lead unit held until
every part is in."""

from __future__ import annotations

import pytest

from appeals.domain import events as ev
from appeals.domain.commands import (
    Accept,
    AcceptPart,
    Assign,
    ReportPart,
    Resolve,
    WaivePart,
)
from appeals.domain.errors import CommandNotAllowed, InvalidField, NotPermitted
from appeals.domain.timeliness import timeliness
from appeals.domain.values import Actor, Outcome, Role
from tests.builders import ITEM, MARKET_UNIT, TAX_UNIT, given, when
from tests.domain.lifecycle_fixtures import (
    ADMIN,
    DISPATCHER,
    HANDLER,
    OTHER_HANDLER,
    SUPERVISOR,
    TK,
    UNIT,
    at,
    history_in,
)

MARKET_HANDLER = Actor("h-3", Role.HANDLER, "市场监管 钱七", unit=MARKET_UNIT)
STRANGER = Actor("h-4", Role.HANDLER, "别的单位", unit="SZ-TAX")


def co_handled() -> tuple[list[ev.Event], object]:
    history = history_in("received")
    appeal = given(history)
    when(appeal, Assign(item=ITEM, co_units=(MARKET_UNIT,)), DISPATCHER, at(1))
    return history, appeal


def test_the_item_and_the_dispatcher_name_co_units_each_with_its_clocks() -> None:
    _, appeal = co_handled()
    [assigned] = appeal.collect_events()  # type: ignore[attr-defined]
    assert isinstance(assigned, ev.Assigned)
    assert (assigned.unit, list(assigned.co_units)) == (UNIT, [TAX_UNIT, MARKET_UNIT])
    assert assigned.co_accept_due == assigned.accept_due
    assert assigned.co_report_due == assigned.resolve_due


def test_a_co_unit_must_be_registered_active_and_not_the_lead() -> None:
    appeal = given(history_in("received"))
    for co_units in ((UNIT,), ("SZ-NOWHERE",), ("SZ-OLD",)):
        with pytest.raises(InvalidField) as refused:
            when(appeal, Assign(UNIT, co_units=co_units), DISPATCHER, at(1))
        assert refused.value.field == "co_units"


def test_the_lead_resolves_only_when_every_part_is_in() -> None:
    history, appeal = co_handled()
    when(appeal, Accept(), HANDLER, at(2))
    when(appeal, AcceptPart(), OTHER_HANDLER, at(2))
    with pytest.raises(CommandNotAllowed, match=f"{TAX_UNIT}, {MARKET_UNIT}"):
        when(appeal, Resolve(Outcome.RESOLVED, "已办"), HANDLER, at(3))
    when(appeal, ReportPart("已核实纳税信用，无异常"), OTHER_HANDLER, at(3))
    with pytest.raises(CommandNotAllowed, match=MARKET_UNIT):
        when(appeal, Resolve(Outcome.RESOLVED, "已办"), HANDLER, at(3))
    with pytest.raises(NotPermitted):
        when(appeal, WaivePart(MARKET_UNIT, "x"), HANDLER, at(4))
    when(
        appeal,
        WaivePart(MARKET_UNIT, "与市场监管职责无关，免于协办"),
        SUPERVISOR,
        at(4),
    )
    when(appeal, Resolve(Outcome.RESOLVED, "已办"), HANDLER, at(5))
    events = list(appeal.collect_events())  # type: ignore[attr-defined]
    assert [type(e).__name__ for e in events] == [
        "Assigned",
        "Accepted",
        "PartAccepted",
        "PartReported",
        "PartWaived",
        "Resolved",
    ]
    cycles = timeliness([*history, *events], at(6), TK)
    parts = {(c["stage"], c["unit"]): c for c in cycles if c["stage"].startswith("co_")}
    assert parts[("co_accept", TAX_UNIT)]["on_time"] is True
    assert parts[("co_report", TAX_UNIT)]["completed_at"] is not None
    assert parts[("co_report", MARKET_UNIT)]["ended_by"] == "waived"
    assert parts[("co_accept", MARKET_UNIT)]["ended_by"] == "waived"


def test_only_a_co_unit_reports_its_own_part() -> None:
    _, appeal = co_handled()
    with pytest.raises(InvalidField) as lead:
        when(appeal, ReportPart("主办代报"), HANDLER, at(2))  # the lead is no co-unit
    assert lead.value.field == "unit"
    with pytest.raises(NotPermitted):
        when(appeal, AcceptPart(), STRANGER, at(2))
    when(appeal, AcceptPart(), MARKET_HANDLER, at(2))
    with pytest.raises(CommandNotAllowed, match="already accepted"):
        when(appeal, AcceptPart(), MARKET_HANDLER, at(2))
    with pytest.raises(InvalidField) as unnamed:
        when(appeal, ReportPart("代报"), ADMIN, at(3))
    assert unnamed.value.field == "unit"
    when(appeal, ReportPart("代报", unit=MARKET_UNIT), ADMIN, at(3))
