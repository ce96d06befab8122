"""``appeals registry import|export`` on both stores: files imported as the
administrator, rejected rows as ``FILE:LINE: reason`` with exit status 1,
importing again and export then import recording nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.cli import registry as cli
from appeals.cli.main import main
from tests.support.registry import CADRES_CSV, ENTERPRISES_CSV, UNITS_CSV

pytestmark = pytest.mark.empty_organisation  # registers its own


@pytest.fixture(autouse=True)
def environment(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPEALS_DATABASE_URL", store)


def files(folder: Path) -> dict[str, Path]:
    paths = {}
    for kind, text in (
        ("units", UNITS_CSV),
        ("cadres", CADRES_CSV),
        ("enterprises", ENTERPRISES_CSV),
    ):
        paths[kind] = folder / f"{kind}.csv"
        paths[kind].write_text(text, encoding="utf-8")
    return paths


def test_import_twice_export_and_import_again(
    ledger: AppealLedger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = files(tmp_path)
    for kind, path in paths.items():
        assert main(["registry", "import", kind, str(path), "--as", "王管理"]) == 0
        assert "registered" in capsys.readouterr().out
    unit = Registry(ledger).unit("KS-ZHOUSHI")
    assert unit is not None
    [registered] = ledger.event_log.history(unit.id)
    actor = registered.state["actor"]
    assert (actor["role"], actor["name"]) == ("admin", "王管理")
    assert actor["id"] == cli.cli_actor().id
    assert actor["id"].startswith("cli:")

    head = ledger.event_log.head()
    for kind, path in paths.items():
        assert main(["registry", "import", kind, str(path)]) == 0
        assert "unchanged" in capsys.readouterr().out
        exported = tmp_path / f"exported-{kind}.toml"
        assert main(["registry", "export", kind, str(exported)]) == 0
        assert (
            f"exported {2 if kind != 'units' else 3} {kind}" in capsys.readouterr().out
        )
        assert main(["registry", "import", kind, str(exported)]) == 0
        out = capsys.readouterr().out
        assert "registered 0, 变更 changed 0" in out
    assert ledger.event_log.head() == head


def test_rejected_rows_are_file_line_reason_and_exit_1(
    ledger: AppealLedger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        "code,name_zh,name_en,kind,parent,locality\n"
        "KS,昆山市,,district,,320583\n"
        "KS X,某镇,,town,KS,\n"
        "KS-A,安亭,,town,KS,990000\n",
        encoding="utf-8",
    )
    assert main(["registry", "import", "units", str(path)]) == 1
    captured = capsys.readouterr()
    database, *lines = captured.err.strip().splitlines()
    assert database.startswith("appeals: database ")  # which store it used
    assert lines[0].startswith(f"{path}:3: code: ")
    assert lines[1].startswith(f"{path}:4: locality: ")
    assert "registered 1" in captured.out
    assert Registry(ledger).unit("KS") is not None


def test_an_unreadable_file_is_one_line_and_exit_1(
    ledger: AppealLedger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "units.csv"
    path.write_text("code,name\n", encoding="utf-8")
    assert main(["registry", "import", "units", str(path)]) == 1
    assert f"{path}:1: " in capsys.readouterr().err
    assert main(["registry", "import", "units", str(tmp_path / "none.csv")]) == 1
    assert "cannot read" in capsys.readouterr().err
    assert main(["registry", "export", "units", str(tmp_path / "units.xlsx")]) == 1
    assert ".csv or .toml" in capsys.readouterr().err
