"""The routing view (appeals.projections.routing): returns, re-dispatches and
time to acceptance per catalogue item and unit, coverage, 直接答复率 and
localities, folded from real events (2026 calendar, tests/builders.py's
directory); the stored view equals the fold on both stores elsewhere
(tests/projections: every registered projection)."""

from __future__ import annotations

from typing import Any

from appeals.domain.commands import Accept, AnswerOnTheSpot, Assign, Return
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.permissions import ReadFilter
from appeals.projections import routing
from appeals.projections.runtime.model import fold
from tests.builders import ITEM, TAX_UNIT, when
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    HANDLER,
    INTAKE,
    OTHER_HANDLER,
    TK,
    UNIT,
    USCC,
    receive,
    t,
)


def history() -> list[Any]:
    """Three appeals in September 2026: one misrouted by an item (returned,
    re-dispatched without an item, accepted 3 working hours later), one
    routed by the item and accepted the next morning, one answered on the
    spot."""
    misrouted = receive(t(9, 14, 10))
    when(misrouted, Assign(item=ITEM), DISPATCHER, t(9, 14, 10))
    when(misrouted, Return("非本单位职责"), HANDLER, t(9, 14, 11))
    when(misrouted, Assign(TAX_UNIT), DISPATCHER, t(9, 14, 13, 30))
    when(misrouted, Accept(), OTHER_HANDLER, t(9, 14, 16, 30))  # 3 working hours
    routed = receive(t(9, 15, 9))
    when(routed, Assign(item=ITEM), DISPATCHER, t(9, 15, 16, 30))
    when(routed, Accept(), HANDLER, t(9, 16, 9, 30))  # 1 h + 0.5 h next morning
    answered = receive(t(9, 16, 10))
    when(answered, AnswerOnTheSpot(ITEM), INTAKE, t(9, 16, 10, 5))
    return [
        *misrouted.collect_events(),
        *routed.collect_events(),
        *answered.collect_events(),
    ]


def rows(scope: ReadFilter | None = None) -> dict[str, Any]:
    view = fold(routing.projection(TK), history())
    return routing.summarise(
        view.rows("routing_items"),
        view.rows("routing_localities"),
        scope or ReadFilter(),
    )


def test_returns_redispatches_and_time_to_accept_per_item_and_unit() -> None:
    items = {(r["item"], r["unit"]): r for r in rows()["items"]}
    assert set(items) == {(ITEM, UNIT), (None, TAX_UNIT), (ITEM, CENTRE_UNIT)}
    by_item = items[(ITEM, UNIT)]
    assert (by_item["assignments"], by_item["first_dispatches"]) == (2, 2)
    assert (by_item["returns"], by_item["return_rate"]) == (1, 0.5)
    assert by_item["accepted"] == 1
    assert by_item["mean_working_hours_to_accept"] == 1.5
    redispatched = items[(None, TAX_UNIT)]
    assert (redispatched["redispatches"], redispatched["first_dispatches"]) == (1, 0)
    assert redispatched["mean_working_hours_to_accept"] == 3.0
    assert items[(ITEM, CENTRE_UNIT)]["answered_on_the_spot"] == 1


def test_coverage_direct_answers_and_localities() -> None:
    report = rows()
    locality = USCC[2:8]  # not registered: the division in the credit code
    (row,) = report["localities"]
    assert row == {
        "locality": locality,
        "received": 3,
        "answered_on_the_spot": 1,
        "dispatched_with_item": 2,
        "dispatched_without_item": 0,
    }
    totals = report["totals"]
    assert totals["coverage"] == 1.0  # both first dispatches named an item
    assert totals["direct_answer_rate"] == 1 / 3


def test_a_unit_sees_only_its_own_rows_and_no_city_figures() -> None:
    report = rows(ReadFilter(unit=TAX_UNIT))
    assert [r["unit"] for r in report["items"]] == [TAX_UNIT]
    assert "localities" not in report
    assert "totals" not in report
