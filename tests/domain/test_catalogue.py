"""The routing catalogue item: published as version 1, revised into new
versions (an unchanged revision records nothing), retired and reinstated;
every version kept; every bad field named; only the centre changes it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from appeals.domain.catalogue import (
    CatalogueConflict,
    CatalogueItem,
    InvalidContent,
    Publish,
    Reinstate,
    Retire,
    parse_command,
)
from appeals.domain.chain import first_broken_link
from appeals.domain.directory import CatalogueEntry
from appeals.domain.errors import NotPermitted
from appeals.domain.identities import catalogue_item_id
from appeals.domain.values import Actor, AppealKind, Category, Role
from appeals.infra.clock import SHANGHAI
from tests.support.catalogue import EXPORT, POWER, VAT, revision

DISPATCHER = Actor("disp-1", Role.DISPATCHER, "李派单")
ADMIN = Actor("adm-1", Role.ADMIN, "管理员")
T0 = datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def published(item: Publish = POWER) -> CatalogueItem:
    return CatalogueItem.publish(item, DISPATCHER, T0)


def test_publishing_records_version_1_under_the_codes_id() -> None:
    item = published()
    [event] = item.collect_events()
    assert isinstance(event, CatalogueItem.Published)
    assert item.id == catalogue_item_id("UTIL-001")
    assert (event.code, event.version, event.kind, event.category) == (
        "UTIL-001",
        1,
        "help",
        "utilities",
    )
    assert event.co_units == ["SZ-DRC"]
    assert event.limits == {"accept": "1d", "resolve": "10d"}
    assert event.actor["id"] == "disp-1"
    assert item.content_version == 1
    assert item.content == POWER.content()


def test_the_entry_is_the_current_version_as_routing_sees_it() -> None:
    item = published(VAT)
    assert item.entry() == CatalogueEntry(
        code="TAX-001",
        version=1,
        matter_zh="增值税留抵退税申请",
        kind="consult",
        category="tax",
        lead_unit="SZ-TAX",
        co_units=(),
        limits={"resolve": "5d"},
        standard_answer=VAT.standard_answer,
        retired=False,
    )


def test_a_revision_is_the_next_version_and_every_version_is_kept() -> None:
    item = published()
    first = item.content
    assert item.revise(revision(POWER, procedure="新流程：网上申请。"), ADMIN, at(1))
    assert item.revise(revision(POWER, co_units=()), DISPATCHER, at(2))
    events = item.collect_events()
    assert [type(e).__name__ for e in events] == ["Published", "Revised", "Revised"]
    assert [getattr(e, "version") for e in events] == [1, 2, 3]  # noqa: B009
    assert item.content_version == 3
    assert item.version == 3  # the aggregate's own version counts every event
    assert item.content_at(1) == first
    assert item.content_at(2) == replace(first, procedure="新流程：网上申请。")
    assert item.content_at(3) == replace(first, co_units=())  # restated whole
    assert item.content_at(0) is None
    assert item.content_at(4) is None
    assert item.entry().version == 3
    assert item.entry().co_units == ()


def test_a_revision_that_changes_nothing_records_nothing() -> None:
    item = published()
    item.collect_events()
    assert not item.revise(revision(POWER), DISPATCHER, at(1))
    # a limit written differently is the same limit
    assert not item.revise(
        revision(POWER, limits={"resolve": " 10 d", "accept": "1d"}), DISPATCHER, at(1)
    )
    assert item.collect_events() == []
    assert item.content_version == 1


def test_retire_and_reinstate_keep_the_content() -> None:
    item = published()
    item.retire(Retire(reason="职责调整，并入UTIL-002"), DISPATCHER, at(1))
    assert item.retired
    assert item.entry().retired
    assert item.retired_reason == "职责调整，并入UTIL-002"
    item.reinstate(Reinstate(), ADMIN, at(2))
    assert not item.retired
    assert item.entry() == published().entry()
    names = [type(e).__name__ for e in item.collect_events()]
    assert names == ["Published", "Retired", "Reinstated"]


def test_a_retired_item_is_reinstated_before_it_changes() -> None:
    item = published()
    item.retire(Retire(reason="停用"), DISPATCHER, at(1))
    item.collect_events()
    with pytest.raises(CatalogueConflict, match="reinstate it first") as refused:
        item.revise(revision(POWER, procedure="改"), DISPATCHER, at(2))
    assert refused.value.details()["item_status"] == "retired"
    with pytest.raises(CatalogueConflict):
        item.retire(Retire(reason="再次"), DISPATCHER, at(2))
    item.reinstate(Reinstate(reason="恢复"), DISPATCHER, at(3))
    with pytest.raises(CatalogueConflict, match="not retired"):
        item.reinstate(Reinstate(), DISPATCHER, at(4))
    assert [type(e).__name__ for e in item.collect_events()] == ["Reinstated"]


def test_retiring_needs_a_reason() -> None:
    item = published()
    with pytest.raises(InvalidContent) as refused:
        item.retire(Retire(reason=" \u200b"), DISPATCHER, at(1))
    assert refused.value.field == "reason"
    assert not item.retired


@pytest.mark.parametrize(
    "role",
    [Role.INTAKE, Role.HANDLER, Role.SUPERVISOR, Role.AUDITOR, Role.ENTERPRISE],
)
def test_only_dispatchers_and_the_administrator_change_the_catalogue(
    role: Role,
) -> None:
    actor = Actor("x", role, unit="SZ-POWER", uscc="91330100716105852F")
    with pytest.raises(NotPermitted):
        CatalogueItem.publish(POWER, actor, T0)
    item = published()
    item.collect_events()
    with pytest.raises(NotPermitted):
        item.revise(revision(POWER, procedure="改"), actor, at(1))
    with pytest.raises(NotPermitted):
        item.retire(Retire(reason="停用"), actor, at(1))
    assert item.collect_events() == []


def test_every_bad_field_is_named_at_once() -> None:
    bad = replace(
        POWER,
        code="电力-1",
        matter_zh="  ",
        lead_unit="SZ-POWER ",  # a trailing space made a new unit before
        co_units=("SZ-DRC", "SZ-DRC", "市发改委"),
        limits={"dispatch": "1d", "resolve": "ten days", "reply": "0d"},
        keywords=("接电", "接电", ""),
        standard_answer="",
    )
    with pytest.raises(InvalidContent) as refused:
        CatalogueItem.publish(bad, DISPATCHER, T0)
    fields = [e["field"] for e in refused.value.errors]
    assert sorted(set(fields)) == [
        "co_units",
        "code",
        "keywords",
        "lead_unit",
        "limits",
        "matter_zh",
        "standard_answer",
    ]
    reasons = " | ".join(e["reason"] for e in refused.value.errors)
    assert "SZ-DRC is listed twice" in reasons
    assert "主办单位编码格式不符" in reasons  # Chinese first
    assert "协办单位 '市发改委' 编码格式不符" in reasons
    assert "'dispatch' is not one of: accept, first_response, resolve, reply" in reasons
    assert "ten days" in reasons
    assert refused.value.details() == {"errors": refused.value.errors}


def test_a_co_unit_may_not_be_the_lead() -> None:
    with pytest.raises(InvalidContent, match="is the lead unit"):
        CatalogueItem.publish(replace(EXPORT, co_units=("SZ-TAX",)), DISPATCHER, T0)


def test_texts_have_limits() -> None:
    with pytest.raises(InvalidContent, match="at most 200"):
        CatalogueItem.publish(replace(POWER, matter_zh="电" * 201), DISPATCHER, T0)
    with pytest.raises(InvalidContent, match="control characters"):
        CatalogueItem.publish(replace(POWER, procedure="受理\x07"), DISPATCHER, T0)
    item = CatalogueItem.publish(
        replace(POWER, matter_zh="电" * 200, procedure="一、受理\n二、勘查\t现场"),
        DISPATCHER,
        T0,
    )
    assert item.content.procedure == "一、受理\n二、勘查\t现场"


def test_the_events_are_hash_chained() -> None:
    item = published()
    item.revise(revision(POWER, procedure="新流程"), DISPATCHER, at(1))
    item.retire(Retire(reason="停用"), DISPATCHER, at(2))
    events = item.collect_events()
    stored = [
        (
            e.TOPIC,
            {**e.__dict__, "originator_id": e.originator_id},
        )
        for e in events
    ]
    assert first_broken_link(stored) is None
    tampered = [stored[0], (stored[1][0], {**stored[1][1], "procedure": "改过"})]
    assert first_broken_link(tampered) is not None


def test_parsing_a_command_reports_unknown_missing_and_mistyped_fields() -> None:
    with pytest.raises(InvalidContent) as refused:
        parse_command(
            Publish,
            {
                "code": "X-1",
                "matter_zh": 3,
                "kind": "inquiry",
                "category": "tax",
                "co_units": "SZ-TAX",
                "limits": {"resolve": 5},
                "colour": "red",
            },
        )
    assert {e["field"]: e["reason"] for e in refused.value.errors} == {
        "colour": "未知字段 is not a field",
        "matter_zh": "须为字符串 must be a string",
        "kind": "取值无效 'inquiry' is not one of: "
        "consult, help, complaint, suggestion, report, praise",
        "lead_unit": "必填 is required",
        "procedure": "必填 is required",
        "co_units": "须为字符串列表 must be a list of strings",
        "limits": "须为环节到时限的映射 must map stages to limits, "
        'like {resolve = "10d"}',
    }


def test_parsing_a_whole_command() -> None:
    body = {
        **{k: v for k, v in POWER.content().__dict__.items() if v is not None},
        "code": "UTIL-001",
        "co_units": list(POWER.co_units),
        "keywords": list(POWER.keywords),
    }
    command = parse_command(Publish, body)
    assert command == POWER
    assert command.kind is AppealKind.HELP
    assert command.category is Category.UTILITIES
