"""Routing an appeal (交办/派单) through the directory of registered units,
cadres and catalogue items (tests/builders.py's DIRECTORY): given a received
appeal, when it is assigned, then the event records the routing, or the
refusal names the field, the reason and what was probably meant, and nothing
is recorded."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from appeals.domain import events as ev
from appeals.domain.appeal import Appeal
from appeals.domain.commands import Assign, Receive
from appeals.domain.errors import InvalidField
from appeals.domain.sla import Stage
from appeals.domain.values import AppealKind, Category, Channel, Priority
from tests.builders import (
    CADRE,
    ITEM,
    MARKET_UNIT,
    RETIRED_ITEM,
    RETIRED_UNIT,
    RULES,
    TAX_CADRE,
    TAX_UNIT,
    when,
)
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    INTAKE,
    T0,
    TK,
    UNIT,
    USCC,
    appeal_in,
    at,
)

COMMON = {"originator_id", "originator_version", "timestamp", "actor", "chain"}


def recorded(appeal: Appeal) -> list[tuple[type[object], dict[str, Any]]]:
    """The new events by value: each class and its own fields."""
    return [
        (type(e), {k: v for k, v in vars(e).items() if k not in COMMON})
        for e in appeal.collect_events()
    ]


def refused(command: Assign) -> InvalidField:
    """The refusal of ``command`` on a received appeal, which records nothing."""
    appeal = appeal_in("received")
    with pytest.raises(InvalidField) as error:
        when(appeal, command, DISPATCHER, at(1))
    assert appeal.collect_events() == []
    assert appeal.status == "received"
    return error.value


def normal_due(stage: Stage, **terms: Any) -> Any:
    return TK.due(stage, at(1), "normal", "financing", **terms)


def test_an_unknown_unit_is_refused_with_the_reason() -> None:
    error = refused(Assign("市发改委"))
    assert error.field == "unit"
    assert error.reason == "未登记的单位 '市发改委' (no registered unit '市发改委')"


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("SZ-RJS", "'SZ-RSJ'（苏州市人力资源和社会保障局）"),  # two letters swapped
        ("SZ-SWJ ", "'SZ-SWJ'（国家税务总局苏州市税务局）"),  # a trailing space
        ("sz-tax", "'SZ-TAX'（苏州市税务局园区分局）"),  # the code in lower case
        ("苏州市市场监督管理局", "'SZ-SCJGJ'（苏州市市场监督管理局）"),  # the name
    ],
)
def test_a_misspelt_unit_is_refused_with_a_suggestion(
    typed: str, suggestion: str
) -> None:
    error = refused(Assign(typed))
    assert error.field == "unit"
    assert error.reason.startswith(f"未登记的单位 '{typed}'")
    assert f"是否为 {suggestion}" in error.reason.split(";")[1]


def test_a_retired_unit_is_refused_and_never_suggested() -> None:
    error = refused(Assign(RETIRED_UNIT))
    assert (error.field, error.reason) == (
        "unit",
        "单位 'SZ-OLD' 已撤销 (unit 'SZ-OLD' is retired)",
    )
    assert "SZ-OLD" not in refused(Assign("SZ-OLF")).reason


def test_a_cadre_of_another_unit_is_refused() -> None:
    error = refused(Assign(UNIT, TAX_CADRE))
    assert error.field == "cadre"
    assert error.reason == (
        "干部 'C-LISI' 现任职于 'SZ-SWJ'，不属于 'SZ-RSJ' "
        "(cadre 'C-LISI' serves 'SZ-SWJ', not 'SZ-RSJ')"
    )


@pytest.mark.parametrize(
    ("cadre", "reason"),
    [
        ("赵六", "未登记的干部 '赵六' (no registered cadre '赵六')"),
        ("C-WANGWU", "干部 'C-WANGWU' 已不在职 (cadre 'C-WANGWU' no longer serves)"),
    ],
)
def test_an_unregistered_or_departed_cadre_is_refused(cadre: str, reason: str) -> None:
    error = refused(Assign(UNIT, cadre))
    assert (error.field, error.reason) == ("cadre", reason)


def test_a_unit_or_an_item_is_required() -> None:
    error = refused(Assign())
    assert error.field == "unit"
    assert "须指定承办单位或目录事项" in error.reason


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("HR-999", "未发布的目录事项 'HR-999' (no published catalogue item 'HR-999')"),
        (RETIRED_ITEM, "目录事项 'HR-001' 已废止 (catalogue item 'HR-001' is retired)"),
    ],
)
def test_an_unpublished_or_retired_item_is_refused(item: str, reason: str) -> None:
    error = refused(Assign(item=item))
    assert (error.field, error.reason) == ("item", reason)


def test_a_registered_unit_and_its_cadre_are_recorded_with_the_appeals_terms() -> None:
    appeal = appeal_in("received")
    when(appeal, Assign(UNIT, CADRE), DISPATCHER, at(1))
    assert recorded(appeal) == [
        (
            ev.Assigned,
            {
                "unit": UNIT,
                "cadre": CADRE,
                "accept_due": normal_due(Stage.ACCEPT),
                "resolve_due": normal_due(Stage.RESOLVE),
                "first_response_due": normal_due(Stage.FIRST_RESPONSE),
                "sla_version": "domain-defaults-3",
                "provisional": False,
                "item": None,
                "item_version": None,
                "co_units": [],
                "kind": None,
                "limits": None,
                "counting": TK.counting(Stage.RESOLVE, "normal", "financing"),
                "co_accept_due": None,
                "co_report_due": None,
            },
        )
    ]
    assert (appeal.status, appeal.unit) == ("assigned", UNIT)


def test_an_item_routes_to_its_lead_unit_with_co_units_kind_and_limits() -> None:
    appeal = appeal_in("received")
    when(appeal, Assign(item=ITEM), DISPATCHER, at(1))
    terms: dict[str, Any] = {"kind": "consult", "limits": {"resolve": "3d"}}
    assert recorded(appeal) == [
        (
            ev.Assigned,
            {
                "unit": UNIT,  # the item's lead unit (主办)
                "cadre": None,
                "accept_due": normal_due(Stage.ACCEPT, **terms),
                "resolve_due": normal_due(Stage.RESOLVE, **terms),
                "first_response_due": normal_due(Stage.FIRST_RESPONSE, **terms),
                "sla_version": "domain-defaults-3",
                "provisional": False,
                "item": ITEM,
                "item_version": 2,
                "co_units": [TAX_UNIT],  # 协办
                "kind": "consult",
                "limits": {"resolve": "3d"},
                "counting": TK.counting(Stage.RESOLVE, "normal", "financing", **terms),
                # the co-unit's own clocks: the same limits from the assignment
                "co_accept_due": normal_due(Stage.ACCEPT, **terms),
                "co_report_due": normal_due(Stage.RESOLVE, **terms),
            },
        )
    ]
    # The item's 3 days, not the policy's 5.
    assert appeal.resolve_due == TK.due(
        Stage.RESOLVE, at(1), "normal", "financing", limits={"resolve": "3d"}
    )
    assert appeal.resolve_due < normal_due(Stage.RESOLVE)


def test_a_named_unit_overrides_the_items_lead_unit() -> None:
    appeal = appeal_in("received")
    when(appeal, Assign(MARKET_UNIT, None, ITEM), DISPATCHER, at(1))
    ((_, fields),) = recorded(appeal)
    assert (fields["unit"], fields["item"], fields["co_units"]) == (
        MARKET_UNIT,
        ITEM,
        [TAX_UNIT],
    )


def test_the_kind_given_at_receipt_keys_the_deadlines_of_an_unrouted_assignment() -> (
    None
):
    appeal = Appeal.receive(
        Receive(
            uscc=USCC,
            enterprise_name="苏州某某科技有限公司",
            channel=Channel.HOTLINE,
            category=Category.FINANCING,
            priority=Priority.NORMAL,
            title="对银行抽贷的投诉",
            kind=AppealKind.COMPLAINT,
        ),
        appeal_id=uuid4(),
        ticket="20261009-000002",
        actor=INTAKE,
        at=T0,
        rules=RULES,
    )
    (received,) = appeal.collect_events()
    assert (received.kind, received.first_response_due) == ("complaint", None)  # type: ignore[attr-defined]
    when(appeal, Assign(UNIT), DISPATCHER, at(1))
    ((_, fields),) = recorded(appeal)
    assert fields["kind"] == "complaint"
    assert fields["resolve_due"] == normal_due(Stage.RESOLVE, kind="complaint")


def test_a_kind_outside_the_closed_set_is_refused() -> None:
    with pytest.raises(InvalidField) as error:
        Appeal.receive(
            Receive(
                uscc=USCC,
                enterprise_name="x",
                channel=Channel.HOTLINE,
                category=Category.OTHER,
                title="x",
                kind="gossip",  # type: ignore[arg-type]
            ),
            appeal_id=uuid4(),
            ticket="20261009-000003",
            actor=INTAKE,
            at=T0,
            rules=RULES,
        )
    assert error.value.field == "kind"
