"""The registry service on SQLite and PostgreSQL: records registered once,
changed by name, checked against the units they name; the directory routing
consults, answering from the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from eventsourcing import application

from appeals.application.registry import LedgerDirectory, Registry
from appeals.application.service import AppealLedger
from appeals.bootstrap import open_ledger
from appeals.domain.directory import CatalogueEntry
from appeals.domain.errors import InvalidField, NotPermitted
from appeals.domain.organisation import (
    Cadre,
    MoveCadre,
    RecordNotFound,
    RegistryConflict,
    RenameUnit,
    RetireUnit,
    Unit,
    UnitKind,
    UpdateUnit,
)
from appeals.infra.clock import FixedClock
from appeals.infra.settings import Settings
from tests.support.registry import (
    ADMIN,
    CADRES,
    ENTERPRISES,
    INTAKE,
    KUNSHAN_USCC,
    LI,
    TAX,
    UNITS,
    XINTAI,
    ZHANG,
    ZHOUSHI,
)
from tests.support.reports import project

pytestmark = pytest.mark.empty_organisation  # registers its own


def organisation(ledger: AppealLedger) -> Registry:
    registry = Registry(ledger)
    for command in (*UNITS, *CADRES, *ENTERPRISES):
        result = registry.register(command, ADMIN)
        assert result.created
        assert result.changed
    return registry


def test_records_are_registered_once_and_read_back_by_code(
    ledger: AppealLedger,
) -> None:
    registry = organisation(ledger)
    unit = registry.unit("KS-ZHOUSHI")
    assert isinstance(unit, Unit)
    assert (unit.name_zh, unit.parent) == ("昆山市周市镇", "KS")
    cadre = registry.cadre("C-0002")
    assert isinstance(cadre, Cadre)
    assert cadre.roles == ("liaison_cadre", "leader")
    enterprise = registry.enterprise(KUNSHAN_USCC.lower())
    assert enterprise is not None
    assert enterprise.locality == "320583"
    assert registry.unit("NOPE") is None
    assert registry.enterprise("not a code") is None
    assert registry.unit("C-0001") is None  # a cadre's code is no unit
    with pytest.raises(RegistryConflict, match="already registered") as refused:
        registry.register(replace(TAX, name_zh="另一个名字"), ADMIN)
    assert refused.value.details()["code"] == "SZ-TAX"
    assert registry.codes("unit") == sorted(u.code for u in UNITS)


def test_a_change_is_saved_with_its_actor_and_position(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    registry = organisation(ledger)
    clock.advance(timedelta(days=3))
    result = registry.change("SZ-TAX", RenameUnit(name_zh="苏州市税务局"), ADMIN)
    assert result.changed
    assert result.position == ledger.event_log.head()
    [*_, renamed] = ledger.event_log.history(result.record.id)
    assert renamed.topic == "Unit.Renamed"
    assert renamed.state["actor"]["id"] == ADMIN.id
    assert renamed.state["timestamp"] == clock.now()
    again = registry.change("SZ-TAX", RenameUnit(name_zh="苏州市税务局"), ADMIN)
    assert (again.changed, again.position) == (False, None)
    assert ledger.event_log.head() == result.position
    with pytest.raises(RecordNotFound, match="no unit SZ-NOPE"):
        registry.change("SZ-NOPE", RenameUnit(name_zh="x"), ADMIN)
    with pytest.raises(NotPermitted):  # refused before it is looked up
        registry.change("SZ-NOPE", RenameUnit(name_zh="x"), INTAKE)


def test_units_named_must_be_registered_active_and_not_make_a_cycle(
    ledger: AppealLedger,
) -> None:
    registry = organisation(ledger)
    with pytest.raises(InvalidField, match="not a registered unit") as refused:
        registry.register(replace(ZHANG, code="C-9", unit="SZ-NOPE"), ADMIN)
    assert refused.value.field == "unit"
    with pytest.raises(InvalidField, match="not a registered unit"):
        registry.register(replace(ZHOUSHI, code="KS-X", parent="KSS"), ADMIN)
    registry.change("SZ-TAX", RetireUnit(reason="撤并"), ADMIN)
    with pytest.raises(InvalidField, match="retired"):
        registry.change("C-0001", MoveCadre("SZ-TAX", date(2026, 3, 1)), ADMIN)
    assert not registry.unit_exists("SZ-TAX")
    assert registry.unit_exists("KS")
    cycle = UpdateUnit(kind=UnitKind.DISTRICT, parent="KS-ZHOUSHI", locality="320583")
    with pytest.raises(InvalidField, match="cycle: KS → KS-ZHOUSHI → KS"):
        registry.change("KS", cycle, ADMIN)
    assert registry.unit("KS").parent is None  # type: ignore[union-attr]


def test_an_unchanged_reference_to_a_since_retired_unit_does_not_block_edits(
    ledger: AppealLedger,
) -> None:
    registry = organisation(ledger)
    registry.change("KS", RetireUnit(reason="撤并"), ADMIN)
    renamed = registry.change("KS-ZHOUSHI", RenameUnit(name_zh="周市镇"), ADMIN)
    assert renamed.changed


def test_upsert_registers_or_brings_a_record_to_the_row(
    ledger: AppealLedger,
) -> None:
    registry = organisation(ledger)
    head = ledger.event_log.head()
    assert not registry.upsert(LI, ADMIN).changed
    assert not registry.upsert(XINTAI, ADMIN).changed
    assert ledger.event_log.head() == head
    moved = registry.upsert(replace(LI, unit="KS", since=date(2026, 6, 1)), ADMIN)
    assert moved.changed
    assert not moved.created
    cadre = registry.cadre("C-0002")
    assert cadre is not None
    assert cadre.unit_on(date(2026, 5, 31)) == "KS-ZHOUSHI"
    new = registry.upsert(replace(ZHANG, code="C-0003"), ADMIN)
    assert new.created


def test_the_directory_answers_from_the_store_and_delegates_items(
    ledger: AppealLedger,
) -> None:
    item = CatalogueEntry(
        code="TAX-001",
        version=1,
        matter_zh="留抵退税",
        kind="consult",
        category="tax",
        lead_unit="SZ-TAX",
    )
    directory = LedgerDirectory(ledger, {"TAX-001": item}.get)
    assert directory.unit("SZ-TAX") is None
    registry = organisation(ledger)
    found = directory.unit("SZ-TAX")
    assert found is not None
    assert (found.code, found.kind, found.retired) == (
        "SZ-TAX",
        "department",
        False,
    )
    registry.change("C-0001", MoveCadre("SZ-TAX", date(2026, 3, 1)), ADMIN)
    cadre = directory.cadre("C-0001")
    assert cadre is not None
    assert (cadre.unit, cadre.roles) == ("SZ-TAX", ("handler",))
    assert directory.catalogue_item("TAX-001") == item
    assert directory.catalogue_item("TAX-002") is None
    assert LedgerDirectory(ledger).catalogue_item("TAX-001") is None
    assert list(directory.unit_codes()) == []  # the view has not caught up yet
    project(ledger)
    assert list(directory.unit_codes()) == sorted(u.code for u in UNITS)


def test_the_directory_reads_the_cached_record_in_place_yet_current(
    ledger: AppealLedger,
    settings: Settings,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lookup copies no cached record (only its entry value leaves), and
    still sees a change another process saved (fast-forward)."""
    registry = organisation(ledger)
    directory = LedgerDirectory(ledger)
    before = directory.unit("SZ-TAX")  # now cached
    assert directory.cadre("C-0001") is not None
    other = open_ledger(settings, clock=clock, storage_ready=True)
    try:
        Registry(other).change("SZ-TAX", RetireUnit("并入"), ADMIN)
    finally:
        other.close()
    copies: list[object] = []
    original = application.deepcopy
    monkeypatch.setattr(
        application, "deepcopy", lambda x, *a: copies.append(x) or original(x, *a)
    )
    after = directory.unit("SZ-TAX")
    assert directory.cadre("C-0001") is not None
    assert before is not None
    assert after is not None
    assert (before.retired, after.retired) == (False, True)
    assert copies == []
    assert registry.unit("SZ-TAX") is not None
    assert len(copies) == 1  # the registry's own reads still copy
