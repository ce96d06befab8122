"""The catalogue service on both stores: items published, revised, retired
and reinstated through the ledger's store; units checked; the file imported
idempotently with every rejected item named by its line; export and import
again records nothing."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from appeals.application.catalogue import (
    Catalogue,
    CatalogueFileError,
    ImportReport,
)
from appeals.application.service import AppealLedger
from appeals.domain.catalogue import (
    CatalogueConflict,
    CatalogueItem,
    CatalogueItemNotFound,
    InvalidContent,
    Reinstate,
    Retire,
)
from appeals.domain.chain import first_broken_link
from appeals.domain.errors import NotPermitted
from appeals.domain.identities import catalogue_item_id
from appeals.domain.values import Actor, Role
from appeals.infra.clock import FixedClock
from tests.support.catalogue import (
    EXPORT,
    ITEMS,
    JOBS,
    POWER,
    UNITS,
    VAT,
    catalogue_file,
    revision,
)

DISPATCHER = Actor("disp-1", Role.DISPATCHER, "李派单")
HANDLER = Actor("h-1", Role.HANDLER, "张三", unit="SZ-POWER")

pytestmark = pytest.mark.empty_organisation  # counts its own records


@pytest.fixture
def catalogue(ledger: AppealLedger) -> Catalogue:
    return Catalogue(ledger, UNITS.__contains__)


def head(ledger: AppealLedger) -> int:
    return ledger.event_log.head()


def test_publish_revise_retire_and_reinstate_through_the_store(
    catalogue: Catalogue, ledger: AppealLedger, clock: FixedClock
) -> None:
    published = catalogue.publish(POWER, DISPATCHER)
    assert (published.code, published.version, published.changed) == (
        "UTIL-001",
        1,
        True,
    )
    assert published.position == head(ledger)
    clock.advance(timedelta(days=1))
    revised = catalogue.revise(
        "UTIL-001", revision(POWER, procedure="网上申请，三日内勘查。"), DISPATCHER
    )
    assert (revised.version, revised.changed) == (2, True)
    same = catalogue.revise(
        "UTIL-001", revision(POWER, procedure="网上申请，三日内勘查。"), DISPATCHER
    )
    assert (same.version, same.changed, same.position) == (2, False, None)
    assert head(ledger) == revised.position
    catalogue.retire("UTIL-001", Retire(reason="职责调整"), DISPATCHER)
    assert catalogue.entry("UTIL-001").retired  # type: ignore[union-attr]
    catalogue.reinstate("UTIL-001", Reinstate(reason="恢复"), DISPATCHER)

    item = catalogue.item("UTIL-001")
    assert item is not None
    assert item.id == catalogue_item_id("UTIL-001")
    assert item.content_version == 2
    assert item.content_at(1) == POWER.content()
    assert item.content_at(2) == replace(
        POWER.content(), procedure="网上申请，三日内勘查。"
    )
    entry = catalogue.entry("UTIL-001")
    assert entry is not None
    assert (entry.version, entry.lead_unit, entry.co_units, entry.retired) == (
        2,
        "SZ-POWER",
        ("SZ-DRC",),
        False,
    )
    history = list(ledger.events.get(item.id))
    assert [type(e).__name__ for e in history] == [
        "Published",
        "Revised",
        "Retired",
        "Reinstated",
    ]
    assert history[1].timestamp == clock.now()
    stored = ledger.event_log.history(item.id)
    assert stored[0].topic == "CatalogueItem.Published"
    assert first_broken_link((r.topic, r.chain_state()) for r in stored) is None


def test_unknown_items_and_codes_already_published(
    catalogue: Catalogue, ledger: AppealLedger
) -> None:
    assert catalogue.item("NOPE-1") is None
    assert catalogue.entry("NOPE-1") is None
    with pytest.raises(CatalogueItemNotFound):
        catalogue.revise("NOPE-1", revision(POWER), DISPATCHER)
    with pytest.raises(CatalogueItemNotFound):
        catalogue.retire("NOPE-1", Retire(reason="x"), DISPATCHER)
    catalogue.publish(POWER, DISPATCHER)
    before = head(ledger)
    with pytest.raises(CatalogueConflict, match="already published"):
        catalogue.publish(replace(POWER, matter_zh="另一个事项"), DISPATCHER)
    assert head(ledger) == before


def test_lead_and_co_units_must_be_registered(
    catalogue: Catalogue, ledger: AppealLedger
) -> None:
    with pytest.raises(InvalidContent) as refused:
        catalogue.publish(
            replace(POWER, lead_unit="SZ-POWR", co_units=("SZ-DRC", "SZ-XX")),
            DISPATCHER,
        )
    assert refused.value.errors == [
        {
            "field": "lead_unit",
            "reason": "主办单位未登记 SZ-POWR is not a registered unit",
        },
        {
            "field": "co_units",
            "reason": "协办单位未登记 SZ-XX is not a registered unit",
        },
    ]
    assert head(ledger) == 0
    catalogue.publish(POWER, DISPATCHER)
    with pytest.raises(InvalidContent, match="SZ-GONE"):
        catalogue.revise("UTIL-001", revision(POWER, co_units=("SZ-GONE",)), DISPATCHER)
    assert catalogue.entry("UTIL-001").version == 1  # type: ignore[union-attr]


def test_the_permissions_table_decides_before_anything_is_looked_up(
    catalogue: Catalogue, ledger: AppealLedger
) -> None:
    with pytest.raises(NotPermitted):
        catalogue.publish(replace(POWER, lead_unit="SZ-NOWHERE"), HANDLER)
    catalogue.publish(POWER, DISPATCHER)
    with pytest.raises(NotPermitted):
        catalogue.revise("UTIL-001", revision(POWER, procedure="改"), HANDLER)
    assert head(ledger) == 1


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_importing_a_file_publishes_then_records_nothing_the_second_time(
    catalogue: Catalogue, ledger: AppealLedger, tmp_path: Path
) -> None:
    path = catalogue_file(tmp_path / "catalogue.toml")
    first = catalogue.import_file(path, DISPATCHER)
    assert first.published == [item.code for item in ITEMS]
    assert (first.revised, first.unchanged, first.rejected) == ([], [], [])
    assert first.ok
    assert first.position == head(ledger) == len(ITEMS)
    again = catalogue.import_file(path, DISPATCHER)
    assert again == ImportReport(unchanged=[item.code for item in ITEMS])
    assert head(ledger) == len(ITEMS)
    changed = (replace(POWER, procedure="网上申请"), *ITEMS[1:])
    third = catalogue.import_file(catalogue_file(path, changed), DISPATCHER)
    assert (third.revised, len(third.unchanged)) == (["UTIL-001"], len(ITEMS) - 1)
    assert catalogue.entry("UTIL-001").version == 2  # type: ignore[union-attr]


def test_each_rejected_item_is_reported_by_line_and_the_rest_imported(
    catalogue: Catalogue, ledger: AppealLedger, tmp_path: Path
) -> None:
    catalogue.publish(JOBS, DISPATCHER)
    catalogue.retire("HR-001", Retire(reason="停用"), DISPATCHER)
    path = write(
        tmp_path / "catalogue.toml",
        """# 派单目录
