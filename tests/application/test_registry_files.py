"""Registry files on SQLite and PostgreSQL: CSV and TOML imported
idempotently, changed rows recorded as named changes, rejected rows reported
with their line and reason while the rest is imported, and export then
import recording nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from appeals.application.registry import Registry
from appeals.application.registry_files import (
    RegistryFileError,
    export_file,
    import_file,
)
from appeals.application.service import AppealLedger
from appeals.domain.organisation import RetireUnit
from tests.support.registry import (
    ADMIN,
    CADRES_CSV,
    ENTERPRISES_CSV,
    KUNSHAN_USCC,
    SIP_USCC,
    UNITS_CSV,
)

pytestmark = pytest.mark.empty_organisation  # registers its own


def write(path: Path, text: str, bom: bool = False) -> Path:
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


def imported(ledger: AppealLedger, tmp_path: Path) -> Registry:
    registry = Registry(ledger)
    for kind, text in (
        ("unit", UNITS_CSV),
        ("cadre", CADRES_CSV),
        ("enterprise", ENTERPRISES_CSV),
    ):
        report = import_file(
            registry, kind, write(tmp_path / f"{kind}.csv", text), ADMIN
        )
        assert report.ok, report.rejected
    return registry


def test_importing_twice_records_nothing_the_second_time(
    ledger: AppealLedger, tmp_path: Path
) -> None:
    path = write(tmp_path / "units.csv", UNITS_CSV, bom=True)
    registry = Registry(ledger)
    first = import_file(registry, "unit", path, ADMIN)
    # the town was listed before its parent: imported after it
    assert first.registered == ["KS", "SZ-HRSS", "KS-ZHOUSHI"]
    assert first.position == ledger.event_log.head()
    head = ledger.event_log.head()
    second = import_file(registry, "unit", path, ADMIN)
    assert second.unchanged == ["KS", "SZ-HRSS", "KS-ZHOUSHI"]
    assert (second.registered, second.changed, second.position) == ([], [], None)
    assert ledger.event_log.head() == head
    unit = registry.unit("SZ-HRSS")
    assert unit is not None
    assert (unit.name_en, unit.parent) == ("", None)


def test_a_changed_row_records_the_named_change(
    ledger: AppealLedger, tmp_path: Path
) -> None:
    registry = imported(ledger, tmp_path)
    head = ledger.event_log.head()
    cadres = CADRES_CSV.replace("C-0001,张三,SZ-HRSS,handler,2024-01-02",
                                "C-0001,张三,KS,handler;deputy,2026-04-01")  # fmt: skip
    report = import_file(registry, "cadre", write(tmp_path / "c.csv", cadres), ADMIN)
    assert (report.changed, report.unchanged) == (["C-0001"], ["C-0002"])
    topics = [r.topic for r in ledger.event_log.stream(start_after=head)]
    assert topics == ["Cadre.RolesChanged", "Cadre.Moved"]
    cadre = registry.cadre("C-0001")
    assert cadre is not None
    assert cadre.unit_on(date(2026, 3, 31)) == "SZ-HRSS"
    enterprises = ENTERPRISES_CSV.replace(
        "昆山新泰汽车零部件有限公司", "昆山新泰科技有限公司"
    )
    head = ledger.event_log.head()
    path = write(tmp_path / "e.csv", enterprises)
    assert import_file(registry, "enterprise", path, ADMIN).changed == [KUNSHAN_USCC]
    topics = [r.topic for r in ledger.event_log.stream(start_after=head)]
    assert topics == ["Enterprise.Renamed"]


def test_each_rejected_row_has_its_line_and_reason_and_the_rest_is_imported(
    ledger: AppealLedger, tmp_path: Path
) -> None:
    text = (
        "code,name_zh,name_en,kind,parent,locality\n"
        "KS,昆山市,Kunshan,district,,320583\n"  # line 2
        "KS X,昆山市某镇,,town,KS,\n"  # line 3: a bad code
        'KS-A,"昆山市\n安亭",,town,KS,\n'  # lines 4-5: a cell over two lines
        "KS-B,某镇,,village,KS,990000\n"  # line 6: two bad fields
        "KS-C,某镇,,town,KS-NOPE,\n"  # line 7: an unknown parent
        "\n"
        "KS-D,周庄,,town\n"  # line 9: too few cells
        "KS,昆山,,district,,\n"  # line 10: listed twice
        "KS-E,张浦镇,,town,KS,320583\n"  # line 11
    )
    report = import_file(
        Registry(ledger), "unit", write(tmp_path / "u.csv", text), ADMIN
    )
    assert report.registered == ["KS", "KS-A", "KS-E"]
    rejected = {r.line: r.reason for r in report.rejected}
    assert sorted(rejected) == [3, 6, 7, 9, 10]
    assert rejected[3].startswith("code: ")
    assert "kind:" in rejected[6]
    assert "village" in rejected[6]
    assert "parent: " in rejected[7]
    assert "not a registered unit" in rejected[7]
    assert "4 cells" in rejected[9]
    assert "listed twice" in rejected[10]
    assert [r.code for r in report.rejected][:2] == ["KS X", "KS-B"]


def test_a_retired_record_in_a_file_is_rejected_only_if_it_differs(
    ledger: AppealLedger, tmp_path: Path
) -> None:
    registry = imported(ledger, tmp_path)
    registry.change("SZ-HRSS", RetireUnit(reason="撤并"), ADMIN)
    same = import_file(registry, "unit", tmp_path / "unit.csv", ADMIN)
    assert same.ok
    changed = UNITS_CSV.replace("苏州市人力资源和社会保障局", "苏州市人社局")
    report = import_file(registry, "unit", write(tmp_path / "u2.csv", changed), ADMIN)
    [rejected] = report.rejected
    assert rejected.line == 4
    assert "reinstate it first" in rejected.reason


@pytest.mark.parametrize("suffix", [".csv", ".toml"])
def test_export_then_import_records_nothing(
    ledger: AppealLedger, tmp_path: Path, suffix: str
) -> None:
    registry = imported(ledger, tmp_path)
    head = ledger.event_log.head()
    for kind in ("unit", "cadre", "enterprise"):
        path = tmp_path / f"exported-{kind}{suffix}"
        assert export_file(registry, kind, path) == (3 if kind == "unit" else 2)
        report = import_file(registry, kind, path, ADMIN)
        assert report.ok
        assert report.registered == report.changed == []
    assert ledger.event_log.head() == head
    enterprises = (tmp_path / f"exported-enterprise{suffix}").read_text("utf-8")
    # a derived locality is not written; an override is
    if suffix == ".csv":
        assert sorted(enterprises.splitlines()) == sorted(ENTERPRISES_CSV.splitlines())
    else:
        assert 'locality = "320571"' in enterprises
        assert enterprises.count("locality =") == 1
        assert "since" not in enterprises


def test_toml_rows_are_reported_at_their_table_header(
    ledger: AppealLedger, tmp_path: Path
) -> None:
    text = (
        "# units\n"
        "[[unit]]\n"  # line 2
        'code = "KS"\nname_zh = "昆山市"\nkind = "district"\nlocality = "320583"\n'
        "\n[[unit]]\n"  # line 8
        'code = "KS-A"\nname_zh = "安亭"\nkind = "town"\nparent = "KS"\n'
        'colour = "red"\n'
    )
    report = import_file(
        Registry(ledger), "unit", write(tmp_path / "u.toml", text), ADMIN
    )
    assert report.registered == ["KS"]
    [rejected] = report.rejected
    assert rejected.line == 8
    assert "colour" in rejected.reason
    cadres = (
        '[[cadre]]\ncode = "C-1"\nname = "王五"\nunit = "KS"\n'
        'roles = ["handler"]\nsince = 2026-01-05\n'
    )
    path = write(tmp_path / "c.toml", cadres)
    assert import_file(Registry(ledger), "cadre", path, ADMIN).registered == ["C-1"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("u.csv", "code,name\nKS,昆山\n", "header must be"),
        ("u.csv", "", "empty"),
        ("u.toml", '[[units]]\ncode = "x"\n', "unknown table"),
        ("u.toml", "[[unit]\n", "not valid TOML"),
        ("u.txt", "code\n", ".csv or .toml"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(
    ledger: AppealLedger, tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(RegistryFileError, match=message):
        import_file(Registry(ledger), "unit", write(tmp_path / name, text), ADMIN)
    assert ledger.event_log.head() == 0


def test_the_override_and_the_derived_locality_round_trip(
    ledger: AppealLedger, tmp_path: Path
) -> None:
    registry = imported(ledger, tmp_path)
    overridden = registry.enterprise(SIP_USCC)
    derived = registry.enterprise(KUNSHAN_USCC)
    assert overridden is not None
    assert derived is not None
    assert (overridden.locality, overridden.locality_overridden) == ("320571", True)
    assert (derived.locality, derived.locality_overridden) == ("320583", False)
