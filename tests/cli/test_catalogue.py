"""``appeals catalogue import|export|search`` on both stores: the file
imported as the administrator, rejected items as ``FILE:LINE: reason`` with
exit status 1, export then import a no-op, search by Chinese keywords."""

from __future__ import annotations

from pathlib import Path

import pytest

from appeals.application.catalogue import Catalogue
from appeals.application.service import AppealLedger
from appeals.cli import catalogue as cli
from appeals.cli.main import main
from tests.support.catalogue import ITEMS, catalogue_file, register_units


@pytest.fixture(autouse=True)
def environment(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPEALS_DATABASE_URL", store)
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture(autouse=True)
def units(ledger: AppealLedger) -> None:
    """The units the test items name, registered (the catalogue checks them)."""
    register_units(ledger)


def test_import_export_and_import_again(
    ledger: AppealLedger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = catalogue_file(tmp_path / "catalogue.toml")
    assert main(["catalogue", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"published {len(ITEMS)}" in out
    item = Catalogue(ledger).item("UTIL-001")
    assert item is not None
    [published] = ledger.event_log.history(item.id)
    assert published.state["actor"]["role"] == "admin"
    assert published.state["actor"]["id"] == cli.cli_actor().id
    assert published.state["actor"]["id"].startswith("cli:")

    exported = tmp_path / "exported.toml"
    assert main(["catalogue", "export", str(exported)]) == 0
    assert f"exported {len(ITEMS)} items" in capsys.readouterr().out
    head = ledger.event_log.head()
    assert main(["catalogue", "import", str(exported)]) == 0
    assert f"unchanged {len(ITEMS)}" in capsys.readouterr().out
    assert ledger.event_log.head() == head
    assert main(["catalogue", "export", str(tmp_path / "catalogue.csv")]) == 0
    lines = (tmp_path / "catalogue.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("code,matter_zh,matter_en,kind,category,lead_unit")
    assert len(lines) == len(ITEMS) + 1


def test_rejected_items_are_file_line_reason_and_exit_1(
    ledger: AppealLedger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(
        '[[item]]\ncode = "OK-1"\nmatter_zh = "营业执照变更"\nkind = "help"\n'
        'category = "permits"\nlead_unit = "SZ-AMR"\nprocedure = "网上办理"\n'
        '\n[[item]]\ncode = "BAD 1"\nmatter_zh = "x"\nkind = "help"\n'
        'category = "permits"\nlead_unit = "SZ-AMR"\nprocedure = "x"\n',
        encoding="utf-8",
    )
    assert main(["catalogue", "import", str(path)]) == 1
    captured = capsys.readouterr()
    database, *rejected = captured.err.splitlines()
    assert database.startswith("appeals: database ")  # which store it used
    assert rejected == [
        f"{path}:9: code: 编码格式不符 must be 1-32 letters, digits, '.', '_' or "
        "'-', starting with a letter or digit"
    ]
    assert "published 1" in captured.out
    assert "rejected 1" in captured.out
    assert Catalogue(ledger).item("OK-1") is not None
    broken = tmp_path / "broken.toml"
    broken.write_text("[[item]\n", encoding="utf-8")
    assert main(["catalogue", "import", str(broken)]) == 1
    assert f"{broken}:1: not valid TOML" in capsys.readouterr().err


def test_search_prints_the_ranked_items(
    ledger: AppealLedger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalogue", "import", str(catalogue_file(tmp_path / "c.toml"))]) == 0
    capsys.readouterr()
    assert main(["catalogue", "search", "企业想办理", "用电报装手续"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "-0" in line]
    assert "UTIL-001" in lines[0]  # the best match first
    assert "SZ-POWER" in lines[0]
    assert "用电报装" in out
    assert main(["catalogue", "search", "吗"]) == 0
    assert "no catalogue item matches" in capsys.readouterr().err