[[item]]
code = "TAX-001"
matter_zh = "增值税留抵退税申请"
kind = "consult"
category = "tax"
lead_unit = "SZ-TAX"
procedure = "电子税务局申请"

[[item]]
code = "TAX-009"
matter_zh = "税务咨询"
kind = "question"
category = "tax"
lead_unit = "SZ-TAX"
procedure = "解答"
limits = { resolve = "3 weeks" }

[[item]]
code = "UTIL-009"
matter_zh = "供水报装"
kind = "help"
category = "utilities"
lead_unit = "SZ-WATER"
procedure = "受理"

[[item]]
code = "HR-001"
matter_zh = "稳岗返还"
kind = "help"
category = "labour"
lead_unit = "SZ-HRSS"
procedure = "免申即享"

[[item]]
code = "TAX-001"
matter_zh = "重复"
kind = "consult"
category = "tax"
lead_unit = "SZ-TAX"
procedure = "重复"

  [[item]]  # indented
code = "POL-002"
matter_zh = "惠企政策兑现咨询"
kind = "consult"
category = "policy"
lead_unit = "SZ-MIIT"
procedure = "解答"
""",
    )
    report = catalogue.import_file(path, DISPATCHER)
    assert report.published == ["TAX-001", "POL-002"]
    rejected = [(r.index, r.line, r.code) for r in report.rejected]
    assert rejected == [
        (2, 10, "TAX-009"),
        (3, 19, "UTIL-009"),
        (4, 27, "HR-001"),
        (5, 35, "TAX-001"),
    ]
    reasons = [r.reason for r in report.rejected]
    assert "kind: 取值无效 'question'" in reasons[0]
    assert "limits: resolve 时限无效" in reasons[0]  # every bad field at once
    assert "SZ-WATER is not a registered unit" in reasons[1]
    assert "reinstate it first" in reasons[2]
    assert "listed twice" in reasons[3]
    assert not report.ok
    assert catalogue.item("TAX-009") is None


def test_a_file_that_is_not_a_catalogue_is_refused_whole(
    catalogue: Catalogue, ledger: AppealLedger, tmp_path: Path
) -> None:
    broken = write(tmp_path / "broken.toml", '[[item]]\ncode = "X-1\n')
    with pytest.raises(CatalogueFileError) as refused:
        catalogue.import_file(broken, DISPATCHER)
    assert str(refused.value).startswith(f"{broken}:2: not valid TOML")
    other = write(tmp_path / "units.toml", '[[unit]]\ncode = "SZ-TAX"\n')
    with pytest.raises(CatalogueFileError, match="unknown table"):
        catalogue.import_file(other, DISPATCHER)
    with pytest.raises(CatalogueFileError, match="cannot read"):
        catalogue.import_file(tmp_path / "missing.toml", DISPATCHER)
    assert head(ledger) == 0


def test_export_then_import_records_nothing(
    catalogue: Catalogue, ledger: AppealLedger, tmp_path: Path
) -> None:
    for item in ITEMS:
        catalogue.publish(item, DISPATCHER)
    catalogue.revise(
        "TAX-001",
        revision(VAT, procedure='第一步："申请"\n第二步：审核\\退库'),
        DISPATCHER,
    )
    catalogue.retire("TAX-002", Retire(reason="并入TAX-001"), DISPATCHER)
    before = head(ledger)
    path = tmp_path / "export.toml"
    assert catalogue.export(path) == len(ITEMS) - 1
    text = path.read_text(encoding="utf-8")
    assert "TAX-002" not in text  # retired items are not exported
    report = catalogue.import_file(path, DISPATCHER)
    assert report.rejected == []
    assert sorted(report.unchanged) == sorted(
        item.code for item in ITEMS if item is not EXPORT
    )
    assert head(ledger) == before


def test_export_as_csv(catalogue: Catalogue, tmp_path: Path) -> None:
    catalogue.publish(POWER, DISPATCHER)
    catalogue.publish(VAT, DISPATCHER)
    path = tmp_path / "catalogue.csv"
    assert catalogue.export(path) == 2
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["code"] for row in rows] == ["TAX-001", "UTIL-001"]
    power = rows[1]
    assert power["co_units"] == "SZ-DRC"
    assert power["limits"] == "accept=1d;resolve=10d"
    assert power["keywords"] == "接电;电力接入"
    assert power["standard_answer"] == ""
    assert rows[0]["standard_answer"] == VAT.standard_answer


def test_catalogue_items_are_master_data_not_appeals(
    catalogue: Catalogue, ledger: AppealLedger
) -> None:
    catalogue.publish(POWER, DISPATCHER)
    item = ledger.repository.get(catalogue_item_id("UTIL-001"))
    assert isinstance(item, CatalogueItem)
