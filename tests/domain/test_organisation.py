"""The registries' aggregates, decided purely: units renamed, updated,
retired and reinstated; cadres moved with their postings kept; enterprises
located by their credit code unless overridden; every refusal named; a
change that changes nothing records nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from appeals.domain.chain import first_broken_link
from appeals.domain.errors import InvalidCreditCode, InvalidField, NotPermitted
from appeals.domain.identities import cadre_id, enterprise_id, unit_id
from appeals.domain.master_data import MasterRecord
from appeals.domain.organisation import (
    Cadre,
    CadreRole,
    ChangeCadreRoles,
    Enterprise,
    InvalidRecord,
    MoveCadre,
    RegisterCadre,
    RegisterEnterprise,
    RegisterUnit,
    RegistryConflict,
    ReinstateCadre,
    ReinstateUnit,
    RenameCadre,
    RenameEnterprise,
    RenameUnit,
    RetireCadre,
    RetireUnit,
    ServiceList,
    Unit,
    UnitKind,
    UpdateEnterprise,
    UpdateUnit,
    parse_command,
)
from tests.support.registry import (
    ADMIN,
    DISPATCHER,
    HANDLER,
    HRSS,
    HUICHENG,
    INTAKE,
    KUNSHAN_USCC,
    SIP_USCC,
    T0,
    XINTAI,
    ZHANG,
    ZHOUSHI,
)


def at(days: float) -> Any:
    return T0 + timedelta(days=days)


def fresh(record: MasterRecord) -> None:
    """Nothing pending: the record as the application loads it."""
    record.collect_events()


def unit() -> Unit:
    found = Unit.register(HRSS, ADMIN, at(0))
    fresh(found)
    return found


def cadre() -> Cadre:
    found = Cadre.register(ZHANG, ADMIN, at(0))
    fresh(found)
    return found


# ---- units ---------------------------------------------------------------------


def test_a_unit_is_registered_under_the_uuid5_of_its_code() -> None:
    found = Unit.register(ZHOUSHI, ADMIN, at(0))
    assert found.id == unit_id("KS-ZHOUSHI")
    [registered] = found.collect_events()
    assert isinstance(registered, Unit.Registered)
    assert (registered.code, registered.name_zh, registered.kind) == (
        "KS-ZHOUSHI",
        "昆山市周市镇",
        "town",
    )
    assert (registered.parent, registered.locality) == ("KS", "320583")
    assert registered.actor["id"] == ADMIN.id
    assert registered.timestamp == at(0)


def test_renaming_records_both_names_and_nothing_when_unchanged() -> None:
    found = unit()
    assert found.rename(RenameUnit(name_zh="苏州市人社局"), ADMIN, at(1))
    [renamed] = found.collect_events()
    assert isinstance(renamed, Unit.Renamed)
    assert (renamed.name_zh, renamed.name_en) == ("苏州市人社局", "")
    assert found.rename(RenameUnit(name_en="Suzhou HRSS"), ADMIN, at(2))
    assert (found.name_zh, found.name_en) == ("苏州市人社局", "Suzhou HRSS")
    fresh(found)
    assert not found.rename(RenameUnit(name_zh="苏州市人社局"), ADMIN, at(3))
    assert found.collect_events() == []
    with pytest.raises(InvalidField, match="give name_zh"):
        found.rename(RenameUnit(), ADMIN, at(3))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "SZ TAX"}, "code"),
        ({"code": "-SZ"}, "code"),
        ({"code": "X" * 33}, "code"),
        ({"name_zh": "   "}, "name_zh"),
        ({"name_zh": "市税务局 "}, "name_zh"),  # the trailing space of the issue
        ({"name_zh": "\u200b市税务局"}, "name_zh"),
        ({"name_zh": "局" * 101}, "name_zh"),
        ({"name_en": "Tax\x07"}, "name_en"),
        ({"parent": "SZ-HRSS"}, "parent"),  # itself
        ({"parent": "not a code"}, "parent"),
        ({"locality": "990000"}, "locality"),
        ({"locality": "32058"}, "locality"),
    ],
)
def test_a_registration_names_the_field_it_refuses(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        Unit.register(replace(HRSS, **changes), ADMIN, at(0))
    assert refused.value.field == field


def test_an_update_sets_kind_parent_and_locality_as_they_are_now() -> None:
    found = unit()
    changed = UpdateUnit(kind=UnitKind.UTILITY, parent="12345", locality="320571")
    assert found.update(changed, ADMIN, at(1))
    [updated] = found.collect_events()
    assert isinstance(updated, Unit.Updated)
    assert (updated.kind, updated.parent, updated.locality) == (
        "utility",
        "12345",
        "320571",
    )
    assert not found.update(changed, ADMIN, at(2))
    assert found.update(UpdateUnit(kind=UnitKind.UTILITY), ADMIN, at(3))
    assert (found.parent, found.locality) == (None, None)
    with pytest.raises(InvalidField, match="own parent"):
        found.update(UpdateUnit(UnitKind.DEPARTMENT, parent="SZ-HRSS"), ADMIN, at(4))


def test_a_retired_unit_is_reinstated_before_it_is_changed() -> None:
    found = unit()
    with pytest.raises(InvalidField, match="reason"):
        found.retire(RetireUnit(reason=" "), ADMIN, at(1))
    assert found.retire(RetireUnit(reason="机构改革，职能并入市人社局"), ADMIN, at(1))
    assert found.retired
    assert found.entry().retired
    fresh(found)
    with pytest.raises(RegistryConflict, match="retired") as refused:
        found.rename(RenameUnit(name_zh="新名称"), ADMIN, at(2))
    assert refused.value.details()["record_status"] == "retired"
    with pytest.raises(RegistryConflict):
        found.retire(RetireUnit(reason="again"), ADMIN, at(2))
    with pytest.raises(RegistryConflict):
        found.update(UpdateUnit(UnitKind.PARK), ADMIN, at(2))
    # renaming to the name it has changes nothing: no conflict, no event
    assert not found.rename(RenameUnit(name_zh=HRSS.name_zh), ADMIN, at(2))
    assert found.collect_events() == []
    assert found.reinstate(ReinstateUnit(), ADMIN, at(3))
    assert not found.retired
    with pytest.raises(RegistryConflict, match="not retired"):
        found.reinstate(ReinstateUnit(), ADMIN, at(4))


@pytest.mark.parametrize("actor", [INTAKE, DISPATCHER, HANDLER])
def test_only_the_administrator_changes_units_and_cadres(actor: Any) -> None:
    with pytest.raises(NotPermitted):
        Unit.register(HRSS, actor, at(0))
    with pytest.raises(NotPermitted):
        unit().rename(RenameUnit(name_zh="x"), actor, at(1))
    with pytest.raises(NotPermitted):
        Cadre.register(ZHANG, actor, at(0))
    with pytest.raises(NotPermitted):
        cadre().move(MoveCadre("SZ-TAX", date(2026, 1, 1)), actor, at(1))


def test_a_units_events_are_chained() -> None:
    found = Unit.register(HRSS, ADMIN, at(0))
    found.rename(RenameUnit(name_zh="苏州市人社局"), ADMIN, at(1))
    found.retire(RetireUnit(reason="撤并"), ADMIN, at(2))
    events = found.collect_events()
    stored = [
        (type(e).TOPIC, {**e.__dict__, "originator_id": e.originator_id})
        for e in events
    ]
    assert first_broken_link(stored) is None
    tampered = [(stored[0][0], {**stored[0][1], "name_zh": "别的局"}), *stored[1:]]
    assert first_broken_link(tampered) is not None


# ---- cadres ---------------------------------------------------------------------


def test_a_move_closes_the_posting_so_past_days_stay_with_the_old_unit() -> None:
    found = cadre()
    assert found.id == cadre_id("C-0001")
    assert found.move(MoveCadre(unit="SZ-TAX", on=date(2026, 3, 1)), ADMIN, at(1))
    [moved] = found.collect_events()
    assert isinstance(moved, Cadre.Moved)
    assert (moved.unit, moved.on, moved.previous_unit) == (
        "SZ-TAX",
        "2026-03-01",
        "SZ-HRSS",
    )
    assert found.unit == "SZ-TAX"
    assert found.unit_on(date(2026, 2, 28)) == "SZ-HRSS"
    assert found.unit_on(date(2026, 3, 1)) == "SZ-TAX"
    assert found.unit_on(date(2024, 1, 2)) == "SZ-HRSS"
    assert found.unit_on(date(2024, 1, 1)) is None  # before the first posting
    assert found.entry().unit == "SZ-TAX"
    assert not found.move(MoveCadre("SZ-TAX", date(2026, 6, 1)), ADMIN, at(2))
    with pytest.raises(InvalidField, match="after the current posting") as refused:
        found.move(MoveCadre("SZ-HRSS", date(2026, 3, 1)), ADMIN, at(2))
    assert refused.value.field == "on"


def test_roles_and_names_change_only_when_different() -> None:
    found = cadre()
    roles = ChangeCadreRoles((CadreRole.HANDLER, CadreRole.DEPUTY))
    assert found.change_roles(roles, ADMIN, at(1))
    assert found.roles == ("handler", "deputy")
    assert not found.change_roles(roles, ADMIN, at(2))
    with pytest.raises(InvalidField, match="twice"):
        found.change_roles(
            ChangeCadreRoles((CadreRole.LEADER, CadreRole.LEADER)), ADMIN, at(2)
        )
    assert not found.rename(RenameCadre("张三"), ADMIN, at(2))
    assert found.rename(RenameCadre("张叁"), ADMIN, at(2))
    events = found.collect_events()
    assert [type(e) for e in events] == [Cadre.RolesChanged, Cadre.Renamed]


def test_a_retired_cadre_is_not_moved() -> None:
    found = cadre()
    found.retire(RetireCadre(reason="退休"), ADMIN, at(1))
    with pytest.raises(RegistryConflict, match="retired"):
        found.move(MoveCadre("SZ-TAX", date(2026, 3, 1)), ADMIN, at(2))
    assert found.entry().retired
    found.reinstate(ReinstateCadre(reason="返聘"), ADMIN, at(3))
    assert found.move(MoveCadre("SZ-TAX", date(2026, 3, 1)), ADMIN, at(4))


def test_reconciling_a_cadre_with_a_row_moves_renames_and_sets_roles() -> None:
    found = cadre()
    assert not found.reconcile(ZHANG, ADMIN, at(1))
    row = replace(ZHANG, name="张叁", unit="SZ-TAX", since=date(2026, 5, 6))
    assert found.reconcile(row, ADMIN, at(1))
    assert [type(e) for e in found.collect_events()] == [Cadre.Renamed, Cadre.Moved]
    assert found.unit_on(date(2026, 5, 5)) == "SZ-HRSS"
    with pytest.raises(InvalidField) as refused:
        found.reconcile(replace(row, since=date(2026, 5, 7)), ADMIN, at(2))
    assert refused.value.field == "since"


# ---- enterprises -------------------------------------------------------------------


def test_the_locality_is_derived_from_the_credit_code_unless_overridden() -> None:
    derived = Enterprise.register(XINTAI, INTAKE, at(0))
    assert derived.id == enterprise_id(KUNSHAN_USCC)
    assert (derived.locality, derived.locality_overridden) == ("320583", False)
    overridden = Enterprise.register(HUICHENG, DISPATCHER, at(0))
    assert SIP_USCC[2:8] == "320508"
    assert (overridden.locality, overridden.locality_overridden) == ("320571", True)
    # overriding with the derived locality is no override
    same = replace(XINTAI, locality="320583")
    assert Enterprise.register(same, ADMIN, at(0)).locality_overridden is False


def test_the_registered_name_changes_only_by_an_explicit_rename() -> None:
    found = Enterprise.register(XINTAI, INTAKE, at(0))
    fresh(found)
    details = UpdateEnterprise(
        locality="320571",
        park="苏州工业园区",
        service_list=ServiceList.FAST_GROWING,
        foreign_invested=True,
    )
    assert found.update(details, INTAKE, at(1))
    assert found.name == XINTAI.name  # an update has no name to change
    assert not found.update(details, DISPATCHER, at(2))
    with pytest.raises(NotPermitted):
        found.rename(RenameEnterprise("昆山新泰科技有限公司"), INTAKE, at(2))
    assert found.rename(RenameEnterprise("昆山新泰科技有限公司"), ADMIN, at(2))
    renamed = found.collect_events()[-1]
    assert isinstance(renamed, Enterprise.Renamed)
    assert (renamed.name, renamed.previous_name) == (
        "昆山新泰科技有限公司",
        XINTAI.name,
    )
    # back to the code's own locality: no longer overridden
    assert found.update(UpdateEnterprise(), INTAKE, at(3))
    assert (found.locality, found.locality_overridden) == ("320583", False)


def test_a_credit_code_is_checked_and_normalised() -> None:
    with pytest.raises(InvalidCreditCode):
        Enterprise.register(replace(XINTAI, uscc="91320583MA1JUUGT0K"), ADMIN, at(0))
    lower = Enterprise.register(
        replace(XINTAI, uscc=KUNSHAN_USCC.lower()), ADMIN, at(0)
    )
    assert lower.uscc == KUNSHAN_USCC


# ---- reading commands --------------------------------------------------------------


def test_a_command_is_read_from_a_mapping_listing_every_bad_field() -> None:
    command = parse_command(
        RegisterCadre,
        {"code": "C-9", "name": "王五", "unit": "KS", "since": "2026-01-05",
         "roles": ["handler", "deputy"]},
    )  # fmt: skip
    assert command.since == date(2026, 1, 5)
    assert command.roles == (CadreRole.HANDLER, CadreRole.DEPUTY)
    with pytest.raises(InvalidRecord) as refused:
        parse_command(
            RegisterCadre,
            {"code": 7, "name": "王五", "since": "5 Jan", "roles": ["boss"], "x": 1},
        )
    fields = {e["field"] for e in refused.value.errors}
    assert fields == {"x", "code", "unit", "since", "roles"}
    assert refused.value.details()["errors"] == refused.value.errors


def test_an_empty_optional_value_is_absent() -> None:
    command = parse_command(
        RegisterUnit, {"code": "KS", "name_zh": "昆山市", "kind": "district",
                       "parent": "", "locality": None}
    )  # fmt: skip
    assert (command.parent, command.locality, command.kind) == (
        None,
        None,
        UnitKind.DISTRICT,
    )
    with pytest.raises(InvalidRecord, match="true or false"):
        parse_command(
            RegisterEnterprise,
            {"uscc": KUNSHAN_USCC, "name": "x", "foreign_invested": "yes"},
        )
